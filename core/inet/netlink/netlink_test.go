package netlink

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// fakeStack has lo, as net/loopback describes it.
type fakeStack struct{}

func (fakeStack) Socket(int, int, int) (*vfs.FileDescription, error) { return nil, unix.EAFNOSUPPORT }

func (fakeStack) Interfaces() []inet.Interface {
	return []inet.Interface{{
		Name: "lo", Index: 1, Addrs: []string{"127.0.0.1/8", "::1/128"},
		Flags: unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING | unix.IFF_LOWER_UP,
		Type:  unix.ARPHRD_LOOPBACK, MTU: 65536, TxQueueLen: 1000,
		HardwareAddr: make([]byte, 6), Broadcast: make([]byte, 6),
	}}
}

// req builds a request message.
func req(typ, flags uint16, payload []byte) []byte {
	return newMessage(typ, flags, 42, 0, payload).bytes()
}

// types lists the message types in a reply, and the errno of each
// NLMSG_ERROR and NLMSG_DONE.
func types(t *testing.T, pid uint32, msgs [][]byte) []int {
	t.Helper()
	var out []int
	for _, d := range msgs {
		for _, m := range splitMessages(d) {
			h := parseHeader(m)
			if h.Seq != 42 || h.PID != pid {
				t.Errorf("reply seq %d pid %d", h.Seq, h.PID)
			}
			out = append(out, int(h.Type))
			if h.Type == unix.NLMSG_ERROR || h.Type == unix.NLMSG_DONE {
				out = append(out, -int(int32(le.Uint32(m[hdrLen:]))))
			}
		}
	}
	return out
}

func TestServe(t *testing.T) {
	ifi := make([]byte, ifinfomsgLen)
	ifi1 := append([]byte(nil), ifi...)
	le.PutUint32(ifi1[4:], 1)
	ifi9 := append([]byte(nil), ifi...)
	le.PutUint32(ifi9[4:], 9)
	byName := newMessage(unix.RTM_GETLINK, unix.NLM_F_REQUEST, 42, 0, ifi)
	byName.str(unix.IFLA_IFNAME, "lo")
	inet6 := []byte{unix.AF_INET6, 0, 0, 0}
	const (
		link  = unix.RTM_NEWLINK
		addr  = unix.RTM_NEWADDR
		route = unix.RTM_NEWROUTE
		done  = unix.NLMSG_DONE
		nlerr = unix.NLMSG_ERROR
	)
	for _, tc := range []struct {
		name string
		in   []byte
		want []int
	}{
		{"link dump", req(unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, []byte{0, 0, 0, 0}), []int{link, done, 0}},
		{"link by index, ack", req(unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, ifi1), []int{link, nlerr, 0}},
		{"link by name", byName.bytes(), []int{link}},
		{"no such link", req(unix.RTM_GETLINK, unix.NLM_F_REQUEST, ifi9), []int{nlerr, int(unix.ENODEV)}},
		{"link without index or name", req(unix.RTM_GETLINK, unix.NLM_F_REQUEST, ifi), []int{nlerr, int(unix.EINVAL)}},
		{"short ifinfomsg", req(unix.RTM_GETLINK, unix.NLM_F_REQUEST, []byte{0, 0, 0, 0}), []int{nlerr, int(unix.EINVAL)}},
		{"addr dump", req(unix.RTM_GETADDR, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, []byte{0, 0, 0, 0}), []int{addr, addr, done, 0}},
		{"addr dump inet6", req(unix.RTM_GETADDR, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, inet6), []int{addr, done, 0}},
		{"route dump", req(unix.RTM_GETROUTE, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, make([]byte, rtmsgLen)), []int{route, route, route, route, done, 0}},
		{"neigh dump", req(unix.RTM_GETNEIGH, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, make([]byte, 12)), []int{done, 0}},
		{"rule dump", req(unix.RTM_GETRULE, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, make([]byte, 12)), []int{nlerr, int(unix.EOPNOTSUPP)}},
		{"newaddr", req(unix.RTM_NEWADDR, unix.NLM_F_REQUEST|unix.NLM_F_ACK, make([]byte, 8)), []int{nlerr, int(unix.EPERM)}},
		{"dellink", req(unix.RTM_DELLINK, unix.NLM_F_REQUEST, ifi1), []int{nlerr, int(unix.EPERM)}},
		{"type past RTM_MAX", req(unix.RTM_MAX+1, unix.NLM_F_REQUEST, ifi1), []int{nlerr, int(unix.EOPNOTSUPP)}},
		{"not a request, ack", req(unix.RTM_GETLINK, unix.NLM_F_ACK, ifi1), []int{nlerr, 0}},
		{"not a request", req(unix.RTM_GETLINK, 0, ifi1), nil},
		{"noop", req(unix.NLMSG_NOOP, unix.NLM_F_REQUEST, nil), nil},
		{"no rtgenmsg", req(unix.RTM_GETLINK, unix.NLM_F_REQUEST, nil), nil},
		{"truncated header", make([]byte, 10), nil},
		{"empty", nil, nil},
		{"length past end", append([]byte{200, 0, 0, 0}, req(unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, []byte{0, 0, 0, 0})[4:]...), nil},
		{"huge length", append([]byte{0xff, 0xff, 0xff, 0xff}, req(unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, []byte{0, 0, 0, 0})[4:]...), nil},
		{"two requests", append(req(unix.RTM_GETADDR, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, inet6), req(unix.RTM_NEWLINK, unix.NLM_F_REQUEST, ifi)...), []int{addr, done, 0, nlerr, int(unix.EPERM)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msgs [][]byte
			for _, r := range serve(fakeStack{}.Interfaces(), tc.in, reqOpts{pid: 100}) {
				msgs = append(msgs, r.dump...)
				msgs = append(msgs, r.msgs...)
			}
			got := types(t, 100, msgs)
			if len(got) != len(tc.want) {
				t.Fatalf("replies %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("replies %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestServeGarbage feeds random and mangled requests: never a panic.
func TestServeGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	ifs := fakeStack{}.Interfaces()
	valid := req(unix.RTM_GETROUTE, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, make([]byte, rtmsgLen))
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), valid...)
		switch i % 3 {
		case 0:
			b = make([]byte, rng.Intn(80))
			rng.Read(b)
		case 1:
			b[rng.Intn(len(b))] = byte(rng.Intn(256))
			b = b[:rng.Intn(len(b)+1)]
		case 2:
			le.PutUint16(b[4:], uint16(rng.Intn(130)))
			le.PutUint16(b[6:], uint16(rng.Intn(0x800)))
			b = append(b, byte(rng.Intn(256)), 8, 0, byte(rng.Intn(30)), 0)
			le.PutUint32(b, uint32(len(b)-rng.Intn(6)))
		}
		for _, strict := range []bool{false, true} {
			serve(ifs, b, reqOpts{pid: 1, strict: strict})
		}
	}
}

// TestLinkAttributes checks the attributes of lo that programs read.
func TestLinkAttributes(t *testing.T) {
	lo := fakeStack{}.Interfaces()[0]
	m := linkMessage(&lo, 0, 1, 2)
	if int(le.Uint32(m)) != len(m) || len(m)%4 != 0 {
		t.Fatalf("length %d of %d", le.Uint32(m), len(m))
	}
	if f := le.Uint32(m[hdrLen+8:]); f != 0x10049 {
		t.Errorf("ifi_flags %#x", f)
	}
	attrs, ok := parseAttrs(m[hdrLen+ifinfomsgLen:])
	if !ok {
		t.Fatal("malformed attributes")
	}
	for _, c := range []struct {
		typ  uint16
		want []byte
	}{
		{unix.IFLA_IFNAME, []byte("lo\x00")},
		{unix.IFLA_MTU, []byte{0, 0, 1, 0}},
		{unix.IFLA_TXQLEN, []byte{0xe8, 3, 0, 0}},
		{unix.IFLA_OPERSTATE, []byte{ifOperUnknown}},
		{unix.IFLA_ADDRESS, make([]byte, 6)},
		{unix.IFLA_BROADCAST, make([]byte, 6)},
		{unix.IFLA_QDISC, []byte("noqueue\x00")},
		{unix.IFLA_STATS64, make([]byte, rtnlStats64Len)},
	} {
		if !bytes.Equal(attrs[c.typ], c.want) {
			t.Errorf("attribute %d = %v, want %v", c.typ, attrs[c.typ], c.want)
		}
	}
}

// TestRoutes checks the routes Linux derives for lo and for an
// interface with a /24 and a /64.
func TestRoutes(t *testing.T) {
	ifs := []inet.Interface{fakeStack{}.Interfaces()[0], {Name: "eth0", Index: 2, Addrs: []string{"192.0.2.2/24", "2001:db8::2/64"}}}
	var got []string
	for _, r := range routes(ifs) {
		got = append(got, r.dst.String())
	}
	want := []string{"192.0.2.0/24", "127.0.0.0/8", "127.0.0.1/32", "127.255.255.255/32", "192.0.2.2/32", "192.0.2.255/32", "2001:db8::/64", "::1/128", "2001:db8::2/128"}
	if len(got) != len(want) {
		t.Fatalf("routes %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("routes %v, want %v", got, want)
		}
	}
}

// TestSocket drives a socket: autobind to the caller's PID, a dump read
// with MSG_PEEK|MSG_TRUNC first, the kernel's address, EAGAIN when
// empty, EADDRINUSE, and a full receive queue's ENOBUFS.
func TestSocket(t *testing.T) {
	ns := NewNamespace(fakeStack{})
	f, err := ns.NewSocket(unix.SOCK_RAW, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	s := f.Impl().(*socket)
	c := &inet.Caller{Blocker: vfs.NonBlocking, Cred: inet.Cred{PID: 77}}
	if err := s.Bind(c, encodeAddr(0, 0)); err != nil {
		t.Fatal(err)
	}
	name, _ := s.SockName(c)
	if pid := le.Uint32(name[4:]); pid != 77 {
		t.Errorf("autobound to %d, want the caller's PID", pid)
	}
	g, _ := ns.NewSocket(unix.SOCK_DGRAM, unix.NETLINK_ROUTE)
	defer g.DecRef()
	if err := g.Impl().(*socket).Bind(c, encodeAddr(77, 0)); err != unix.EADDRINUSE {
		t.Errorf("bind to a taken port: %v", err)
	}
	if err := g.Impl().(*socket).Bind(c, []byte{16, 0, 0}); err != unix.EINVAL {
		t.Errorf("short sockaddr_nl: %v", err)
	}
	if _, _, err := s.RecvMsg(c, make([]byte, 10), inet.RecvMsg{}); err != unix.EAGAIN {
		t.Errorf("empty: %v", err)
	}
	if _, err := s.SendMsg(c, req(unix.RTM_GETADDR, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, []byte{0, 0, 0, 0}), inet.SendMsg{}); err != nil {
		t.Fatal(err)
	}
	n, res, err := s.RecvMsg(c, nil, inet.RecvMsg{Flags: unix.MSG_PEEK | unix.MSG_TRUNC})
	if err != nil || n != 0 || !res.Truncated || res.MsgLen == 0 {
		t.Fatalf("peek: %d %+v %v", n, res, err)
	}
	buf := make([]byte, res.MsgLen)
	n, res, err = s.RecvMsg(c, buf, inet.RecvMsg{})
	if err != nil || n != len(buf) || res.Truncated || !bytes.Equal(res.From, encodeAddr(0, 0)) {
		t.Fatalf("recv: %d %+v %v", n, res, err)
	}
	if got := types(t, 77, [][]byte{buf}); len(got) != 4 || got[2] != unix.NLMSG_DONE {
		// addr, addr, done, 0
		t.Errorf("dump %v", got)
	}
	// Fill the queue without reading: the stack drops and reports
	// ENOBUFS once.
	dump := req(unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, []byte{0, 0, 0, 0})
	for i := 0; i < 1000; i++ {
		if _, err := s.SendMsg(c, dump, inet.SendMsg{}); err != nil {
			t.Fatal(err)
		}
	}
	if s.Readiness(vfs.EventIn)&vfs.EventErr == 0 {
		t.Error("no POLLERR after an overrun")
	}
	if _, _, err := s.RecvMsg(c, buf, inet.RecvMsg{}); err != unix.ENOBUFS {
		t.Errorf("after overrun: %v", err)
	}
	if _, _, err := s.RecvMsg(c, buf, inet.RecvMsg{}); err != nil {
		t.Errorf("after ENOBUFS: %v", err)
	}
}
