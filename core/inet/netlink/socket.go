package netlink

import (
	"sync"
	"time"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Limits, as Linux's.
const (
	// defaultBufSize is the default SO_RCVBUF and SO_SNDBUF
	// (net.core.rmem_default).
	defaultBufSize = 212992
	// maxBufSize is net.core.rmem_max: SO_RCVBUF stores at most twice
	// this (SO_RCVBUFFORCE, for uid 0, is not bounded by it).
	maxBufSize = 212992
	// dumpChunk bounds the datagrams a dump is packed into, about
	// Linux's NLMSG_GOODSIZE: glibc reads netlink replies into 8 KiB
	// buffers and gives up on MSG_TRUNC.
	dumpChunk = 4096
	// dgramOverhead is what a queued datagram costs besides its bytes.
	dgramOverhead = 256
	// maxGroups is how many multicast groups a socket may join (the
	// RTNLGRP_* numbers are below it).
	maxGroups = 64
)

// Namespace is the netlink side of one network stack: its port IDs and
// where the answers come from. A stack holds one and routes
// socket(AF_NETLINK, ...) to its NewSocket.
type Namespace struct {
	// stack is asked for the interfaces; immutable. Its Interfaces is
	// never called with mu held.
	stack inet.Stack

	// mu protects ports, rover and the state of every socket of the
	// namespace (see the package doc).
	mu    sync.Mutex
	ports map[uint32]*socket
	rover int32
}

// NewNamespace returns the netlink namespace of stack.
func NewNamespace(stack inet.Stack) *Namespace {
	return &Namespace{stack: stack, ports: map[uint32]*socket{}, rover: -4096}
}

// NewSocket implements socket(AF_NETLINK, stype, protocol) for the
// stack: SOCK_RAW or SOCK_DGRAM (others ESOCKTNOSUPPORT), protocol
// NETLINK_ROUTE (others EPROTONOSUPPORT). stype may carry SOCK_NONBLOCK.
func (ns *Namespace) NewSocket(stype, protocol int) (*vfs.FileDescription, error) {
	switch stype & 0xf {
	case unix.SOCK_RAW, unix.SOCK_DGRAM:
	default:
		return nil, unix.ESOCKTNOSUPPORT
	}
	if protocol != unix.NETLINK_ROUTE {
		return nil, unix.EPROTONOSUPPORT
	}
	s := &socket{
		ns: ns, typ: stype & 0xf, ino: inet.NextIno(), ctime: vfs.Now(),
		rcvBuf: defaultBufSize, sndBuf: defaultBufSize,
	}
	flags := unix.O_RDWR
	if stype&unix.SOCK_NONBLOCK != 0 {
		flags |= unix.O_NONBLOCK
	}
	return vfs.NewDescription(s, vfs.DescriptionOptions{Flags: flags, Stream: true}), nil
}

// socket is a NETLINK_ROUTE socket.
type socket struct {
	ns    *Namespace
	typ   int // SOCK_RAW or SOCK_DGRAM; immutable
	ino   uint64
	ctime vfs.Timespec
	q     vfs.Queue

	// The rest is protected by ns.mu.

	// portID is the socket's address (nl_pid) once bound.
	portID uint32
	bound  bool
	// groups are the multicast groups joined (bit g-1 for group g).
	groups uint64
	// dstPID and dstGroup are the default destination (connect).
	dstPID, dstGroup uint32
	// recvq holds the datagrams not yet received, recvBytes what they
	// cost against rcvBuf.
	recvq     []datagram
	recvBytes int
	// soErr is the pending error (ENOBUFS after a dropped reply).
	soErr    unix.Errno
	released bool

	rcvBuf, sndBuf     int
	rcvTimeo, sndTimeo time.Duration
	passCred           bool
	// SOL_NETLINK options by number (NETLINK_PKTINFO, NETLINK_CAP_ACK,
	// NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, ...).
	nlOpts map[int]bool
}

// datagram is one queued datagram and its sender's port (0: the kernel).
type datagram struct {
	data []byte
	from uint32
}

// Family implements inet.Socket.
func (s *socket) Family() int { return unix.AF_NETLINK }

// Type implements inet.Socket.
func (s *socket) Type() int { return s.typ }

// Stat implements vfs.FileImpl.
func (s *socket) Stat() (vfs.Stat, error) { return inet.SockStat(s.ino, s.ctime), nil }

// EventRegister implements vfs.Waitable.
func (s *socket) EventRegister(e *vfs.Entry) { s.q.Register(e) }

// EventUnregister implements vfs.Waitable.
func (s *socket) EventUnregister(e *vfs.Entry) { s.q.Unregister(e) }

// encodeAddr returns a struct sockaddr_nl.
func encodeAddr(pid, groups uint32) []byte {
	b := make([]byte, sockaddrNlLen)
	le.PutUint16(b, unix.AF_NETLINK)
	le.PutUint32(b[4:], pid)
	le.PutUint32(b[8:], groups)
	return b
}

// decodeAddr decodes a struct sockaddr_nl: EINVAL when it is short or of
// another family.
func decodeAddr(b []byte) (pid, groups uint32, err error) {
	if len(b) < sockaddrNlLen || le.Uint16(b) != unix.AF_NETLINK {
		return 0, 0, unix.EINVAL
	}
	return le.Uint32(b[4:]), le.Uint32(b[8:]), nil
}

// autobindLocked gives an unbound socket a port ID: the caller's PID if
// it is free, else a negative number, as Linux's netlink_autobind.
//
// Preconditions: ns.mu is held.
func (s *socket) autobindLocked(c *inet.Caller) {
	if s.bound {
		return
	}
	ns := s.ns
	var pid uint32
	if c != nil && c.Cred.PID > 0 {
		pid = uint32(c.Cred.PID)
	}
	for pid == 0 || ns.ports[pid] != nil {
		pid = uint32(ns.rover)
		ns.rover--
		if ns.rover > -4096 { // wrapped
			ns.rover = -4096
		}
	}
	s.portID, s.bound = pid, true
	ns.ports[pid] = s
}

// Bind implements inet.Socket: nl_pid 0 lets the kernel choose the port
// ID; a socket already bound may only be bound to its own again (which
// updates its groups).
func (s *socket) Bind(c *inet.Caller, raw []byte) error {
	pid, groups, err := decodeAddr(raw)
	if err != nil {
		return err
	}
	ns := s.ns
	ns.mu.Lock()
	defer ns.mu.Unlock()
	switch {
	case s.bound:
		if pid != 0 && pid != s.portID {
			return unix.EINVAL
		}
	case pid == 0:
		s.autobindLocked(c)
	default:
		if ns.ports[pid] != nil {
			return unix.EADDRINUSE
		}
		s.portID, s.bound = pid, true
		ns.ports[pid] = s
	}
	s.groups = s.groups&^0xffffffff | uint64(groups)
	return nil
}

// Listen implements inet.Socket.
func (s *socket) Listen(*inet.Caller, int) error { return unix.EOPNOTSUPP }

// Accept implements inet.Socket.
func (s *socket) Accept(*inet.Caller, bool) (*vfs.FileDescription, []byte, error) {
	return nil, nil, unix.EOPNOTSUPP
}

// Connect implements inet.Socket: it sets the default destination;
// AF_UNSPEC resets it to the kernel.
func (s *socket) Connect(c *inet.Caller, raw []byte) error {
	ns := s.ns
	if len(raw) >= 2 && le.Uint16(raw) == unix.AF_UNSPEC {
		ns.mu.Lock()
		s.dstPID, s.dstGroup = 0, 0
		ns.mu.Unlock()
		return nil
	}
	pid, groups, err := decodeAddr(raw)
	if err != nil {
		return err
	}
	if groups != 0 {
		// Sending to rtnetlink's groups needs CAP_NET_ADMIN.
		return unix.EPERM
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	s.autobindLocked(c)
	s.dstPID, s.dstGroup = pid, groups
	return nil
}

// Shutdown implements inet.Socket: netlink sockets have none.
func (s *socket) Shutdown(*inet.Caller, int) error { return unix.EOPNOTSUPP }

// SockName implements inet.Socket.
func (s *socket) SockName(*inet.Caller) ([]byte, error) {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	return encodeAddr(s.portID, uint32(s.groups)), nil
}

// PeerName implements inet.Socket: the default destination (the kernel
// unless connected elsewhere).
func (s *socket) PeerName(*inet.Caller) ([]byte, error) {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	return encodeAddr(s.dstPID, s.dstGroup), nil
}

// SendMsg implements inet.Socket. Requests to the kernel (nl_pid 0) are
// answered at once: the replies are queued on s before SendMsg returns,
// so a recvmsg after it never waits. A datagram to another socket's port
// ID is queued on that socket.
func (s *socket) SendMsg(c *inet.Caller, data []byte, m inet.SendMsg) (int, error) {
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	ns := s.ns
	dst, explicit := uint32(0), len(m.To) > 0
	if explicit {
		pid, groups, err := decodeAddr(m.To)
		if err != nil {
			return 0, err
		}
		if groups != 0 {
			return 0, unix.EPERM
		}
		dst = pid
	}
	// Ask the stack before taking ns.mu.
	ifs := ns.stack.Interfaces()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if !explicit {
		dst = s.dstPID
	}
	if len(data) > s.sndBuf-32 {
		return 0, unix.EMSGSIZE
	}
	s.autobindLocked(c)
	if dst != 0 {
		r := ns.ports[dst]
		if r == nil || r.released {
			return 0, unix.ECONNREFUSED
		}
		if !r.enqueueLocked(append([]byte(nil), data...), s.portID) {
			return 0, unix.EAGAIN
		}
		m.Ctl.Release()
		return len(data), nil
	}
	m.Ctl.Release() // credentials and descriptors mean nothing to the kernel
	o := reqOpts{pid: s.portID, strict: s.nlOpts[unix.NETLINK_GET_STRICT_CHK], capAck: s.nlOpts[unix.NETLINK_CAP_ACK]}
	for _, r := range serve(ifs, data, o) {
		var cur []byte
		for _, msg := range r.dump {
			if len(cur) > 0 && len(cur)+len(msg) > dumpChunk {
				s.enqueueLocked(cur, 0)
				cur = nil
			}
			cur = append(cur, msg...)
		}
		if len(cur) > 0 {
			s.enqueueLocked(cur, 0)
		}
		for _, msg := range r.msgs {
			s.enqueueLocked(msg, 0)
		}
	}
	return len(data), nil
}

// enqueueLocked queues a datagram for s, or drops it when the receive
// queue is full and reports ENOBUFS at the next receive (unless
// NETLINK_NO_ENOBUFS), as Linux's netlink_overrun.
//
// Preconditions: ns.mu is held.
func (s *socket) enqueueLocked(b []byte, from uint32) bool {
	cost := len(b) + dgramOverhead
	if s.released {
		return true
	}
	if len(s.recvq) > 0 && s.recvBytes+cost > s.rcvBuf {
		if !s.nlOpts[unix.NETLINK_NO_ENOBUFS] {
			s.soErr = unix.ENOBUFS
			s.q.Notify(vfs.EventErr)
		}
		return false
	}
	s.recvq = append(s.recvq, datagram{data: b, from: from})
	s.recvBytes += cost
	s.q.Notify(vfs.EventIn)
	return true
}

// RecvMsg implements inet.Socket: one datagram, truncated to dst
// (MSG_TRUNC in the result), from the sockaddr_nl of its sender.
func (s *socket) RecvMsg(c *inet.Caller, dst []byte, m inet.RecvMsg) (int, inet.RecvResult, error) {
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, inet.RecvResult{}, unix.EOPNOTSUPP
	}
	if m.Flags&unix.MSG_ERRQUEUE != 0 {
		return 0, inet.RecvResult{}, unix.EAGAIN
	}
	peek := m.Flags&unix.MSG_PEEK != 0
	var n int
	var res inet.RecvResult
	err := s.wait(c, func() (bool, error) {
		if e := s.soErr; e != 0 {
			s.soErr = 0
			return false, e
		}
		if len(s.recvq) == 0 {
			return false, nil
		}
		dg := s.recvq[0]
		n = copy(dst, dg.data)
		res = inet.RecvResult{MsgLen: len(dg.data), Truncated: n < len(dg.data), From: encodeAddr(dg.from, 0)}
		if !peek {
			s.recvq[0] = datagram{}
			s.recvq = s.recvq[1:]
			s.recvBytes -= len(dg.data) + dgramOverhead
			if len(s.recvq) == 0 {
				s.recvq = nil
			}
		}
		return true, nil
	})
	if err != nil {
		return 0, inet.RecvResult{}, err
	}
	return n, res, nil
}

// wait runs try under ns.mu until it is done or fails, waiting for
// EventIn in between (SO_RCVTIMEO bounds the wait: EAGAIN).
func (s *socket) wait(c *inet.Caller, try func() (bool, error)) error {
	ns := s.ns
	ns.mu.Lock()
	timeout := s.rcvTimeo
	ns.mu.Unlock()
	var b vfs.Blocker
	if c != nil {
		b = c.Blocker
	}
	return vfs.WaitFor(b, &ns.mu, &s.q, vfs.EventIn, timeout, try)
}

// Read implements vfs.FileImpl.
func (s *socket) Read(b vfs.Blocker, dst []byte, _ int64) (int, error) {
	n, _, err := s.RecvMsg(&inet.Caller{Blocker: b}, dst, inet.RecvMsg{})
	return n, err
}

// Write implements vfs.FileImpl: a datagram to the default destination.
func (s *socket) Write(b vfs.Blocker, src []byte, _ int64) (int, error) {
	return s.SendMsg(&inet.Caller{Blocker: b}, src, inet.SendMsg{})
}

// Release implements vfs.FileImpl.
func (s *socket) Release() {
	ns := s.ns
	ns.mu.Lock()
	s.released = true
	s.recvq, s.recvBytes = nil, 0
	if s.bound && ns.ports[s.portID] == s {
		delete(ns.ports, s.portID)
	}
	ns.mu.Unlock()
	s.q.Notify(vfs.EventAll)
}

// Readiness implements vfs.Waitable: readable with a datagram queued,
// always writable.
func (s *socket) Readiness(mask uint32) uint32 {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	r := uint32(vfs.EventOut)
	if len(s.recvq) > 0 {
		r |= vfs.EventIn
	}
	if s.soErr != 0 {
		r |= vfs.EventErr
	}
	return r & (mask | vfs.EventErr | vfs.EventHup)
}

// Ioctl implements vfs.Ioctler: the interface ioctls (SIOCGIFCONF,
// SIOCGIFINDEX, ...), as on any socket.
func (s *socket) Ioctl(_ vfs.Blocker, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	if r, err, ok := inet.InterfaceIoctl(s.ns.stack.Interfaces(), mem, cmd, arg); ok {
		return r, err
	}
	return 0, unix.ENOTTY
}

var (
	_ inet.Socket  = (*socket)(nil)
	_ vfs.Waitable = (*socket)(nil)
	_ vfs.Ioctler  = (*socket)(nil)
)
