package loopback

import (
	"net/netip"
	"time"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// sock is what TCP and UDP sockets share: the family, the local and
// remote addresses, the options and the waiter queue.
type sock struct {
	st     *Stack
	family int // AF_INET or AF_INET6; immutable
	typ    int // SOCK_STREAM or SOCK_DGRAM; immutable
	proto  int // IPPROTO_TCP or IPPROTO_UDP; immutable
	ino    uint64
	ctime  vfs.Timespec
	// owner is the *stream or *dgram that embeds this sock; immutable.
	owner any
	q     vfs.Queue

	// The rest is protected by st.mu.

	// local is the bound address (the wildcard address when bound to
	// it); valid when bound.
	local netip.AddrPort
	bound bool
	// remote is the peer (TCP) or the default destination (UDP); valid
	// when hasRemote.
	remote    netip.AddrPort
	hasRemote bool
	// v6only is IPV6_V6ONLY (AF_INET6 only): the socket neither
	// reaches nor is reached by IPv4.
	v6only bool
	// listening is set for a listening TCP socket (tcp.go).
	listening bool
	// soErr is the pending error SO_ERROR returns and clears.
	soErr    unix.Errno
	released bool
	opts     options
	// uid is the owner's user ID (noteOwnerLocked), valid when
	// hasOwner.
	uid      uint32
	hasOwner bool
}

func (st *Stack) newSock(family, typ, proto int) sock {
	return sock{
		st: st, family: family, typ: typ, proto: proto,
		ino: inet.NextIno(), ctime: vfs.Now(), opts: defaultOptions(),
	}
}

// Family implements inet.Socket.
func (s *sock) Family() int { return s.family }

// Type implements inet.Socket.
func (s *sock) Type() int { return s.typ }

// Stat implements vfs.FileImpl.
func (s *sock) Stat() (vfs.Stat, error) { return inet.SockStat(s.ino, s.ctime), nil }

// EventRegister implements vfs.Waitable.
func (s *sock) EventRegister(e *vfs.Entry) { s.q.Register(e) }

// EventUnregister implements vfs.Waitable.
func (s *sock) EventUnregister(e *vfs.Entry) { s.q.Unregister(e) }

// isListening reports whether s is a listening TCP socket.
//
// Preconditions: st.mu is held.
func (s *sock) isListening() bool { return s.listening }

// SockName implements inet.Socket: an unbound socket has its family's
// wildcard address and port 0.
func (s *sock) SockName(*inet.Caller) ([]byte, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if !s.bound {
		return encodeAddr(s.family, netip.AddrPort{}), nil
	}
	return encodeAddr(s.family, s.local), nil
}

// PeerName implements inet.Socket.
func (s *sock) PeerName(*inet.Caller) ([]byte, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if !s.hasRemote {
		return nil, unix.ENOTCONN
	}
	return encodeAddr(s.family, s.remote), nil
}

// Bind implements inet.Socket.
func (s *sock) Bind(c *inet.Caller, raw []byte) error {
	ap, mapped, err := decodeAddr(s.family, raw, true)
	if err != nil {
		return err
	}
	if s.family == unix.AF_INET && isUnspecifiedFamily(raw) && ap.Addr() != any4 {
		// AF_UNSPEC is accepted only with INADDR_ANY.
		return unix.EAFNOSUPPORT
	}
	if !local(ap.Addr()) {
		return unix.EADDRNOTAVAIL
	}
	if ap.Port() != 0 && ap.Port() < 1024 && c != nil && c.Cred.UID != 0 {
		return unix.EACCES
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if mapped && s.v6only {
		return unix.EINVAL
	}
	if s.bound {
		return unix.EINVAL
	}
	s.noteOwnerLocked(c)
	return st.bindLocked(s, ap.Addr(), ap.Port())
}

// timeout returns SO_SNDTIMEO (snd) or SO_RCVTIMEO.
func (s *sock) timeout(snd bool) time.Duration {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if snd {
		return s.opts.sndTimeo
	}
	return s.opts.rcvTimeo
}

// takeErrorLocked returns and clears the pending error.
//
// Preconditions: st.mu is held.
func (s *sock) takeErrorLocked() error {
	e := s.soErr
	s.soErr = 0
	if e == 0 {
		return nil
	}
	return e
}

// blocker returns c's Blocker (nil, uninterruptible, for a nil c).
func blocker(c *inet.Caller) vfs.Blocker {
	if c == nil {
		return nil
	}
	return c.Blocker
}

// wait runs try under st.mu until it reports done or fails, waiting on q
// for the events in mask in between, following the vfs.Blocker contract.
// A timeout (SO_RCVTIMEO, SO_SNDTIMEO) above zero ends the wait with
// EAGAIN.
func (st *Stack) wait(b vfs.Blocker, q *vfs.Queue, mask uint32, timeout time.Duration, try func() (done bool, err error)) error {
	return vfs.WaitFor(b, &st.mu, q, mask, timeout, try)
}

// ioctl serves the ioctls of TCP and UDP sockets: FIONREAD (SIOCINQ)
// reports the bytes queued (for UDP the next datagram's size), TIOCOUTQ
// (SIOCOUTQ) 0: data is delivered at once; the SIOCGIF* interface ioctls
// describe the stack's interfaces (inet.InterfaceIoctl).
func (st *Stack) ioctl(mem vfs.UserMemory, cmd uint32, arg uintptr, inq func() int) (uintptr, error) {
	var n int
	switch cmd {
	case vfs.FIONREAD:
		n = inq()
	case unix.TIOCOUTQ:
	default:
		if r, err, ok := inet.InterfaceIoctl(st.Interfaces(), mem, cmd, arg); ok {
			return r, err
		}
		return 0, unix.ENOTTY
	}
	if _, err := mem.CopyOut(arg, inet.OptInt(n)); err != nil {
		return 0, err
	}
	return 0, nil
}
