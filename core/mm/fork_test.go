package mm

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func TestForkIsolation(t *testing.T) {
	e := newTestEnv(t)
	if err := e.mm.SetBrkStart(0x600000); err != nil {
		t.Fatal(err)
	}
	e.mm.Brk(0x600000 + 2*pg)
	priv := e.mmap(t, 0, 4*pg, rw, unix.MAP_PRIVATE)
	shared := e.mmap(t, 0, 32*pg, rw, unix.MAP_SHARED)
	e.write(t, priv, []byte("parent private"))
	e.write(t, shared, []byte("parent shared"))
	e.write(t, 0x600000, []byte("heap"))
	before := e.mf.Usage().Allocated

	c := e.fork(t)
	if got := spans(c.mm); !sameSpans(got, spans(e.mm)) {
		t.Fatalf("child VMAs %v, parent %v", got, spans(e.mm))
	}
	if got, _ := c.mm.Brk(0); got != 0x600000+2*pg {
		t.Fatalf("child brk %#x", got)
	}
	if got := c.read(t, priv, 14); string(got) != "parent private" {
		t.Fatalf("child reads %q", got)
	}
	if got := c.read(t, 0x600000, 4); string(got) != "heap" {
		t.Fatalf("child heap reads %q", got)
	}
	// Small private regions are copied at fork (eagerForkCopy): the
	// 4-page VMA and the 2-page heap.
	if u := e.mf.Usage().Allocated; u-before != 6*pg {
		t.Fatalf("fork allocated %#x bytes, want %#x", u-before, 6*pg)
	}
	before += 6 * pg

	c.write(t, priv, []byte("child"))
	if got := e.read(t, priv, 14); string(got) != "parent private" {
		t.Fatalf("child's private write seen by the parent: %q", got)
	}
	// The child has its own copy already.
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("child's write allocated %#x bytes, want none", u-before)
	}
	e.write(t, priv+5, []byte("X"))
	// And so does the parent.
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("parent's write allocated %#x bytes, want none", u-before)
	}
	if got := c.read(t, priv+5, 1); string(got) == "X" {
		t.Fatal("parent's private write seen by the child")
	}
	c.write(t, shared, []byte("child"))
	if got := e.read(t, shared, 13); string(got) != "childt shared" {
		t.Fatalf("child's shared write not seen by the parent: %q", got)
	}
	// A shared page first touched by the child after fork is the parent's
	// too.
	c.write(t, shared+20*pg, []byte("late"))
	if got := e.read(t, shared+20*pg, 4); string(got) != "late" {
		t.Fatalf("shared page populated after fork not shared: %q", got)
	}
	// Mapping changes after fork are independent.
	if err := c.mm.MUnmap(priv, 4*pg); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, priv, 1); got[0] != 'p' {
		t.Fatal("child's munmap affected the parent")
	}
}

func TestForkDontForkWipeOnFork(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(4*pg, 3))
	if err := e.mm.MAdvise(a, pg, unix.MADV_DONTFORK); err != nil {
		t.Fatal(err)
	}
	if err := e.mm.MAdvise(a+pg, pg, unix.MADV_WIPEONFORK); err != nil {
		t.Fatal(err)
	}
	vs := e.mm.VMAs()
	if len(vs) != 3 || !vs[0].DontFork || !vs[1].WipeOnFork {
		t.Fatalf("VMAs %+v", vs)
	}
	c := e.fork(t)
	want := []span{{a + pg, a + 2*pg, rw}, {a + 2*pg, a + 4*pg, rw}}
	if got := spans(c.mm); !sameSpans(got, want) {
		t.Fatalf("child VMAs %v, want %v", got, want)
	}
	if got := c.read(t, a+pg, pg); !bytes.Equal(got, make([]byte, pg)) {
		t.Fatal("MADV_WIPEONFORK memory not zero in the child")
	}
	if got := c.read(t, a+2*pg, 2*pg); !bytes.Equal(got, fill(4*pg, 3)[2*pg:]) {
		t.Fatal("normal memory not copied")
	}
	if got := e.read(t, a+pg, 4); !bytes.Equal(got, fill(4*pg, 3)[pg:pg+4]) {
		t.Fatal("MADV_WIPEONFORK wiped the parent")
	}
	// MADV_DOFORK/KEEPONFORK restore the defaults and merge the VMAs.
	e.mm.MAdvise(a, pg, unix.MADV_DOFORK)
	e.mm.MAdvise(a+pg, pg, unix.MADV_KEEPONFORK)
	if got := spans(e.mm); len(got) != 1 {
		t.Fatalf("VMAs not merged back: %v", got)
	}
}

func TestReleaseReturnsPages(t *testing.T) {
	e := newTestEnv(t)
	shared := e.mmap(t, 0, 8*pg, rw, unix.MAP_SHARED)
	priv := e.mmap(t, 0, 8*pg, rw, unix.MAP_PRIVATE)
	e.write(t, shared, fill(8*pg, 1))
	e.write(t, priv, fill(8*pg, 2))
	c := e.fork(t)
	c.write(t, priv, []byte{1})
	parentOnly := e.mf.Usage().Allocated
	// The parent exits first: the shared object lives on in the child.
	e.mm.Release()
	if u := e.mf.Usage().Allocated; u >= parentOnly || u == 0 {
		t.Fatalf("after the parent's Release: %#x allocated (was %#x)", u, parentOnly)
	}
	if got := c.read(t, shared, 8*pg); !bytes.Equal(got, fill(8*pg, 1)) {
		t.Fatal("child lost shared memory when the parent exited")
	}
	c.mm.Release()
	if u := e.mf.Usage().Allocated; u != 0 {
		t.Fatalf("%#x bytes leaked after both released", u)
	}
	e.mm.Release() // idempotent
}
