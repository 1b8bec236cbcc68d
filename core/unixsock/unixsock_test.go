package unixsock

import (
	"bytes"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

var cred = Cred{PID: 1, UID: 0, GID: 0}

// intr is a Blocker that fires when closed.
type intr chan struct{}

func (c intr) Interrupted() <-chan struct{} { return c }

func recvAll(t *testing.T, s *Socket, n int) []byte {
	t.Helper()
	var out []byte
	for len(out) < n {
		buf := make([]byte, n-len(out))
		c, _, err := s.Recv(nil, buf, RecvOptions{})
		if err != nil || c == 0 {
			t.Fatalf("recv: %d %v", c, err)
		}
		out = append(out, buf[:c]...)
	}
	return out
}

func TestStreamOrdering(t *testing.T) {
	a, b := Pair(nil, unix.SOCK_STREAM, cred)
	defer a.Release()
	defer b.Release()
	var want []byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			p := bytes.Repeat([]byte{byte(i)}, 3000)
			if n, err := a.Send(nil, p, SendOptions{}); n != len(p) || err != nil {
				t.Errorf("send: %d %v", n, err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		want = append(want, bytes.Repeat([]byte{byte(i)}, 3000)...)
	}
	got := recvAll(t, b, len(want))
	<-done
	if !bytes.Equal(got, want) {
		t.Fatal("stream bytes out of order")
	}
}

func TestDgramBoundaries(t *testing.T) {
	for _, typ := range []int{unix.SOCK_DGRAM, unix.SOCK_SEQPACKET} {
		a, b := Pair(nil, typ, cred)
		for _, m := range []string{"one", "two-two", "3"} {
			if _, err := a.Send(nil, []byte(m), SendOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, 100)
		for _, m := range []string{"one", "two-two", "3"} {
			n, _, err := b.Recv(nil, buf, RecvOptions{})
			if err != nil || string(buf[:n]) != m {
				t.Fatalf("type %d: got %q %v, want %q", typ, buf[:n], err, m)
			}
		}
		// Truncation discards the rest of the datagram.
		a.Send(nil, []byte("abcdef"), SendOptions{})
		a.Send(nil, []byte("gh"), SendOptions{})
		small := make([]byte, 2)
		n, res, _ := b.Recv(nil, small, RecvOptions{})
		if string(small[:n]) != "ab" || !res.Truncated || res.MsgLen != 6 {
			t.Fatalf("truncated: %q %+v", small[:n], res)
		}
		n, _, _ = b.Recv(nil, buf, RecvOptions{})
		if string(buf[:n]) != "gh" {
			t.Fatalf("after truncation: %q", buf[:n])
		}
		a.Release()
		b.Release()
	}
}

func TestSCMRights(t *testing.T) {
	a, b := Pair(nil, unix.SOCK_STREAM, cred)
	defer a.Release()
	defer b.Release()
	r, w := vfs.NewPipe(0)
	defer w.DecRef()
	if _, err := a.Send(nil, []byte("x"), SendOptions{Ctl: Control{Files: []*vfs.FileDescription{r}}}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, res, err := b.Recv(nil, buf, RecvOptions{WantCtl: true})
	if err != nil || n != 1 || len(res.Ctl.Files) != 1 || res.Ctl.Files[0] != r {
		t.Fatalf("recv: %d %v %+v", n, err, res)
	}
	w.Write(nil, []byte("via pipe"))
	got := make([]byte, 20)
	n, _ = res.Ctl.Files[0].Read(nil, got)
	if string(got[:n]) != "via pipe" {
		t.Fatalf("passed pipe read %q", got[:n])
	}
	res.Ctl.Release()
}

func TestAcceptBacklog(t *testing.T) {
	ns := NewNamespace()
	l := New(ns, unix.SOCK_STREAM, cred)
	defer l.Release()
	k := Key{Abstract: "\x00test"}
	if err := l.BindKey(ns, k, k.Abstract); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(nil, 1); err != nil {
		t.Fatal(err)
	}
	target, err := ns.Lookup(k)
	if err != nil {
		t.Fatal(err)
	}
	var clients []*Socket
	for i := 0; i < 2; i++ {
		c := New(ns, unix.SOCK_STREAM, cred)
		if err := c.ConnectTo(vfs.NonBlocking, target, cred); err != nil {
			t.Fatalf("connect %d: %v", i, err)
		}
		clients = append(clients, c)
	}
	c := New(ns, unix.SOCK_STREAM, cred)
	if err := c.ConnectTo(vfs.NonBlocking, target, cred); err != unix.EAGAIN {
		t.Fatalf("connect beyond backlog: %v", err)
	}
	for i := 0; i < 2; i++ {
		s, err := l.AcceptSocket(nil)
		if err != nil {
			t.Fatal(err)
		}
		clients[i].Send(nil, []byte{byte(i)}, SendOptions{})
		b := make([]byte, 1)
		if n, _, _ := s.Recv(nil, b, RecvOptions{}); n != 1 || b[0] != byte(i) {
			t.Fatalf("accepted %d got %v", i, b)
		}
		s.Release()
		clients[i].Release()
	}
	if _, err := l.AcceptSocket(vfs.NonBlocking); err != unix.EAGAIN {
		t.Fatalf("accept on empty backlog: %v", err)
	}
	if _, err := ns.Lookup(Key{Abstract: "\x00nobody"}); err != unix.ECONNREFUSED {
		t.Fatalf("lookup of unbound name: %v", err)
	}
	c.Release()
}

func TestEOFAndEPIPE(t *testing.T) {
	a, b := Pair(nil, unix.SOCK_STREAM, cred)
	a.Send(nil, []byte("last"), SendOptions{})
	a.Shutdown(nil, unix.SHUT_WR)
	buf := make([]byte, 10)
	if n, _, _ := b.Recv(nil, buf, RecvOptions{}); string(buf[:n]) != "last" {
		t.Fatalf("got %q", buf[:n])
	}
	if n, _, err := b.Recv(nil, buf, RecvOptions{}); n != 0 || err != nil {
		t.Fatalf("after shutdown: %d %v", n, err)
	}
	if _, err := a.Send(nil, []byte("x"), SendOptions{}); err != unix.EPIPE {
		t.Fatalf("send after SHUT_WR: %v", err)
	}
	if r := b.Readiness(vfs.EventIn | vfs.EpollRdHup); r&vfs.EpollRdHup == 0 || r&vfs.EventIn == 0 {
		t.Fatalf("readiness after peer SHUT_WR: %#x", r)
	}
	a.Release()
	if _, err := b.Send(nil, []byte("x"), SendOptions{}); err != unix.EPIPE {
		t.Fatalf("send to closed peer: %v", err)
	}
	if r := b.Readiness(vfs.EventAll); r&vfs.EventHup == 0 {
		t.Fatalf("readiness after peer close: %#x", r)
	}
	b.Release()
}

func TestNonblockingAndInterrupt(t *testing.T) {
	a, b := Pair(nil, unix.SOCK_STREAM, cred)
	defer a.Release()
	defer b.Release()
	buf := make([]byte, 10)
	if _, _, err := b.Recv(vfs.NonBlocking, buf, RecvOptions{}); err != unix.EAGAIN {
		t.Fatalf("nonblocking recv: %v", err)
	}
	// Fill the buffer.
	big := make([]byte, DefaultBufSize)
	if n, err := a.Send(vfs.NonBlocking, big, SendOptions{}); n != len(big) || err != nil {
		t.Fatalf("fill: %d %v", n, err)
	}
	if r := a.Readiness(vfs.EventOut); r&vfs.EventOut != 0 {
		t.Fatal("POLLOUT with a full buffer")
	}
	if _, err := a.Send(vfs.NonBlocking, []byte("x"), SendOptions{}); err != unix.EAGAIN {
		t.Fatalf("nonblocking send on full buffer: %v", err)
	}
	ch := make(intr)
	go func() { time.Sleep(20 * time.Millisecond); close(ch) }()
	if _, err := a.Send(ch, []byte("x"), SendOptions{}); err != vfs.ErrInterrupted {
		t.Fatalf("interrupted send: %v", err)
	}
	c, d := Pair(nil, unix.SOCK_DGRAM, cred)
	defer c.Release()
	defer d.Release()
	ch2 := make(intr)
	go func() { time.Sleep(20 * time.Millisecond); close(ch2) }()
	if _, _, err := d.Recv(ch2, buf, RecvOptions{}); err != vfs.ErrInterrupted {
		t.Fatalf("interrupted recv: %v", err)
	}
	// A waiting reader is woken by a send.
	go func() { time.Sleep(20 * time.Millisecond); c.Send(nil, []byte("wake"), SendOptions{}) }()
	if n, _, err := d.Recv(nil, buf, RecvOptions{}); string(buf[:n]) != "wake" || err != nil {
		t.Fatalf("woken recv: %q %v", buf[:n], err)
	}
}

func TestPeek(t *testing.T) {
	a, b := Pair(nil, unix.SOCK_STREAM, cred)
	defer a.Release()
	defer b.Release()
	a.Send(nil, []byte("peek"), SendOptions{})
	buf := make([]byte, 10)
	n, _, _ := b.Recv(nil, buf, RecvOptions{Peek: true})
	m, _, _ := b.Recv(nil, buf, RecvOptions{})
	if n != 4 || m != 4 || string(buf[:m]) != "peek" {
		t.Fatalf("peek %d then %d %q", n, m, buf[:m])
	}
}
