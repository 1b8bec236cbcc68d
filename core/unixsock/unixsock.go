// Package unixsock implements Unix-domain sockets (AF_UNIX), which are the
// kernel's own (see ARCHITECTURE.md): stream, datagram and seqpacket
// sockets, socketpair, bind/listen/accept/connect through a Namespace of
// bound names, messages with SCM_RIGHTS descriptors and credentials,
// shutdown, and readiness for poll and epoll.
//
// A Socket is a vfs.FileImpl; core/syscalls wraps it in a
// vfs.FileDescription and decodes the system calls' arguments.
//
// Locking: one package-wide mutex (mu) protects the state of every socket,
// so that operations touching two sockets (connect, send, release) need no
// lock order. Each socket's Queue has its own lock and is only notified,
// never waited on, under mu. File descriptions carried by messages are
// released (DecRef) only after mu is dropped, because releasing one may
// release another socket.
package unixsock

import (
	"encoding/binary"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Limits and defaults, as on Linux.
const (
	// DefaultBufSize is the default SO_SNDBUF and SO_RCVBUF.
	DefaultBufSize = 212992

	// MaxDgramQueue is net.unix.max_dgram_qlen: how many datagrams a
	// receiver queues before senders block.
	MaxDgramQueue = 512

	// MaxBacklog is net.core.somaxconn.
	MaxBacklog = 4096
)

// mu protects the mutable state of every Socket; see the package doc.
var mu sync.Mutex

// Cred is a process's credentials as SO_PEERCRED and SCM_CREDENTIALS carry
// them.
type Cred = inet.Cred

// Control is the ancillary data of a message.
type Control = inet.Control

// message is one send's worth of data (one datagram, or a piece of a
// stream).
type message struct {
	data []byte
	ctl  Control
	from string // the sender's name, for recvfrom on datagram sockets
}

// Socket is one Unix-domain socket; it implements inet.Socket (ops.go),
// vfs.FileImpl, vfs.Waitable and vfs.Ioctler.
type Socket struct {
	typ   int        // unix.SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET; immutable
	home  *Namespace // where Bind and Connect find names; immutable
	ino   uint64
	ctime vfs.Timespec
	q     vfs.Queue

	// The rest is protected by mu.

	// name is the bound name: "" when unbound, a path, or "\x00..." for
	// an abstract name. ns and key are where it is registered (nil for
	// the name of an accepted socket, which is its listener's).
	name string
	ns   *Namespace
	key  Key

	listening bool
	backlog   int
	acceptq   []*Socket

	// peer is the connected peer (for datagram sockets the default
	// destination).
	peer      *Socket
	connected bool // stream/seqpacket: connected (peer may be gone since)

	recvq     []*message
	recvBytes int

	// shutRcv: nothing more will arrive (our SHUT_RD, the peer's
	// SHUT_WR or close). shutSnd: we may not send (our SHUT_WR, the
	// peer's SHUT_RD or close).
	shutRcv, shutSnd bool

	released bool
	soErr    unix.Errno
	passCred bool
	sndBuf   int
	rcvBuf   int

	cred        Cred // the owner's, at creation
	peerCred    Cred
	hasPeerCred bool
}

// New returns an unbound, unconnected socket of type typ (SOCK_STREAM,
// SOCK_DGRAM or SOCK_SEQPACKET) owned by cred, whose names live in ns.
func New(ns *Namespace, typ int, cred Cred) *Socket {
	return &Socket{typ: typ, home: ns, ino: inet.NextIno(), ctime: vfs.Now(), sndBuf: DefaultBufSize, rcvBuf: DefaultBufSize, cred: cred}
}

// Pair returns two sockets connected to each other (socketpair(2)).
func Pair(ns *Namespace, typ int, cred Cred) (*Socket, *Socket) {
	a, b := New(ns, typ, cred), New(ns, typ, cred)
	a.peer, b.peer = b, a
	a.connected, b.connected = true, true
	a.peerCred, b.peerCred = cred, cred
	a.hasPeerCred, b.hasPeerCred = true, true
	return a, b
}

// NewFile wraps s in a file description; flags may hold O_NONBLOCK.
func NewFile(s *Socket, flags int) *vfs.FileDescription {
	return vfs.NewDescription(s, vfs.DescriptionOptions{Flags: flags&unix.O_NONBLOCK | unix.O_RDWR, Stream: true})
}

// Type returns the socket type.
func (s *Socket) Type() int { return s.typ }

func (s *Socket) connOriented() bool { return s.typ != unix.SOCK_DGRAM }

// Key identifies a bound name: a filesystem socket node (Dev, Ino) or an
// abstract name.
type Key struct {
	Dev, Ino uint64
	Abstract string
}

// Namespace is the set of bound names of one kernel.
type Namespace struct {
	mu    sync.Mutex // taken under the package mu
	names map[Key]*Socket
	auto  uint32
}

// NewNamespace returns an empty namespace.
func NewNamespace() *Namespace { return &Namespace{names: map[Key]*Socket{}} }

// Lookup returns the socket bound to k, or ECONNREFUSED.
func (ns *Namespace) Lookup(k Key) (*Socket, error) {
	mu.Lock()
	defer mu.Unlock()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	s := ns.names[k]
	if s == nil || s.released {
		return nil, unix.ECONNREFUSED
	}
	return s, nil
}

// BindKey gives s the name, registered under k in ns. EINVAL if s is
// bound, EADDRINUSE if k is taken.
func (s *Socket) BindKey(ns *Namespace, k Key, name string) error {
	mu.Lock()
	defer mu.Unlock()
	if s.name != "" {
		return unix.EINVAL
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if o := ns.names[k]; o != nil && !o.released {
		return unix.EADDRINUSE
	}
	ns.names[k] = s
	s.name, s.ns, s.key = name, ns, k
	return nil
}

// Bound reports whether s has a name.
func (s *Socket) Bound() bool {
	mu.Lock()
	defer mu.Unlock()
	return s.name != ""
}

// AutoBind binds s to a fresh abstract name, as bind with only the family
// does. It does nothing if s is bound.
func (s *Socket) AutoBind(ns *Namespace) error {
	for i := 0; i < 1<<20; i++ {
		ns.mu.Lock()
		ns.auto++
		n := ns.auto & 0xfffff
		ns.mu.Unlock()
		name := "\x00" + hex5(n)
		err := s.BindKey(ns, Key{Abstract: name}, name)
		if err == unix.EADDRINUSE {
			continue
		}
		if err == unix.EINVAL {
			return nil // already bound
		}
		return err
	}
	return unix.ENOSPC
}

func hex5(n uint32) string {
	const digits = "0123456789abcdef"
	var b [5]byte
	for i := 4; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// Name returns the bound name ("" if unbound).
func (s *Socket) Name() string {
	mu.Lock()
	defer mu.Unlock()
	return s.name
}

// peerName returns the peer's name, or ENOTCONN.
func (s *Socket) peerName() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if s.peer == nil {
		return "", unix.ENOTCONN
	}
	return s.peer.name, nil
}

// Listen implements inet.Socket.Listen: it makes a stream or seqpacket
// socket accept connections.
func (s *Socket) Listen(_ *inet.Caller, backlog int) error {
	if !s.connOriented() {
		return unix.EOPNOTSUPP
	}
	mu.Lock()
	defer mu.Unlock()
	if s.connected {
		return unix.EINVAL
	}
	if s.name == "" {
		return unix.EINVAL
	}
	if backlog < 0 || backlog > MaxBacklog {
		backlog = MaxBacklog
	}
	s.backlog = backlog
	s.listening = true
	return nil
}

// Listening reports whether s is listening (SO_ACCEPTCONN).
func (s *Socket) Listening() bool {
	mu.Lock()
	defer mu.Unlock()
	return s.listening
}

// wait runs try under mu until it reports done, waiting on q for the
// events in mask in between, following the Blocker contract.
func wait(b vfs.Blocker, q *vfs.Queue, mask uint32, try func() (done bool, err error)) error {
	mu.Lock()
	done, err := try()
	mu.Unlock()
	if done || err != nil {
		return err
	}
	if b == vfs.NonBlocking {
		return unix.EAGAIN
	}
	w := vfs.NewEntry(mask | vfs.EventErr | vfs.EventHup)
	q.Register(w)
	defer q.Unregister(w)
	for {
		mu.Lock()
		done, err := try()
		mu.Unlock()
		if done || err != nil {
			return err
		}
		if err := vfs.Wait(b, w); err != nil {
			return err
		}
	}
}

// AcceptSocket waits for a connection and returns the new socket.
func (s *Socket) AcceptSocket(b vfs.Blocker) (*Socket, error) {
	var got *Socket
	err := wait(b, &s.q, vfs.EventIn, func() (bool, error) {
		if !s.listening || s.released {
			return false, unix.EINVAL
		}
		if len(s.acceptq) == 0 {
			return false, nil
		}
		got = s.acceptq[0]
		s.acceptq = s.acceptq[1:]
		return true, nil
	})
	if got != nil {
		s.q.Notify(vfs.EventOut) // room in the backlog for connectors
	}
	return got, err
}

// ConnectTo connects s to target (found by name), with cred as the
// connecting process's credentials.
func (s *Socket) ConnectTo(b vfs.Blocker, target *Socket, cred Cred) error {
	if target.typ != s.typ {
		return unix.EPROTOTYPE
	}
	if !s.connOriented() {
		mu.Lock()
		defer mu.Unlock()
		if target.released || target.name == "" {
			return unix.ECONNREFUSED
		}
		s.peer = target
		s.peerCred, s.hasPeerCred = target.cred, true
		return nil
	}
	var srv *Socket
	err := wait(b, &target.q, vfs.EventOut, func() (bool, error) {
		if s.connected {
			return false, unix.EISCONN
		}
		if s.listening {
			return false, unix.EINVAL
		}
		if target.released || !target.listening {
			return false, unix.ECONNREFUSED
		}
		if len(target.acceptq) > target.backlog {
			return false, nil
		}
		srv = New(target.home, s.typ, target.cred)
		srv.name = target.name
		srv.peer, s.peer = s, srv
		srv.connected, s.connected = true, true
		srv.peerCred, srv.hasPeerCred = cred, true
		s.peerCred, s.hasPeerCred = target.cred, true
		srv.passCred = target.passCred
		target.acceptq = append(target.acceptq, srv)
		return true, nil
	})
	if err == nil {
		target.q.Notify(vfs.EventIn)
		s.q.Notify(vfs.EventOut)
	}
	return err
}

// Shutdown implements inet.Socket.Shutdown: it shuts down reception
// (SHUT_RD), transmission (SHUT_WR) or both.
func (s *Socket) Shutdown(_ *inet.Caller, how int) error {
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return unix.EINVAL
	}
	mu.Lock()
	if s.connOriented() && !s.connected {
		mu.Unlock()
		return unix.ENOTCONN
	}
	rd := how == unix.SHUT_RD || how == unix.SHUT_RDWR
	wr := how == unix.SHUT_WR || how == unix.SHUT_RDWR
	p := s.peer
	if rd {
		s.shutRcv = true
	}
	if wr {
		s.shutSnd = true
	}
	if p != nil && s.connOriented() {
		if rd {
			p.shutSnd = true
		}
		if wr {
			p.shutRcv = true
		}
	}
	mu.Unlock()
	s.q.Notify(vfs.EventAll)
	if p != nil {
		p.q.Notify(vfs.EventAll)
	}
	return nil
}

// room reports whether r can queue n more bytes (one more datagram).
// Called with mu held.
func (r *Socket) room(n int) bool {
	if r.typ != unix.SOCK_STREAM && len(r.recvq) >= MaxDgramQueue {
		return false
	}
	if r.recvBytes == 0 {
		return true
	}
	return r.recvBytes+n <= r.rcvBuf
}

// SendOptions are the arguments of Send besides the data.
type SendOptions struct {
	// To is the destination of a datagram (nil: the connected peer).
	To *Socket
	// Ctl is the ancillary data. On success Send owns its references;
	// on failure the caller keeps them.
	Ctl Control
	// Cred are the sender's credentials, added when the receiver has
	// SO_PASSCRED and Ctl carries none.
	Cred Cred
}

// Send sends data (send(2), sendmsg(2)). For a stream socket it may send
// part of data when interrupted or non-blocking after some progress.
func (s *Socket) Send(b vfs.Blocker, data []byte, o SendOptions) (int, error) {
	if s.typ == unix.SOCK_STREAM {
		return s.sendStream(b, data, o)
	}
	return s.sendMsg(b, data, o)
}

func (s *Socket) sendMsg(b vfs.Blocker, data []byte, o SendOptions) (int, error) {
	if len(data) > s.sndBuf && len(data) > DefaultBufSize {
		return 0, unix.EMSGSIZE
	}
	target, err := s.destination(o.To)
	if err != nil {
		return 0, err
	}
	err = wait(b, &target.q, vfs.EventOut, func() (bool, error) {
		if s.shutSnd {
			return false, unix.EPIPE
		}
		if target.released {
			if s.connOriented() {
				return false, unix.EPIPE
			}
			return false, unix.ECONNREFUSED
		}
		if s.typ == unix.SOCK_DGRAM && target.peer != nil && target.peer != s {
			// A connected datagram socket takes only its peer's.
			return false, unix.EPERM
		}
		if target.shutRcv && s.connOriented() {
			return false, unix.EPIPE
		}
		if !target.room(len(data)) {
			return false, nil
		}
		m := &message{data: append([]byte(nil), data...), ctl: o.Ctl, from: s.name}
		if m.ctl.Cred == nil && target.passCred {
			c := o.Cred
			m.ctl.Cred = &c
		}
		target.recvq = append(target.recvq, m)
		target.recvBytes += len(data)
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	target.q.Notify(vfs.EventIn)
	return len(data), nil
}

// destination returns where a message goes.
func (s *Socket) destination(to *Socket) (*Socket, error) {
	mu.Lock()
	defer mu.Unlock()
	if s.connOriented() {
		if to != nil && !s.connected {
			return nil, unix.EOPNOTSUPP
		}
		if !s.connected {
			return nil, unix.ENOTCONN
		}
		if s.shutSnd || s.peer == nil {
			return nil, unix.EPIPE
		}
		return s.peer, nil
	}
	if to != nil {
		if to.typ != s.typ {
			return nil, unix.EPROTOTYPE
		}
		return to, nil
	}
	if s.peer == nil {
		return nil, unix.ENOTCONN
	}
	return s.peer, nil
}

func (s *Socket) sendStream(b vfs.Blocker, data []byte, o SendOptions) (int, error) {
	target, err := s.destination(nil)
	if err != nil {
		return 0, err
	}
	done := 0
	first := true
	err = wait(b, &target.q, vfs.EventOut, func() (bool, error) {
		if s.shutSnd || target.released || target.shutRcv {
			return false, unix.EPIPE
		}
		for done < len(data) || first {
			space := target.rcvBuf - target.recvBytes
			if space <= 0 {
				return false, nil
			}
			n := min(space, len(data)-done)
			m := &message{data: append([]byte(nil), data[done:done+n]...)}
			if first {
				m.ctl = o.Ctl
				if m.ctl.Cred == nil && target.passCred {
					c := o.Cred
					m.ctl.Cred = &c
				}
				first = false
			}
			target.recvq = append(target.recvq, m)
			target.recvBytes += n
			done += n
			target.q.Notify(vfs.EventIn)
		}
		return true, nil
	})
	if done > 0 {
		return done, nil
	}
	if err != nil && !first {
		// Control data went with an (empty) message.
		return 0, nil
	}
	return 0, err
}

// RecvOptions are the flags of Recv.
type RecvOptions struct {
	Peek    bool // MSG_PEEK
	WaitAll bool // MSG_WAITALL
	// WantCtl says the caller takes ancillary data (recvmsg); otherwise
	// passed descriptors are closed.
	WantCtl bool
}

// RecvResult is what Recv returns besides the byte count.
type RecvResult struct {
	// MsgLen is the full length of the datagram or record (for
	// MSG_TRUNC); for streams the bytes returned.
	MsgLen int
	// Truncated says a datagram or record did not fit.
	Truncated bool
	// From is the sender's name (datagram sockets).
	From string
	// Ctl is the ancillary data; the caller owns its references.
	Ctl Control
}

// Recv receives into dst (recv(2), recvmsg(2)).
func (s *Socket) Recv(b vfs.Blocker, dst []byte, o RecvOptions) (int, RecvResult, error) {
	var res RecvResult
	var drop []*vfs.FileDescription
	n := 0
	err := wait(b, &s.q, vfs.EventIn, func() (bool, error) {
		if s.listening {
			return false, unix.EINVAL
		}
		if len(s.recvq) == 0 {
			if n > 0 && !o.WaitAll {
				return true, nil
			}
			if s.shutRcv || (s.connOriented() && s.connected && (s.peer == nil || s.peer.released)) {
				return true, nil
			}
			if s.connOriented() && !s.connected {
				return false, unix.ENOTCONN
			}
			return false, nil
		}
		if s.typ != unix.SOCK_STREAM {
			m := s.recvq[0]
			n = copy(dst, m.data)
			res.MsgLen = len(m.data)
			res.Truncated = n < len(m.data)
			res.From = m.from
			if !o.Peek {
				s.recvq = s.recvq[1:]
				s.recvBytes -= len(m.data)
				if o.WantCtl {
					res.Ctl = m.ctl
				} else {
					drop = append(drop, m.ctl.Files...)
				}
			} else if m.ctl.Cred != nil {
				c := *m.ctl.Cred
				res.Ctl.Cred = &c
			}
			return true, nil
		}
		// A stream: take bytes from consecutive messages, stopping
		// before a message with descriptors once some were read (as
		// Linux does) and at the first one with descriptors after it.
		for i := 0; i < len(s.recvq) && n < len(dst); {
			m := s.recvq[i]
			if n > 0 && (len(m.ctl.Files) > 0 || m.ctl.Cred != nil) {
				break
			}
			if n == 0 {
				if o.WantCtl && !o.Peek {
					res.Ctl = m.ctl
					m.ctl = Control{}
				} else if !o.Peek {
					drop = append(drop, m.ctl.Files...)
					m.ctl = Control{}
				}
			}
			c := copy(dst[n:], m.data)
			n += c
			hadFiles := len(res.Ctl.Files) > 0
			if o.Peek {
				i++
			} else if c == len(m.data) {
				s.recvq = s.recvq[1:]
				s.recvBytes -= c
			} else {
				m.data = m.data[c:]
				s.recvBytes -= c
			}
			if hadFiles {
				break
			}
		}
		res.MsgLen = n
		if s.peer != nil {
			s.peer.q.Notify(vfs.EventOut)
		}
		if o.WaitAll && n < len(dst) && !o.Peek {
			s.q.Notify(vfs.EventOut)
			return false, nil
		}
		return true, nil
	})
	s.q.Notify(vfs.EventOut)
	for _, f := range drop {
		f.DecRef()
	}
	if n > 0 && s.typ == unix.SOCK_STREAM {
		res.MsgLen = n
		return n, res, nil
	}
	if err != nil {
		return 0, RecvResult{}, err
	}
	return n, res, nil
}

// Read implements vfs.FileImpl.Read.
func (s *Socket) Read(b vfs.Blocker, dst []byte, _ int64) (int, error) {
	if len(dst) == 0 && s.typ == unix.SOCK_STREAM {
		return 0, nil
	}
	n, _, err := s.Recv(b, dst, RecvOptions{})
	return n, err
}

// Write implements vfs.FileImpl.Write. EPIPE is returned for the caller to
// raise SIGPIPE.
func (s *Socket) Write(b vfs.Blocker, src []byte, _ int64) (int, error) {
	if len(src) == 0 && s.typ == unix.SOCK_STREAM {
		return 0, nil
	}
	return s.Send(b, src, SendOptions{})
}

// Stat implements vfs.FileImpl.Stat.
func (s *Socket) Stat() (vfs.Stat, error) {
	return inet.SockStat(s.ino, s.ctime), nil
}

// Release implements vfs.FileImpl.Release: the peer sees end of file (or
// EPIPE on writing), pending connections are refused, the name is freed
// and queued descriptors are closed.
func (s *Socket) Release() {
	mu.Lock()
	s.released = true
	var notify []*Socket
	var drop []*vfs.FileDescription
	if s.ns != nil {
		s.ns.mu.Lock()
		if s.ns.names[s.key] == s {
			delete(s.ns.names, s.key)
		}
		s.ns.mu.Unlock()
	}
	if p := s.peer; p != nil && s.connOriented() {
		p.shutRcv, p.shutSnd = true, true
		notify = append(notify, p)
	} else if p != nil && p.peer == s {
		// A datagram peer's writes now fail.
		notify = append(notify, p)
	}
	pending := s.acceptq
	s.acceptq = nil
	for _, m := range s.recvq {
		drop = append(drop, m.ctl.Files...)
	}
	s.recvq, s.recvBytes = nil, 0
	mu.Unlock()
	for _, p := range notify {
		p.q.Notify(vfs.EventAll)
	}
	for _, c := range pending {
		c.Release()
	}
	for _, f := range drop {
		f.DecRef()
	}
	s.q.Notify(vfs.EventAll)
}

// Readiness implements vfs.Waitable.
func (s *Socket) Readiness(mask uint32) uint32 {
	mu.Lock()
	defer mu.Unlock()
	var r uint32
	if s.listening {
		if len(s.acceptq) > 0 {
			r |= vfs.EventIn
		}
		return r & mask
	}
	if len(s.recvq) > 0 || s.shutRcv {
		r |= vfs.EventIn
	}
	if s.shutRcv {
		r |= vfs.EpollRdHup
	}
	if s.shutRcv && s.shutSnd {
		r |= vfs.EventHup
	}
	if s.soErr != 0 {
		r |= vfs.EventErr
	}
	switch {
	case s.connOriented() && !s.connected:
		// An unconnected stream socket reports POLLOUT on Linux.
		r |= vfs.EventOut
	case s.shutSnd:
		if s.connOriented() {
			r |= vfs.EventOut // the write fails at once with EPIPE
		}
	case s.peer == nil:
		r |= vfs.EventOut
	case s.peer.released:
		r |= vfs.EventOut
	case s.peer.rcvBuf-s.peer.recvBytes > 0 && (s.typ == unix.SOCK_STREAM || len(s.peer.recvq) < MaxDgramQueue):
		r |= vfs.EventOut
	}
	return r & (mask | vfs.EventErr | vfs.EventHup)
}

// EventRegister implements vfs.Waitable.
func (s *Socket) EventRegister(e *vfs.Entry) { s.q.Register(e) }

// EventUnregister implements vfs.Waitable.
func (s *Socket) EventUnregister(e *vfs.Entry) { s.q.Unregister(e) }

// Ioctl implements vfs.Ioctler: FIONREAD (SIOCINQ) reports the bytes
// queued (the next datagram's size for datagram sockets), TIOCOUTQ
// (SIOCOUTQ) 0.
func (s *Socket) Ioctl(_ vfs.Blocker, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	var n int
	switch cmd {
	case vfs.FIONREAD:
		mu.Lock()
		if s.typ == unix.SOCK_STREAM {
			n = s.recvBytes
		} else if len(s.recvq) > 0 {
			n = len(s.recvq[0].data)
		}
		mu.Unlock()
	case unix.TIOCOUTQ:
	default:
		return 0, unix.ENOTTY
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	if _, err := mem.CopyOut(arg, b[:]); err != nil {
		return 0, err
	}
	return 0, nil
}

// Options.

// SetPassCred sets SO_PASSCRED.
func (s *Socket) SetPassCred(v bool) { mu.Lock(); s.passCred = v; mu.Unlock() }

// PassCred returns SO_PASSCRED.
func (s *Socket) PassCred() bool { mu.Lock(); defer mu.Unlock(); return s.passCred }

// SetBufSize sets SO_SNDBUF (snd) or SO_RCVBUF; as Linux does, the value
// stored is twice the one asked, within limits.
func (s *Socket) SetBufSize(snd bool, v int) {
	v = min(max(v, 2304), 1<<27) * 2
	mu.Lock()
	if snd {
		s.sndBuf = v
	} else {
		s.rcvBuf = v
	}
	mu.Unlock()
}

// BufSize returns SO_SNDBUF (snd) or SO_RCVBUF.
func (s *Socket) BufSize(snd bool) int {
	mu.Lock()
	defer mu.Unlock()
	if snd {
		return s.sndBuf
	}
	return s.rcvBuf
}

// TakeError returns and clears SO_ERROR.
func (s *Socket) TakeError() unix.Errno {
	mu.Lock()
	defer mu.Unlock()
	e := s.soErr
	s.soErr = 0
	return e
}

// PeerCred returns SO_PEERCRED: the peer's credentials at connect time,
// or pid 0 and uid/gid -1 when there is none.
func (s *Socket) PeerCred() Cred {
	mu.Lock()
	defer mu.Unlock()
	if !s.hasPeerCred {
		return Cred{UID: ^uint32(0), GID: ^uint32(0)}
	}
	return s.peerCred
}
