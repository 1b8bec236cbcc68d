package loopback

import (
	"net/netip"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// stream is a TCP socket. A connection is a pair of streams, each
// writing into the other's receive buffer; connect completes at once
// (there is no handshake to wait for), so there is no SYN_SENT state and
// no EINPROGRESS.
type stream struct {
	sock

	// The rest is protected by st.mu.

	// Listening sockets: backlog and the connections not yet accepted.
	backlog int
	acceptq []*stream

	// connected is set once connect or accept made the socket one end
	// of a connection; it stays set after the connection ends.
	connected bool
	peer      *stream

	// rbuf holds the bytes received and not yet read; at most
	// opts.rcvBuf of them.
	rbuf []byte

	// fin: the peer will send nothing more (it shut down writing or
	// closed); reads return EOF once rbuf is empty.
	fin bool
	// rdShut: reads return EOF once rbuf is empty (our SHUT_RD, or a
	// reset).
	rdShut bool
	// wrShut: writes fail with EPIPE (our SHUT_WR, or the connection is
	// gone).
	wrShut bool
	// peerClosed: the peer's socket was released after our last read
	// of its data; the next write is discarded and answered by a reset
	// (EPIPE), as the peer's kernel would.
	peerClosed bool
}

func (st *Stack) newStream(family int) *stream {
	s := &stream{sock: st.newSock(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)}
	s.owner = s
	return s
}

// Listen implements inet.Socket.
func (s *stream) Listen(c *inet.Caller, backlog int) error {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	s.noteOwnerLocked(c)
	if s.connected {
		return unix.EINVAL
	}
	if err := st.autoBindLocked(&s.sock); err != nil {
		return err
	}
	if !s.listening {
		// Two listeners may not share a port unless both asked for
		// SO_REUSEPORT (SO_REUSEADDR lets them bind, not listen).
		for _, o := range st.ports[portKey{s.proto, s.local.Port()}] {
			if o != &s.sock && o.listening && s.overlaps(s.local.Addr(), o) && !(s.opts.reusePort && o.opts.reusePort) {
				return unix.EADDRINUSE
			}
		}
	}
	if backlog < 0 || backlog > MaxBacklog {
		backlog = MaxBacklog
	}
	s.backlog = backlog
	s.listening = true
	return nil
}

// Accept implements inet.Socket.
func (s *stream) Accept(c *inet.Caller, nonblock bool) (*vfs.FileDescription, []byte, error) {
	st := s.st
	var got *stream
	err := st.wait(blocker(c), &s.q, vfs.EventIn, s.timeout(false), func() (bool, error) {
		if !s.listening {
			return false, unix.EINVAL
		}
		if len(s.acceptq) == 0 {
			return false, nil
		}
		got = s.acceptq[0]
		s.acceptq = s.acceptq[1:]
		return true, nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.q.Notify(vfs.EventOut) // room in the backlog for waiting connectors
	st.mu.Lock()
	peer := encodeAddr(s.family, got.remote)
	st.mu.Unlock()
	flags := unix.O_RDWR
	if nonblock {
		flags |= unix.O_NONBLOCK
	}
	return vfs.NewDescription(got, vfs.DescriptionOptions{Flags: flags, Stream: true}), peer, nil
}

// Connect implements inet.Socket: it finds the listener for the address
// and queues a new connected socket on it, waiting for room in the
// backlog (a non-blocking connect queues beyond the backlog, up to
// MaxBacklog, then fails with EAGAIN).
func (s *stream) Connect(c *inet.Caller, raw []byte) error {
	st := s.st
	if isUnspecifiedFamily(raw) {
		st.mu.Lock()
		defer st.mu.Unlock()
		if s.connected && s.peer != nil {
			s.abortLocked()
		}
		return nil
	}
	ap, _, err := decodeAddr(s.family, raw, false)
	if err != nil {
		return err
	}
	dst, err := destination(ap.Addr())
	if err != nil {
		return err
	}
	to := netip.AddrPortFrom(dst, ap.Port())
	nonblock := blocker(c) == vfs.NonBlocking
	var l *stream
	var waitQ *vfs.Queue
	connect := func() (bool, error) {
		if s.connected || s.listening {
			return false, unix.EISCONN
		}
		if s.family == unix.AF_INET6 && s.v6only && dst.Is4() {
			return false, unix.ENETUNREACH
		}
		s.noteOwnerLocked(c)
		if err := st.autoBindLocked(&s.sock); err != nil {
			return false, err
		}
		src, err := sourceFor(s.local.Addr(), dst)
		if err != nil {
			return false, err
		}
		from := netip.AddrPortFrom(src, s.local.Port())
		o := st.lookupLocked(unix.IPPROTO_TCP, to, from, func(o *sock) bool { return o.listening })
		if o == nil || to.Port() == 0 {
			return false, unix.ECONNREFUSED
		}
		l = o.owner.(*stream)
		if len(l.acceptq) > l.backlog {
			if !nonblock {
				waitQ = &l.q
				return false, nil
			}
			if len(l.acceptq) >= MaxBacklog {
				return false, unix.EAGAIN
			}
		}
		// The server's end: bound to the address connected to, on the
		// listener's port, with the listener's options.
		srv := st.newStream(l.family)
		srv.opts = l.opts.clone()
		srv.v6only = l.v6only
		srv.uid, srv.hasOwner = l.uid, l.hasOwner
		srv.local = to
		srv.bound = true
		k := portKey{unix.IPPROTO_TCP, to.Port()}
		st.ports[k] = append(st.ports[k], &srv.sock)
		srv.remote, srv.hasRemote = from, true
		srv.connected = true
		s.local = from
		s.remote, s.hasRemote = to, true
		s.connected = true
		s.peer, srv.peer = srv, s
		l.acceptq = append(l.acceptq, srv)
		return true, nil
	}
	// The first try decides which queue a blocking connect waits on
	// (its listener's, for room in the backlog).
	st.mu.Lock()
	done, err := connect()
	st.mu.Unlock()
	if err == nil && !done {
		err = st.wait(blocker(c), waitQ, vfs.EventOut, s.timeout(true), connect)
	}
	if err != nil {
		return err
	}
	l.q.Notify(vfs.EventIn)
	s.q.Notify(vfs.EventOut)
	return nil
}

// abortLocked ends s's connection with a reset: the peer's next read or
// write fails with ECONNRESET.
//
// Preconditions: st.mu is held.
func (s *stream) abortLocked() {
	if p := s.peer; p != nil && !p.released {
		p.soErr = unix.ECONNRESET
		p.rdShut, p.wrShut = true, true
		p.peer = nil
		p.q.Notify(vfs.EventAll)
	}
	s.peer = nil
	s.rdShut, s.wrShut = true, true
	s.rbuf = nil
}

// Shutdown implements inet.Socket.
func (s *stream) Shutdown(_ *inet.Caller, how int) error {
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return unix.EINVAL
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	rd := how == unix.SHUT_RD || how == unix.SHUT_RDWR
	wr := how == unix.SHUT_WR || how == unix.SHUT_RDWR
	if s.listening {
		if rd {
			// A listener shut down for reading stops listening.
			s.stopListeningLocked()
		}
		return nil
	}
	if !s.connected {
		return unix.ENOTCONN
	}
	if rd {
		s.rdShut = true
	}
	if wr && !s.wrShut {
		s.wrShut = true
		if p := s.peer; p != nil {
			p.fin = true
			p.q.Notify(vfs.EventIn | vfs.EpollRdHup | vfs.EventHup)
		}
	}
	s.q.Notify(vfs.EventAll)
	return nil
}

// stopListeningLocked resets the connections not yet accepted and stops
// listening.
//
// Preconditions: st.mu is held.
func (s *stream) stopListeningLocked() {
	for _, c := range s.acceptq {
		c.abortLocked()
		c.released = true
		s.st.unbindLocked(&c.sock)
	}
	s.acceptq = nil
	s.listening = false
	s.q.Notify(vfs.EventAll)
}

// SendMsg implements inet.Socket. It writes as much as fits in the
// peer's receive buffer and waits for room for the rest; interrupted or
// non-blocking after some progress, it returns what it wrote.
func (s *stream) SendMsg(c *inet.Caller, data []byte, m inet.SendMsg) (int, error) {
	if !m.Ctl.Empty() {
		return 0, unix.EINVAL
	}
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	st := s.st
	done := 0
	err := st.wait(blocker(c), &s.q, vfs.EventOut, s.timeout(true), func() (bool, error) {
		if err := s.takeErrorLocked(); err != nil {
			return false, err
		}
		if s.wrShut {
			return false, unix.EPIPE
		}
		if !s.connected {
			return false, unix.EPIPE // as Linux, for a socket never connected
		}
		if s.peerClosed {
			// The peer's kernel answers with a reset.
			s.peerClosed = false
			s.wrShut = true
			s.soErr = unix.EPIPE
			done = len(data)
			s.q.Notify(vfs.EventErr)
			return true, nil
		}
		p := s.peer
		if p == nil {
			return false, unix.EPIPE
		}
		for done < len(data) {
			space := p.opts.rcvBuf - len(p.rbuf)
			if space <= 0 {
				return false, nil
			}
			n := min(space, len(data)-done)
			if !p.rdShut {
				p.rbuf = append(p.rbuf, data[done:done+n]...)
				p.q.Notify(vfs.EventIn)
			}
			done += n
		}
		return true, nil
	})
	if done > 0 {
		return done, nil
	}
	return 0, err
}

// RecvMsg implements inet.Socket. MSG_PEEK leaves the bytes queued,
// MSG_WAITALL waits for len(dst) bytes (or EOF, an error or a signal).
func (s *stream) RecvMsg(c *inet.Caller, dst []byte, m inet.RecvMsg) (int, inet.RecvResult, error) {
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, inet.RecvResult{}, unix.EINVAL
	}
	if m.Flags&unix.MSG_ERRQUEUE != 0 {
		// The error queue (IP_RECVERR) is always empty.
		return 0, inet.RecvResult{}, unix.EAGAIN
	}
	peek := m.Flags&unix.MSG_PEEK != 0
	waitAll := m.Flags&unix.MSG_WAITALL != 0 && !peek
	st := s.st
	n := 0
	err := st.wait(blocker(c), &s.q, vfs.EventIn, s.timeout(false), func() (bool, error) {
		if s.listening || !s.connected {
			return false, unix.ENOTCONN
		}
		if len(s.rbuf) > 0 {
			c := copy(dst[n:], s.rbuf)
			if !peek {
				s.rbuf = s.rbuf[c:]
				if len(s.rbuf) == 0 {
					s.rbuf = nil
				}
				if p := s.peer; p != nil {
					p.q.Notify(vfs.EventOut)
				}
			}
			n += c
			if !waitAll || n == len(dst) {
				return true, nil
			}
		}
		if n > 0 && !waitAll {
			return true, nil
		}
		if len(dst) == 0 {
			return true, nil
		}
		if s.fin {
			return true, nil
		}
		if err := s.takeErrorLocked(); err != nil {
			if n > 0 {
				s.soErr = err.(unix.Errno) // reported next time
				return true, nil
			}
			return false, err
		}
		if s.rdShut {
			return true, nil
		}
		return false, nil
	})
	if n > 0 {
		return n, inet.RecvResult{MsgLen: n}, nil
	}
	if err != nil {
		return 0, inet.RecvResult{}, err
	}
	return 0, inet.RecvResult{}, nil
}

// Read implements vfs.FileImpl.
func (s *stream) Read(b vfs.Blocker, dst []byte, _ int64) (int, error) {
	n, _, err := s.RecvMsg(&inet.Caller{Blocker: b}, dst, inet.RecvMsg{})
	return n, err
}

// Write implements vfs.FileImpl. EPIPE is returned for the caller to
// raise SIGPIPE.
func (s *stream) Write(b vfs.Blocker, src []byte, _ int64) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	return s.SendMsg(&inet.Caller{Blocker: b}, src, inet.SendMsg{})
}

// Release implements vfs.FileImpl: the peer reads EOF (or ECONNRESET
// when we leave unread data behind, as Linux sends a reset then),
// connections not yet accepted are reset, and the port is freed.
func (s *stream) Release() {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	s.released = true
	if s.listening {
		s.stopListeningLocked()
	}
	if p := s.peer; p != nil && !p.released {
		if len(s.rbuf) > 0 {
			s.abortLocked()
		} else {
			p.fin = true
			p.peerClosed = !p.wrShut
			p.peer = nil
			p.q.Notify(vfs.EventAll)
		}
	}
	s.peer = nil
	s.rbuf = nil
	st.unbindLocked(&s.sock)
	s.q.Notify(vfs.EventAll)
}

// Readiness implements vfs.Waitable, after Linux's tcp_poll.
func (s *stream) Readiness(mask uint32) uint32 {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	var r uint32
	if s.listening {
		if len(s.acceptq) > 0 {
			r |= vfs.EventIn
		}
		return r & mask
	}
	if s.soErr != 0 {
		r |= vfs.EventErr
	}
	if !s.connected {
		// A socket that never connected is "closed": POLLOUT|POLLHUP.
		return (r | vfs.EventOut | vfs.EventHup) & (mask | vfs.EventErr | vfs.EventHup)
	}
	rdDone := s.fin || s.rdShut
	if len(s.rbuf) > 0 || rdDone {
		r |= vfs.EventIn
	}
	if rdDone {
		r |= vfs.EpollRdHup
	}
	if rdDone && s.wrShut {
		r |= vfs.EventHup
	}
	switch p := s.peer; {
	case s.wrShut || p == nil:
		r |= vfs.EventOut // the write fails at once
	case p.opts.rcvBuf-len(p.rbuf) > 0:
		r |= vfs.EventOut
	}
	return r & (mask | vfs.EventErr | vfs.EventHup)
}

// Ioctl implements vfs.Ioctler.
func (s *stream) Ioctl(_ vfs.Blocker, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	return s.st.ioctl(mem, cmd, arg, func() int {
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		if s.listening {
			return 0
		}
		return len(s.rbuf)
	})
}

var (
	_ inet.Socket  = (*stream)(nil)
	_ vfs.Waitable = (*stream)(nil)
	_ vfs.Ioctler  = (*stream)(nil)
)

// closedLocked reports whether the connection is over in both directions
// (Linux's TCP_CLOSE, past TIME_WAIT): both ends sent their FIN, or a
// reset ended it.
//
// Preconditions: st.mu is held.
func (s *stream) closedLocked() bool {
	return s.connected && s.wrShut && (s.fin || s.peer == nil)
}

// PeerName implements inet.Socket: ENOTCONN when never connected or once
// the connection is closed, as Linux.
func (s *stream) PeerName(c *inet.Caller) ([]byte, error) {
	s.st.mu.Lock()
	closed := s.closedLocked()
	s.st.mu.Unlock()
	if closed {
		return nil, unix.ENOTCONN
	}
	return s.sock.PeerName(c)
}
