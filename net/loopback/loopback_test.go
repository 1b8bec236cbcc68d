package loopback

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Helpers: sockets straight from a Stack, addresses as raw sockaddrs.

var (
	block = &inet.Caller{}                           // blocks, uninterruptibly
	nb    = &inet.Caller{Blocker: vfs.NonBlocking}   // never blocks
	user  = &inet.Caller{Cred: inet.Cred{UID: 1000}} // not root
)

func newSock(t *testing.T, st *Stack, family, typ int) inet.Socket {
	t.Helper()
	f, err := st.Socket(family, typ, 0)
	if err != nil {
		t.Fatalf("socket(%d, %d): %v", family, typ, err)
	}
	t.Cleanup(f.DecRef)
	return f.Impl().(inet.Socket)
}

func sa(t *testing.T, family int, s string) []byte {
	t.Helper()
	return encodeAddr(family, netip.MustParseAddrPort(s))
}

func port(b []byte) uint16 { return binary.BigEndian.Uint16(b[2:]) }

func decode(t *testing.T, family int, b []byte) netip.AddrPort {
	t.Helper()
	ap, _, err := decodeAddr(family, b, false)
	if err != nil {
		t.Fatal(err)
	}
	return netip.AddrPortFrom(ap.Addr(), ap.Port())
}

// listener returns a listening TCP socket of family bound to addr and its
// sockaddr.
func listener(t *testing.T, st *Stack, family int, addr string) (inet.Socket, []byte) {
	t.Helper()
	l := newSock(t, st, family, unix.SOCK_STREAM)
	if err := l.Bind(block, sa(t, family, addr)); err != nil {
		t.Fatalf("bind %s: %v", addr, err)
	}
	if err := l.Listen(block, 8); err != nil {
		t.Fatal(err)
	}
	name, _ := l.SockName(block)
	return l, name
}

// connected returns a connected client and server pair over family.
func connected(t *testing.T, st *Stack, family int) (client, server inet.Socket) {
	t.Helper()
	addr := "127.0.0.1:0"
	if family == unix.AF_INET6 {
		addr = "[::1]:0"
	}
	l, name := listener(t, st, family, addr)
	c := newSock(t, st, family, unix.SOCK_STREAM)
	if err := c.Connect(block, name); err != nil {
		t.Fatalf("connect: %v", err)
	}
	f, _, err := l.Accept(block, false)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(f.DecRef)
	return c, f.Impl().(inet.Socket)
}

func recvAll(t *testing.T, s inet.Socket) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 65536)
	for {
		n, _, err := s.RecvMsg(block, buf, inet.RecvMsg{})
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

func TestRegistered(t *testing.T) {
	f, ok := registry.Lookup(registry.KindNet, "loopback")
	if !ok {
		t.Fatal("net loopback is not registered")
	}
	v, err := f.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := v.(inet.Stack)
	ifs := s.Interfaces()
	if len(ifs) != 1 || ifs[0].Name != "lo" || len(ifs[0].Addrs) != 2 {
		t.Errorf("interfaces %+v", ifs)
	}
}

func TestSocketErrors(t *testing.T) {
	st := New()
	for _, tc := range []struct {
		family, typ, proto int
		want               error
	}{
		{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE, nil},
		{unix.AF_NETLINK, unix.SOCK_DGRAM, unix.NETLINK_ROUTE, nil},
		{unix.AF_NETLINK, unix.SOCK_STREAM, unix.NETLINK_ROUTE, unix.ESOCKTNOSUPPORT},
		{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_GENERIC, unix.EPROTONOSUPPORT},
		{unix.AF_PACKET, unix.SOCK_RAW, 0, unix.EAFNOSUPPORT},
		{unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP, unix.ESOCKTNOSUPPORT},
		{unix.AF_INET, unix.SOCK_SEQPACKET, 0, unix.ESOCKTNOSUPPORT},
		{unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_UDP, unix.EPROTONOSUPPORT},
		{unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_TCP, unix.EPROTONOSUPPORT},
		{unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_TCP, nil},
		{unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_UDP, nil},
	} {
		f, err := st.Socket(tc.family, tc.typ, tc.proto)
		if err != tc.want {
			t.Errorf("socket(%d, %d, %d) = %v, want %v", tc.family, tc.typ, tc.proto, err, tc.want)
		}
		if f != nil {
			f.DecRef()
		}
	}
}

func TestBindRules(t *testing.T) {
	st := New()
	for _, tc := range []struct {
		family int
		addr   string
		want   error
	}{
		{unix.AF_INET, "0.0.0.0:0", nil},
		{unix.AF_INET, "127.0.0.1:0", nil},
		{unix.AF_INET, "127.5.6.7:0", nil},
		{unix.AF_INET, "10.0.0.1:0", unix.EADDRNOTAVAIL},
		{unix.AF_INET, "255.255.255.255:0", unix.EADDRNOTAVAIL},
		{unix.AF_INET6, "[::]:0", nil},
		{unix.AF_INET6, "[::1]:0", nil},
		{unix.AF_INET6, "[::ffff:127.0.0.1]:0", nil},
		{unix.AF_INET6, "[fe80::1]:0", unix.EADDRNOTAVAIL},
		{unix.AF_INET6, "[2001:db8::1]:0", unix.EADDRNOTAVAIL},
	} {
		s := newSock(t, st, tc.family, unix.SOCK_STREAM)
		if err := s.Bind(block, sa(t, tc.family, tc.addr)); err != tc.want {
			t.Errorf("bind %s = %v, want %v", tc.addr, err, tc.want)
		}
	}
	s := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	if err := s.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:0")[:8]); err != unix.EINVAL {
		t.Errorf("short sockaddr: %v", err)
	}
	if err := s.Bind(block, sa(t, unix.AF_INET6, "[::1]:0")); err != unix.EAFNOSUPPORT {
		t.Errorf("sockaddr_in6 to AF_INET: %v", err)
	}
	if err := s.Bind(user, sa(t, unix.AF_INET, "127.0.0.1:80")); err != unix.EACCES {
		t.Errorf("privileged port as a user: %v", err)
	}
	if err := s.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	name, _ := s.SockName(block)
	if p := port(name); p < ephemeralFirst || p > ephemeralLast {
		t.Errorf("ephemeral port %d", p)
	}
	if err := s.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:0")); err != unix.EINVAL {
		t.Errorf("second bind: %v", err)
	}
}

func TestAddrInUse(t *testing.T) {
	st := New()
	a := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	if err := a.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:5000")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		family int
		addr   string
		v6only bool
		want   error
	}{
		{unix.AF_INET, "127.0.0.1:5000", false, unix.EADDRINUSE},
		{unix.AF_INET, "0.0.0.0:5000", false, unix.EADDRINUSE},
		{unix.AF_INET, "127.0.0.2:5000", false, nil},
		{unix.AF_INET6, "[::]:5000", false, unix.EADDRINUSE}, // dual stack covers 127.0.0.1
		{unix.AF_INET6, "[::]:5000", true, nil},
		{unix.AF_INET6, "[::1]:5000", false, nil},
	} {
		s := newSock(t, st, tc.family, unix.SOCK_STREAM)
		if tc.v6only {
			if err := s.SetSockOpt(block, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, inet.OptInt(1)); err != nil {
				t.Fatal(err)
			}
		}
		err := s.Bind(block, sa(t, tc.family, tc.addr))
		if err != tc.want {
			t.Errorf("bind %s (v6only %v) = %v, want %v", tc.addr, tc.v6only, err, tc.want)
		}
		if err == nil {
			// Free it again for the next case.
			st.mu.Lock()
			st.unbindLocked(s.(*stream).sockp())
			st.mu.Unlock()
		}
	}
}

func (s *stream) sockp() *sock { return &s.sock }

func TestReuseAddr(t *testing.T) {
	st := New()
	on := inet.OptInt(1)
	l := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	l.SetSockOpt(block, unix.SOL_SOCKET, unix.SO_REUSEADDR, on)
	if err := l.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:6000")); err != nil {
		t.Fatal(err)
	}
	b := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	b.SetSockOpt(block, unix.SOL_SOCKET, unix.SO_REUSEADDR, on)
	if err := b.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:6000")); err != nil {
		t.Fatalf("both SO_REUSEADDR, none listening: %v", err)
	}
	if err := l.Listen(block, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Listen(block, 1); err != unix.EADDRINUSE {
		t.Fatalf("second listener on a port: %v", err)
	}
	c := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	c.SetSockOpt(block, unix.SOL_SOCKET, unix.SO_REUSEADDR, on)
	if err := c.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:6000")); err != unix.EADDRINUSE {
		t.Fatalf("bind beside a listener: %v", err)
	}
	// A connection accepted on the port does not keep a reusing
	// socket off it once the listener is gone.
	cl := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	if err := cl.Connect(block, sa(t, unix.AF_INET, "127.0.0.1:6000")); err != nil {
		t.Fatal(err)
	}
	f, _, err := l.Accept(block, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	l.(*stream).Release()
	d := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	d.SetSockOpt(block, unix.SOL_SOCKET, unix.SO_REUSEADDR, on)
	if err := d.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:6000")); err != nil {
		t.Fatalf("rebind with SO_REUSEADDR after the listener closed: %v", err)
	}
}

func TestConnectRefusedAndUnreachable(t *testing.T) {
	st := New()
	c := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	if err := c.Connect(block, sa(t, unix.AF_INET, "127.0.0.1:7")); err != unix.ECONNREFUSED {
		t.Errorf("connect to a closed port: %v", err)
	}
	if err := c.Connect(block, sa(t, unix.AF_INET, "10.1.2.3:80")); err != unix.ENETUNREACH {
		t.Errorf("connect off the machine: %v", err)
	}
	// A bound, not listening socket refuses too.
	b := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	b.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:7001"))
	if err := c.Connect(block, sa(t, unix.AF_INET, "127.0.0.1:7001")); err != unix.ECONNREFUSED {
		t.Errorf("connect to a bound socket: %v", err)
	}
	// IPV6_V6ONLY listeners are not reached by IPv4.
	l := newSock(t, st, unix.AF_INET6, unix.SOCK_STREAM)
	l.SetSockOpt(block, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, inet.OptInt(1))
	l.Bind(block, sa(t, unix.AF_INET6, "[::]:7002"))
	l.Listen(block, 1)
	if err := c.Connect(block, sa(t, unix.AF_INET, "127.0.0.1:7002")); err != unix.ECONNREFUSED {
		t.Errorf("IPv4 connect to a v6only listener: %v", err)
	}
	c6 := newSock(t, st, unix.AF_INET6, unix.SOCK_STREAM)
	if err := c6.Connect(block, sa(t, unix.AF_INET6, "[::1]:7002")); err != nil {
		t.Errorf("IPv6 connect to a v6only listener: %v", err)
	}
	if err := c6.Connect(block, sa(t, unix.AF_INET6, "[::1]:7002")); err != unix.EISCONN {
		t.Errorf("second connect: %v", err)
	}
}

func TestDualStack(t *testing.T) {
	st := New()
	l, name := listener(t, st, unix.AF_INET6, "[::]:0")
	p := port(name)
	c := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	to := netip.AddrPortFrom(loopback4, p)
	if err := c.Connect(block, encodeAddr(unix.AF_INET, to)); err != nil {
		t.Fatalf("IPv4 connect to a dual-stack listener: %v", err)
	}
	f, peer, err := l.Accept(block, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	// The AF_INET6 side sees the IPv4 peer v4-mapped.
	b := peer[8:24]
	if !bytes.Equal(b[10:12], []byte{0xff, 0xff}) || !bytes.Equal(b[12:], []byte{127, 0, 0, 1}) || len(peer) != sockaddrIn6Len {
		t.Errorf("accepted peer %x", peer)
	}
	local, _ := f.Impl().(inet.Socket).SockName(block)
	if got := decode(t, unix.AF_INET6, local); got != to {
		t.Errorf("accepted local %v, want %v", got, to)
	}
	// An AF_INET6 socket reaches an AF_INET listener through a
	// v4-mapped address.
	l4, name4 := listener(t, st, unix.AF_INET, "127.0.0.1:0")
	c6 := newSock(t, st, unix.AF_INET6, unix.SOCK_STREAM)
	mapped := encodeAddr(unix.AF_INET6, netip.AddrPortFrom(loopback4, port(name4)))
	if err := c6.Connect(block, mapped); err != nil {
		t.Fatalf("v4-mapped connect: %v", err)
	}
	f4, _, err := l4.Accept(block, false)
	if err != nil {
		t.Fatal(err)
	}
	f4.DecRef()
}

func TestStreamData(t *testing.T) {
	st := New()
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		c, s := connected(t, st, fam)
		want := bytes.Repeat([]byte("0123456789abcdef"), 100000) // 1.6 MB, several buffers
		go func() {
			n, err := c.SendMsg(block, want, inet.SendMsg{})
			if n != len(want) || err != nil {
				t.Errorf("send: %d %v", n, err)
			}
			c.Shutdown(block, unix.SHUT_WR)
		}()
		if got := recvAll(t, s); !bytes.Equal(got, want) {
			t.Fatalf("family %d: got %d bytes, want %d", fam, len(got), len(want))
		}
		// EOF again, and the other direction still works.
		if n, _, err := s.RecvMsg(block, make([]byte, 1), inet.RecvMsg{}); n != 0 || err != nil {
			t.Fatalf("after EOF: %d %v", n, err)
		}
		if _, err := s.SendMsg(block, []byte("back"), inet.SendMsg{}); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		if n, _, _ := c.RecvMsg(block, buf, inet.RecvMsg{}); string(buf[:n]) != "back" {
			t.Fatalf("reply %q", buf[:n])
		}
		if _, err := c.SendMsg(block, []byte("x"), inet.SendMsg{}); err != unix.EPIPE {
			t.Fatalf("send after SHUT_WR: %v", err)
		}
	}
}

func TestPeekWaitAllNonblocking(t *testing.T) {
	st := New()
	c, s := connected(t, st, unix.AF_INET)
	buf := make([]byte, 8)
	if _, _, err := s.RecvMsg(nb, buf, inet.RecvMsg{}); err != unix.EAGAIN {
		t.Fatalf("nonblocking recv on empty: %v", err)
	}
	c.SendMsg(block, []byte("peek"), inet.SendMsg{})
	n, _, _ := s.RecvMsg(block, buf, inet.RecvMsg{Flags: unix.MSG_PEEK})
	m, _, _ := s.RecvMsg(block, buf, inet.RecvMsg{})
	if n != 4 || m != 4 || string(buf[:4]) != "peek" {
		t.Fatalf("peek %d then %d %q", n, m, buf[:m])
	}
	go func() {
		for _, p := range []string{"ab", "cd", "efgh"} {
			time.Sleep(5 * time.Millisecond)
			c.SendMsg(block, []byte(p), inet.SendMsg{})
		}
	}()
	if n, _, err := s.RecvMsg(block, buf, inet.RecvMsg{Flags: unix.MSG_WAITALL}); n != 8 || err != nil || string(buf) != "abcdefgh" {
		t.Fatalf("MSG_WAITALL: %d %v %q", n, err, buf[:n])
	}
	// Fill the peer's buffer without blocking.
	big := make([]byte, 4*DefaultBufSize)
	n, err := c.SendMsg(nb, big, inet.SendMsg{})
	if n != DefaultBufSize || err != nil {
		t.Fatalf("nonblocking fill: %d %v", n, err)
	}
	if _, err := c.SendMsg(nb, []byte("x"), inet.SendMsg{}); err != unix.EAGAIN {
		t.Fatalf("send on a full buffer: %v", err)
	}
	if r := c.(vfs.Waitable).Readiness(vfs.EventOut); r&vfs.EventOut != 0 {
		t.Fatal("POLLOUT with a full buffer")
	}
	s.RecvMsg(block, buf, inet.RecvMsg{})
	if r := c.(vfs.Waitable).Readiness(vfs.EventOut); r&vfs.EventOut == 0 {
		t.Fatal("no POLLOUT after the reader made room")
	}
}

func TestCloseSemantics(t *testing.T) {
	st := New()
	// Close with nothing unread: the peer reads EOF, its first write
	// is swallowed, the next fails with EPIPE.
	c, s := connected(t, st, unix.AF_INET)
	c.(*stream).Release()
	buf := make([]byte, 4)
	if n, _, err := s.RecvMsg(block, buf, inet.RecvMsg{}); n != 0 || err != nil {
		t.Fatalf("read after peer close: %d %v", n, err)
	}
	if r := s.(vfs.Waitable).Readiness(vfs.EventIn | vfs.EpollRdHup); r != vfs.EventIn|vfs.EpollRdHup {
		t.Fatalf("readiness after peer close: %#x", r)
	}
	if n, err := s.SendMsg(block, []byte("x"), inet.SendMsg{}); n != 1 || err != nil {
		t.Fatalf("first write after peer close: %d %v", n, err)
	}
	if _, err := s.SendMsg(block, []byte("x"), inet.SendMsg{}); err != unix.EPIPE {
		t.Fatalf("second write after peer close: %v", err)
	}
	if _, err := s.PeerName(block); err != unix.ENOTCONN {
		t.Fatalf("getpeername of a closed connection: %v", err)
	}

	// Close with unread data: a reset. The peer reads what was queued,
	// then ECONNRESET, then EOF.
	c, s = connected(t, st, unix.AF_INET)
	s.SendMsg(block, []byte("unread"), inet.SendMsg{})
	c.SendMsg(block, []byte("queued"), inet.SendMsg{})
	c.(*stream).Release()
	buf = make([]byte, 10)
	if n, _, err := s.RecvMsg(block, buf, inet.RecvMsg{}); string(buf[:n]) != "queued" || err != nil {
		t.Fatalf("read before the reset: %q %v", buf[:n], err)
	}
	if _, _, err := s.RecvMsg(block, buf, inet.RecvMsg{}); err != unix.ECONNRESET {
		t.Fatalf("read after the reset: %v", err)
	}
	if n, _, err := s.RecvMsg(block, buf, inet.RecvMsg{}); n != 0 || err != nil {
		t.Fatalf("read after ECONNRESET: %d %v", n, err)
	}

	// A listener closed with connections not yet accepted resets them.
	l, name := listener(t, st, unix.AF_INET, "127.0.0.1:0")
	cl := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	if err := cl.Connect(block, name); err != nil {
		t.Fatal(err)
	}
	l.(*stream).Release()
	if _, _, err := cl.RecvMsg(block, buf, inet.RecvMsg{}); err != unix.ECONNRESET {
		t.Fatalf("read on a connection its listener dropped: %v", err)
	}
	if err := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM).Connect(block, name); err != unix.ECONNREFUSED {
		t.Fatalf("connect after the listener closed: %v", err)
	}
}

func TestBacklogAndAccept(t *testing.T) {
	st := New()
	l := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	l.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:0"))
	if _, _, err := l.Accept(nb, false); err != unix.EINVAL {
		t.Fatalf("accept before listen: %v", err)
	}
	l.Listen(block, 0) // room for one pending connection, as Linux
	name, _ := l.SockName(block)
	if _, _, err := l.Accept(nb, false); err != unix.EAGAIN {
		t.Fatalf("nonblocking accept on an empty queue: %v", err)
	}
	c1 := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	if err := c1.Connect(block, name); err != nil {
		t.Fatal(err)
	}
	if r := l.(vfs.Waitable).Readiness(vfs.EventIn); r != vfs.EventIn {
		t.Fatalf("listener readiness with a pending connection: %#x", r)
	}
	// The backlog is full: a blocking connect waits for an accept.
	c2 := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	done := make(chan error)
	go func() { done <- c2.Connect(block, name) }()
	select {
	case err := <-done:
		t.Fatalf("connect beyond the backlog returned %v at once", err)
	case <-time.After(20 * time.Millisecond):
	}
	f, peer, err := l.Accept(block, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	if f.StatusFlags()&unix.O_NONBLOCK == 0 {
		t.Error("accept4(SOCK_NONBLOCK) description is blocking")
	}
	c1name, _ := c1.SockName(block)
	if !bytes.Equal(peer, c1name) {
		t.Errorf("accepted peer %x, client name %x", peer, c1name)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiting connect: %v", err)
	}
	// Datagram sockets do not listen.
	u := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	if err := u.Listen(block, 1); err != unix.EOPNOTSUPP {
		t.Fatalf("listen on UDP: %v", err)
	}
}

func TestUnconnectedStream(t *testing.T) {
	st := New()
	s := newSock(t, st, unix.AF_INET, unix.SOCK_STREAM)
	if _, err := s.SendMsg(block, []byte("x"), inet.SendMsg{}); err != unix.EPIPE {
		t.Errorf("send unconnected: %v", err)
	}
	if _, _, err := s.RecvMsg(block, make([]byte, 1), inet.RecvMsg{}); err != unix.ENOTCONN {
		t.Errorf("recv unconnected: %v", err)
	}
	if _, err := s.PeerName(block); err != unix.ENOTCONN {
		t.Errorf("getpeername unconnected: %v", err)
	}
	if err := s.Shutdown(block, unix.SHUT_WR); err != unix.ENOTCONN {
		t.Errorf("shutdown unconnected: %v", err)
	}
	if err := s.Shutdown(block, 7); err != unix.EINVAL {
		t.Errorf("shutdown(7): %v", err)
	}
	name, _ := s.SockName(block)
	if got := decode(t, unix.AF_INET, name); got != netip.AddrPortFrom(any4, 0) {
		t.Errorf("unbound name %v", got)
	}
	if r := s.(vfs.Waitable).Readiness(vfs.EventAll); r != vfs.EventOut|vfs.EventHup {
		t.Errorf("readiness of a fresh socket: %#x", r)
	}
	if _, err := s.SendMsg(block, []byte("x"), inet.SendMsg{Ctl: inet.Control{Cred: &inet.Cred{}}}); err != unix.EINVAL {
		t.Errorf("SCM_CREDENTIALS on TCP: %v", err)
	}
}

func TestInterruptAndTimeout(t *testing.T) {
	st := New()
	_, s := connected(t, st, unix.AF_INET)
	ch := make(intr)
	go func() { time.Sleep(10 * time.Millisecond); close(ch) }()
	if _, _, err := s.RecvMsg(&inet.Caller{Blocker: ch}, make([]byte, 1), inet.RecvMsg{}); err != vfs.ErrInterrupted {
		t.Fatalf("interrupted recv: %v", err)
	}
	tv := make([]byte, 16)
	binary.LittleEndian.PutUint64(tv[8:], 20000) // 20 ms
	if err := s.SetSockOpt(block, unix.SOL_SOCKET, unix.SO_RCVTIMEO, tv); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RecvMsg(block, make([]byte, 1), inet.RecvMsg{}); err != unix.EAGAIN {
		t.Fatalf("recv past SO_RCVTIMEO: %v", err)
	}
	got, _ := s.GetSockOpt(block, unix.SOL_SOCKET, unix.SO_RCVTIMEO, 16)
	if !bytes.Equal(got, tv) {
		t.Fatalf("SO_RCVTIMEO read back %x", got)
	}
	binary.LittleEndian.PutUint64(tv[8:], 1000000)
	if err := s.SetSockOpt(block, unix.SOL_SOCKET, unix.SO_RCVTIMEO, tv); err != unix.EDOM {
		t.Fatalf("tv_usec out of range: %v", err)
	}
}

type intr chan struct{}

func (c intr) Interrupted() <-chan struct{} { return c }

func TestOptions(t *testing.T) {
	st := New()
	s := newSock(t, st, unix.AF_INET6, unix.SOCK_STREAM)
	get := func(level, name int) int {
		t.Helper()
		v, err := s.GetSockOpt(block, level, name, 4)
		if err != nil {
			t.Fatalf("getsockopt(%d, %d): %v", level, name, err)
		}
		return int(int32(binary.LittleEndian.Uint32(v)))
	}
	set := func(level, name, v int) error { return s.SetSockOpt(block, level, name, inet.OptInt(v)) }
	if get(unix.SOL_SOCKET, unix.SO_TYPE) != unix.SOCK_STREAM || get(unix.SOL_SOCKET, unix.SO_DOMAIN) != unix.AF_INET6 ||
		get(unix.SOL_SOCKET, unix.SO_PROTOCOL) != unix.IPPROTO_TCP {
		t.Error("SO_TYPE/SO_DOMAIN/SO_PROTOCOL")
	}
	for _, o := range [][2]int{
		{unix.IPPROTO_TCP, unix.TCP_NODELAY}, {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
		{unix.SOL_SOCKET, unix.SO_REUSEADDR}, {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY},
	} {
		if get(o[0], o[1]) != 0 {
			t.Errorf("option %v set by default", o)
		}
		if err := set(o[0], o[1], 5); err != nil {
			t.Fatalf("set %v: %v", o, err)
		}
		if got := get(o[0], o[1]); got != 1 {
			t.Errorf("option %v reads back %d", o, got)
		}
	}
	set(unix.SOL_SOCKET, unix.SO_RCVBUF, 1)
	if got := get(unix.SOL_SOCKET, unix.SO_RCVBUF); got != 2304 {
		t.Errorf("SO_RCVBUF minimum %d", got)
	}
	set(unix.SOL_SOCKET, unix.SO_SNDBUF, 100000)
	if got := get(unix.SOL_SOCKET, unix.SO_SNDBUF); got != 200000 {
		t.Errorf("SO_SNDBUF doubled %d", got)
	}
	if err := set(unix.IPPROTO_TCP, 9999, 1); err != unix.ENOPROTOOPT {
		t.Errorf("unknown TCP option: %v", err)
	}
	if err := set(unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSockOpt(block, unix.SOL_SOCKET, unix.SO_KEEPALIVE, []byte{1}); err != unix.EINVAL {
		t.Errorf("short option value: %v", err)
	}
	if _, err := s.GetSockOpt(block, unix.SOL_SOCKET, 9999, 4); err != unix.ENOPROTOOPT {
		t.Errorf("unknown socket option: %v", err)
	}
	if _, err := s.GetSockOpt(block, 9999, 1, 4); err != unix.EOPNOTSUPP {
		t.Errorf("unknown level (get): %v", err)
	}
	if err := set(9999, 1, 1); err != unix.ENOPROTOOPT {
		t.Errorf("unknown level (set): %v", err)
	}
	if get(unix.SOL_SOCKET, unix.SO_ERROR) != 0 {
		t.Error("SO_ERROR set on a fresh socket")
	}
	s.Bind(block, sa(t, unix.AF_INET6, "[::1]:0"))
	if err := set(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != unix.EINVAL {
		t.Errorf("IPV6_V6ONLY after bind: %v", err)
	}
	u := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	if err := u.SetSockOpt(block, unix.IPPROTO_TCP, unix.TCP_NODELAY, inet.OptInt(1)); err != unix.ENOPROTOOPT {
		t.Errorf("TCP_NODELAY on UDP: %v", err)
	}
	if err := u.SetSockOpt(block, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, inet.OptInt(1)); err != unix.ENOPROTOOPT {
		t.Errorf("IPV6_V6ONLY on AF_INET: %v", err)
	}
	// Accepted sockets inherit the listener's options.
	l, name := listener(t, st, unix.AF_INET, "127.0.0.1:0")
	l.SetSockOpt(block, unix.IPPROTO_TCP, unix.TCP_NODELAY, inet.OptInt(1))
	newSock(t, st, unix.AF_INET, unix.SOCK_STREAM).Connect(block, name)
	f, _, _ := l.Accept(block, false)
	defer f.DecRef()
	v, _ := f.Impl().(inet.Socket).GetSockOpt(block, unix.IPPROTO_TCP, unix.TCP_NODELAY, 4)
	if v[0] != 1 {
		t.Error("accepted socket lost TCP_NODELAY")
	}
}

func TestUDP(t *testing.T) {
	st := New()
	a := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	if err := a.Bind(block, sa(t, unix.AF_INET, "127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	aname, _ := a.SockName(block)
	b := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	for _, m := range []string{"one", "two-two", ""} {
		if n, err := b.SendMsg(block, []byte(m), inet.SendMsg{To: aname}); n != len(m) || err != nil {
			t.Fatalf("sendto: %d %v", n, err)
		}
	}
	bname, _ := b.SockName(block)
	if decode(t, unix.AF_INET, bname).Port() == 0 {
		t.Fatal("sender was not bound by its first send")
	}
	buf := make([]byte, 100)
	for _, m := range []string{"one", "two-two", ""} {
		n, res, err := a.RecvMsg(block, buf, inet.RecvMsg{})
		if err != nil || string(buf[:n]) != m {
			t.Fatalf("recv %q %v, want %q", buf[:n], err, m)
		}
		if got, want := decode(t, unix.AF_INET, res.From), netip.AddrPortFrom(loopback4, decode(t, unix.AF_INET, bname).Port()); got != want {
			t.Fatalf("from %v, want %v", got, want)
		}
	}
	// Truncation and peeking.
	b.SendMsg(block, []byte("abcdef"), inet.SendMsg{To: aname})
	small := make([]byte, 2)
	n, res, _ := a.RecvMsg(block, small, inet.RecvMsg{Flags: unix.MSG_PEEK})
	if n != 2 || !res.Truncated || res.MsgLen != 6 {
		t.Fatalf("peek truncated: %d %+v", n, res)
	}
	n, _, _ = a.RecvMsg(block, buf, inet.RecvMsg{})
	if string(buf[:n]) != "abcdef" {
		t.Fatalf("after peek %q", buf[:n])
	}
	if _, _, err := a.RecvMsg(nb, buf, inet.RecvMsg{}); err != unix.EAGAIN {
		t.Fatalf("nonblocking recv: %v", err)
	}
	// Errors.
	if _, err := b.SendMsg(block, []byte("x"), inet.SendMsg{}); err != unix.EDESTADDRREQ {
		t.Errorf("send without destination: %v", err)
	}
	if _, err := b.SendMsg(block, make([]byte, maxUDPPayload4+1), inet.SendMsg{To: aname}); err != unix.EMSGSIZE {
		t.Errorf("oversized datagram: %v", err)
	}
	if _, err := b.SendMsg(block, []byte("x"), inet.SendMsg{To: sa(t, unix.AF_INET, "8.8.8.8:53")}); err != unix.ENETUNREACH {
		t.Errorf("send off the machine: %v", err)
	}
	// Connected: default destination, filter, ECONNREFUSED from a closed
	// port.
	c := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	if err := c.Connect(block, aname); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMsg(block, []byte("conn"), inet.SendMsg{}); err != nil {
		t.Fatal(err)
	}
	n, _, _ = a.RecvMsg(block, buf, inet.RecvMsg{})
	if string(buf[:n]) != "conn" {
		t.Fatalf("connected send %q", buf[:n])
	}
	b.SendMsg(block, []byte("stranger"), inet.SendMsg{To: mustName(c)})
	if _, _, err := c.RecvMsg(nb, buf, inet.RecvMsg{}); err != unix.EAGAIN {
		t.Fatalf("connected socket took a stranger's datagram: %v", err)
	}
	d := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	d.Connect(block, sa(t, unix.AF_INET, "127.0.0.1:9"))
	if _, err := d.SendMsg(block, []byte("x"), inet.SendMsg{}); err != nil {
		t.Fatalf("first send to a closed port: %v", err)
	}
	if r := d.(vfs.Waitable).Readiness(vfs.EventIn); r&vfs.EventErr == 0 {
		t.Fatalf("no POLLERR after port unreachable: %#x", r)
	}
	if _, _, err := d.RecvMsg(block, buf, inet.RecvMsg{}); err != unix.ECONNREFUSED {
		t.Fatalf("recv after port unreachable: %v", err)
	}
	if err := d.Connect(block, []byte{0, 0}); err != nil {
		t.Fatalf("AF_UNSPEC disconnect: %v", err)
	}
	if _, err := d.PeerName(block); err != unix.ENOTCONN {
		t.Fatalf("getpeername after disconnect: %v", err)
	}
}

func mustName(s inet.Socket) []byte {
	b, _ := s.SockName(nil)
	return b
}

func TestUDPQueueBound(t *testing.T) {
	st := New()
	a := newSock(t, st, unix.AF_INET6, unix.SOCK_DGRAM)
	a.Bind(block, sa(t, unix.AF_INET6, "[::]:0"))
	aname, _ := a.SockName(block)
	b := newSock(t, st, unix.AF_INET, unix.SOCK_DGRAM)
	to := encodeAddr(unix.AF_INET, netip.AddrPortFrom(loopback4, port(aname)))
	p := make([]byte, 60000)
	for i := 0; i < 100; i++ {
		// The sender never blocks; what does not fit is dropped.
		if _, err := b.SendMsg(nb, p, inet.SendMsg{To: to}); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	buf := make([]byte, 65536)
	for {
		_, res, err := a.RecvMsg(nb, buf, inet.RecvMsg{})
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// A dual-stack socket sees the IPv4 sender v4-mapped.
		if from := decode(t, unix.AF_INET6, res.From); !from.Addr().Is4() {
			t.Fatalf("from %v", from)
		}
		got++
	}
	if got == 0 || got*60000 > 2*DefaultBufSize {
		t.Fatalf("%d datagrams of 60000 bytes queued", got)
	}
}
