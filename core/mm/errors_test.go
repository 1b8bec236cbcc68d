package mm

import (
	"errors"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func TestOutOfMemory(t *testing.T) {
	e := newTestEnvSize(t, 32*pg)
	// Two mappings of 24 pages each: one larger than memory would be
	// refused (TestOvercommit).
	a := e.mmap(t, 0x400000, 24*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, a+24*pg, 24*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	// The first 32 pages fit.
	if n, err := e.mm.CopyOut(a, make([]byte, 32*pg)); n != 32*pg || err != nil {
		t.Fatalf("CopyOut of what fits: %d, %v", n, err)
	}
	if err := e.mm.HandleFault(a+40*pg, platform.ProtWrite); err != unix.ENOMEM {
		t.Fatalf("fault with the memory file full: %v, want ENOMEM", err)
	}
	if n, err := e.mm.CopyOut(a+31*pg, make([]byte, 2*pg)); n != pg || err != unix.EFAULT {
		t.Fatalf("CopyOut beyond memory: %d, %v", n, err)
	}
	// Fork shares the private pages: it needs no memory.
	as := newFakeAS(e.mf)
	c, err := e.mm.Fork(as)
	if err != nil {
		t.Fatalf("Fork with the memory file full: %v", err)
	}
	if u := e.mf.Usage().Allocated; u != 32*pg {
		t.Fatalf("Fork allocated: %#x allocated", u)
	}
	// But a write in the child must copy, and cannot.
	if err := c.HandleFault(a+pg, platform.ProtWrite); err != unix.ENOMEM {
		t.Fatalf("COW fault with the memory file full: %v, want ENOMEM", err)
	}
	if n, err := c.CopyOut(a+pg, []byte{1}); n != 0 || err != unix.EFAULT {
		t.Fatalf("CopyOut into a COW page with the memory file full: %d, %v", n, err)
	}
	checkInvariants(t, c, as)
	c.Release()
	if !as.released || e.mf.Usage().Allocated != 32*pg {
		t.Fatalf("child's Release: released %v, %#x allocated", as.released, e.mf.Usage().Allocated)
	}
	// The parent holds the pages alone again: writing needs no memory.
	e.write(t, a+pg, []byte{1})
	if n, err := e.mm.CopyOut(a, []byte{2}); n != 1 || err != nil {
		t.Fatalf("CopyOut after the child left: %d, %v", n, err)
	}
	// Freeing makes room again.
	if err := e.mm.MAdvise(a, 8*pg, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	e.write(t, a+40*pg, []byte{1})
}

func TestPlatformErrors(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0, 4*pg, rw, unix.MAP_PRIVATE)
	boom := errors.New("stub died")

	e.as.err = boom
	err := e.mm.HandleFault(a, platform.ProtWrite)
	if !errors.Is(err, boom) || isErrno(err) {
		t.Fatalf("HandleFault with a failing platform: %v", err)
	}
	e.as.err = boom
	if err := e.mm.MUnmap(a, 4*pg); !errors.Is(err, boom) {
		t.Fatalf("MUnmap with a failing platform: %v", err)
	}
	// After a platform failure the address space is not trusted; the
	// kernel kills it. Release still returns every page.
	e.mm.Release()
	if u := e.mf.Usage().Allocated; u != 0 {
		t.Fatalf("leak after Release: %#x", u)
	}
}

func TestPlacementFallback(t *testing.T) {
	e := newTestEnv(t)
	base := uintptr(testMinAddr + 16*pg)
	if err := e.mm.SetMmapBase(base); err != nil {
		t.Fatal(err)
	}
	if got := e.mmap(t, 0, 8*pg, rw, unix.MAP_PRIVATE); got != base-8*pg {
		t.Fatalf("top-down below the base: %#x", got)
	}
	// No room below the base: bottom-up above it.
	if got := e.mmap(t, 0, 16*pg, rw, unix.MAP_PRIVATE); got != base {
		t.Fatalf("fallback placement: %#x, want %#x", got, base)
	}
	if err := e.mm.SetMmapBase(testMaxAddr + pg); err == nil {
		t.Fatal("SetMmapBase beyond the user range succeeded")
	}
	if _, err := e.mm.MMap(MMapOpts{Length: testMaxAddr - testMinAddr, Prot: rw, Flags: anonPriv}); err != unix.ENOMEM {
		t.Fatalf("mapping that cannot fit: %v, want ENOMEM", err)
	}
}

// TestOvercommit: a mapping that may need its own memory and is larger than
// all of memory is refused at once, as Linux's heuristic overcommit does;
// others are not, nor is one that fits although memory is in use.
func TestOvercommit(t *testing.T) {
	e := newTestEnvSize(t, 32*pg)
	for _, c := range []struct {
		prot  platform.Prot
		flags int
		pages uintptr
		want  error
	}{
		{rw, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, 33, unix.ENOMEM},
		{rw, unix.MAP_SHARED | unix.MAP_ANONYMOUS, 33, unix.ENOMEM},
		{platform.ProtRead, unix.MAP_SHARED | unix.MAP_ANONYMOUS, 33, unix.ENOMEM},
		{platform.ProtRead, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, 64, nil},
		{0, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, 64, nil},
		{rw, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, 32, nil},
	} {
		_, err := e.mm.MMap(MMapOpts{Length: c.pages * pg, Prot: c.prot, Flags: c.flags})
		if err != c.want && !(c.want == nil && err == nil) {
			t.Errorf("MMap(%d pages, prot %v, flags %#x): %v, want %v", c.pages, c.prot, c.flags, err, c.want)
		}
	}
	// Growing a writable private mapping past memory is refused too.
	a := e.mmap(t, 0, 16*pg, rw, unix.MAP_PRIVATE)
	if _, err := e.mm.MRemap(a, 16*pg, 40*pg, unix.MREMAP_MAYMOVE, 0); err != unix.ENOMEM {
		t.Errorf("MRemap past memory: %v, want ENOMEM", err)
	}
	if _, err := e.mm.MRemap(a, 16*pg, 30*pg, unix.MREMAP_MAYMOVE, 0); err != nil {
		t.Errorf("MRemap within memory: %v", err)
	}
}
