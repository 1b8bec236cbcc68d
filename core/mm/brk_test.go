package mm

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func TestBrk(t *testing.T) {
	e := newTestEnv(t)
	const start = 0x601234
	if err := e.mm.SetBrkStart(start); err != nil {
		t.Fatal(err)
	}
	heap := uintptr(0x602000)
	if got := e.mm.BrkStart(); got != heap {
		t.Fatalf("BrkStart = %#x, want %#x (page-aligned)", got, heap)
	}
	brk := func(addr uintptr) uintptr {
		t.Helper()
		got, _ := e.mm.Brk(addr)
		return got
	}
	if got := brk(0); got != heap {
		t.Fatalf("brk(0) = %#x", got)
	}
	if len(e.mm.VMAs()) != 0 {
		t.Fatal("empty heap has a VMA")
	}
	// Grow by an unaligned amount: the break is exact, the VMA rounded.
	if got := brk(heap + 3*pg + 10); got != heap+3*pg+10 {
		t.Fatalf("grow: %#x", got)
	}
	vs := e.mm.VMAs()
	if len(vs) != 1 || vs[0].Start != heap || vs[0].End != heap+4*pg || vs[0].Name != "[heap]" || vs[0].Prot != rw {
		t.Fatalf("heap VMAs %+v", vs)
	}
	e.write(t, heap, fill(4*pg, 2))
	// Growing again extends the same VMA.
	brk(heap + 8*pg)
	if vs := e.mm.VMAs(); len(vs) != 1 || vs[0].End != heap+8*pg {
		t.Fatalf("heap VMAs after second grow %+v", vs)
	}
	// Shrink frees the pages above the new break...
	brk(heap + pg)
	if vs := e.mm.VMAs(); len(vs) != 1 || vs[0].End != heap+pg {
		t.Fatalf("heap VMAs after shrink %+v", vs)
	}
	if u := e.mf.Usage().Allocated; u != pg {
		t.Fatalf("after shrink %#x bytes allocated, want one page", u)
	}
	// ...and they come back zeroed.
	brk(heap + 4*pg)
	if got := e.read(t, heap+pg, 3*pg); !bytes.Equal(got, make([]byte, 3*pg)) {
		t.Fatal("regrown heap not zero")
	}
	if got := e.read(t, heap, pg); !bytes.Equal(got, fill(4*pg, 2)[:pg]) {
		t.Fatal("heap below the break lost its contents")
	}
	// Below the start: no change.
	if got := brk(heap - pg); got != heap+4*pg {
		t.Fatalf("brk below start = %#x", got)
	}
	// Into another mapping: no change, ENOMEM for the tracer.
	e.mmap(t, heap+16*pg, pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if got, err := e.mm.Brk(heap + 17*pg); got != heap+4*pg || err != unix.ENOMEM {
		t.Fatalf("brk into a mapping = %#x, %v", got, err)
	}
	if got := brk(heap + 16*pg); got != heap+16*pg {
		t.Fatalf("brk up to a mapping = %#x", got)
	}
	// Back to the start: no heap left.
	brk(heap)
	if vs := spansIn(e.mm, heap, heap+16*pg); len(vs) != 0 {
		t.Fatalf("heap VMAs after brk(start): %v", vs)
	}
}

func TestBrkGuardGap(t *testing.T) {
	e := newTestEnv(t)
	heap := uintptr(0x10000000)
	if err := e.mm.SetBrkStart(heap); err != nil {
		t.Fatal(err)
	}
	stack := heap + stackGuardGap + 4*pg
	e.mmap(t, stack, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_GROWSDOWN)
	if got, _ := e.mm.Brk(heap + 8*pg); got != heap {
		t.Fatalf("brk into the stack guard gap succeeded: %#x", got)
	}
	if got, _ := e.mm.Brk(heap + 4*pg); got != heap+4*pg {
		t.Fatalf("brk up to the guard gap failed: %#x", got)
	}
}

func TestBrkWithoutStart(t *testing.T) {
	e := newTestEnv(t)
	if got, err := e.mm.Brk(0x600000); got != 0 || err != unix.ENOMEM {
		t.Fatalf("brk before SetBrkStart: %#x, %v", got, err)
	}
	if len(e.mm.VMAs()) != 0 {
		t.Fatal("brk before SetBrkStart mapped something")
	}
}
