package mm

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func TestHandleFault(t *testing.T) {
	e := newTestEnv(t)
	const base = 0x400000
	e.mmap(t, base, 64*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+64*pg, pg, ro, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+65*pg, pg, none, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+66*pg, pg, platform.ProtExec, unix.MAP_PRIVATE|unix.MAP_FIXED)

	for _, tc := range []struct {
		name string
		addr uintptr
		at   platform.Prot
		code int32 // 0: success
	}{
		{"unmapped", base - pg, 0, SegvMapErr},
		{"below the user range", 0x100, 0, SegvMapErr},
		{"above the user range", testMaxAddr + 5, 0, SegvMapErr},
		{"read", base + 20*pg + 17, platform.ProtRead, 0},
		{"unknown access", base + 40*pg, 0, 0},
		{"write to read-only", base + 64*pg, platform.ProtWrite, SegvAccErr},
		{"read of read-only", base + 64*pg, platform.ProtRead, 0},
		{"PROT_NONE", base + 65*pg, 0, SegvAccErr},
		{"exec", base + 66*pg, platform.ProtExec, 0},
		{"exec of data", base, platform.ProtExec, SegvAccErr},
		{"again (sibling thread raced)", base + 20*pg, 0, 0},
	} {
		err := e.mm.HandleFault(tc.addr, tc.at)
		if tc.code == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !isSegv(err, tc.code) {
			t.Errorf("%s: %v, want SIGSEGV code %d", tc.name, err, tc.code)
		}
	}
	// The window: one aligned faultAround block, nothing more.
	e2 := newTestEnv(t)
	a := e2.mmap(t, base, 64*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err := e2.mm.HandleFault(a+20*pg+5, platform.ProtWrite); err != nil {
		t.Fatal(err)
	}
	ws := (a + 20*pg) &^ (faultAround - 1)
	if u := e2.mf.Usage().Allocated; u != faultAround {
		t.Fatalf("fault populated %#x bytes, want %#x", u, faultAround)
	}
	for p := ws; p < ws+faultAround; p += pg {
		if _, ok := e2.as.translate(p, platform.ProtWrite); !ok {
			t.Fatalf("page %#x of the window not mapped writable", p)
		}
	}
	// A second fault next to it fills only the remaining hole.
	e2.write(t, ws-1, []byte{1})
	if u := e2.mf.Usage().Allocated; u != 2*faultAround {
		t.Fatalf("second fault: %#x bytes allocated", u)
	}
	// The window is clipped to a VMA that starts inside it.
	e3 := newTestEnv(t)
	b := e3.mmap(t, base+pg, 64*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e3.write(t, b, []byte{1})
	if u := e3.mf.Usage().Allocated; u != faultAround-pg {
		t.Fatalf("fault at an unaligned VMA start populated %#x bytes, want %#x", u, faultAround-pg)
	}
}

// mappedIn returns how many pages of [lo, hi) e's address space maps.
func (e *testEnv) mappedIn(lo, hi uintptr) int {
	e.as.mu.Lock()
	defer e.as.mu.Unlock()
	n := 0
	for a := range e.as.pages {
		if a >= lo && a < hi {
			n++
		}
	}
	return n
}

func TestFaultWindow(t *testing.T) {
	const base = 0x40000000 // aligned to fileFaultAround
	const length = 4 << 20
	data := fill(length, 3)
	rx := ro | platform.ProtExec
	for _, tc := range []struct {
		name  string
		file  bool
		flags int
		prot  platform.Prot
		want  uintptr
	}{
		{"private file read-only", true, unix.MAP_PRIVATE, ro, fileFaultAround},
		{"private file text", true, unix.MAP_PRIVATE, rx, fileFaultAround},
		{"shared file read-only", true, unix.MAP_SHARED, ro, fileFaultAround},
		{"private file writable", true, unix.MAP_PRIVATE, rw, faultAround},
		{"shared file writable", true, unix.MAP_SHARED, rw, faultAround},
		{"anonymous read-only", false, unix.MAP_PRIVATE, ro, faultAround},
		{"anonymous writable", false, unix.MAP_PRIVATE, rw, faultAround},
		{"shared anonymous read-only", false, unix.MAP_SHARED, ro, faultAround},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			dropCache(t, e)
			if tc.file {
				f := newCacheFile(30, data)
				e.mapFileAt(t, f, base, length, uint32(tc.prot), uint32(tc.prot), tc.flags, 0)
			} else {
				e.mmap(t, base, length, tc.prot, tc.flags|unix.MAP_FIXED)
			}
			// Past the window mmap prefaulted (see prefaultLength).
			addr := uintptr(base + 1<<20 + 5*pg + 3)
			before := e.as.mapped()
			if err := e.mm.HandleFault(addr, 0); err != nil {
				t.Fatal(err)
			}
			ws := addr &^ (tc.want - 1)
			if n := e.as.mapped() - before; n != int(tc.want/pg) || e.mappedIn(ws, ws+tc.want) != n {
				t.Errorf("one fault mapped %d pages, %d of them in [%#x, %#x); want that window, %d pages",
					n, e.mappedIn(ws, ws+tc.want), ws, ws+tc.want, tc.want/pg)
			}
			if got := e.read(t, addr, 1); tc.file && got[0] != data[addr-base] {
				t.Errorf("reads %#x, want the file's %#x", got[0], data[addr-base])
			}
		})
	}
}

// TestFaultWindowClipped checks that the large window of a read-only file
// mapping stops at the VMA's ends, at the end of the file and at pages
// already populated.
func TestFaultWindowClipped(t *testing.T) {
	const base = 0x40000000 // aligned to fileFaultAround
	const mib = 1 << 20
	e := newTestEnv(t)
	dropCache(t, e)
	f := newCacheFile(31, fill(4*mib, 5))
	// mapLazy maps and drops what mmap prefaulted (see prefaultLength),
	// so that only the faults below populate.
	mapLazy := func(f CachedFile, addr, length uintptr, off uint64) {
		t.Helper()
		e.mapFileAt(t, f, addr, length, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, off)
		if err := e.mm.MAdvise(addr, length, unix.MADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
	}

	// A VMA that starts and ends inside windows.
	start, end := uintptr(base+3*pg), uintptr(base+2*mib-3*pg)
	mapLazy(f, start, end-start, 0)
	if err := e.mm.HandleFault(start+10*pg, 0); err != nil {
		t.Fatal(err)
	}
	if n := e.mappedIn(base-mib, base+4*mib); n != mib/pg-3 || e.mappedIn(start, base+mib) != n {
		t.Errorf("first fault mapped %d pages, want the %d from the VMA's start to the window's end", n, mib/pg-3)
	}
	if err := e.mm.HandleFault(end-pg, 0); err != nil {
		t.Fatal(err)
	}
	if n := e.mappedIn(base+mib, base+4*mib); n != mib/pg-3 || e.mappedIn(base+mib, end) != n {
		t.Errorf("second fault mapped %d pages, want the %d from the window's start to the VMA's end", n, mib/pg-3)
	}

	// Pages already there: the kernel's copies populate only what they
	// touch.
	b := uintptr(base + 2*mib)
	mapLazy(f, b, mib, 2*mib)
	for _, a := range []uintptr{b + 100*pg, b + 200*pg} {
		if _, err := e.mm.CopyIn(a, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ fault, lo, hi uintptr }{
		{b + 50*pg, b, b + 100*pg},
		{b + 150*pg, b + 101*pg, b + 200*pg},
		{b + 250*pg, b + 201*pg, b + mib},
	} {
		before := e.as.mapped()
		if err := e.mm.HandleFault(tc.fault, 0); err != nil {
			t.Fatal(err)
		}
		if n := e.as.mapped() - before; n != int((tc.hi-tc.lo)/pg) || e.mappedIn(tc.lo, tc.hi) != n {
			t.Errorf("fault at %#x mapped %d pages, want [%#x, %#x)", tc.fault, n, tc.lo, tc.hi)
		}
	}

	// The end of the file: the window stops there, and the fault is served.
	short := newCacheFile(32, fill(mib+10*pg+100, 6))
	c := uintptr(base + 8*mib)
	mapLazy(short, c, 2*mib, 0)
	if err := e.mm.HandleFault(c+mib+8, 0); err != nil {
		t.Fatalf("fault before the end of the file: %v", err)
	}
	if n := e.mappedIn(c, c+2*mib); n != 11 || e.mappedIn(c+mib, c+mib+11*pg) != n {
		t.Errorf("fault near the end of the file mapped %d pages, want the 11 up to its end", n)
	}
}

func TestStackGrowth(t *testing.T) {
	e := newTestEnv(t)
	const top = 0x7ffff0000000
	e.mm.SetStackLimit(64 * pg)
	stack, err := e.mm.MMap(MMapOpts{Addr: top - 4*pg, Length: 4 * pg, Prot: rw,
		Flags: anonPriv | unix.MAP_FIXED | unix.MAP_GROWSDOWN, Name: "[stack]"})
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, stack-10*pg+8, []byte("deep"))
	vs := e.mm.VMAs()
	if len(vs) != 1 || vs[0].Start != stack-10*pg || !vs[0].GrowsDown || vs[0].Name != "[stack]" {
		t.Fatalf("stack VMA after growth %+v", vs)
	}
	// Beyond RLIMIT_STACK: SIGSEGV.
	if err := appWrite(e.mm, e.as, top-64*pg-1, []byte{1}); !isSegv(err, SegvMapErr) {
		t.Fatalf("growth beyond the limit: %v", err)
	}
	// Not into the guard gap above another mapping.
	e.mmap(t, top-40*pg-stackGuardGap, pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err := appWrite(e.mm, e.as, top-39*pg-1, []byte{1}); err == nil {
		t.Fatalf("stack grew into the guard gap")
	}
	if err := appWrite(e.mm, e.as, top-39*pg, []byte{1}); err != nil {
		t.Fatalf("growth to the guard gap: %v", err)
	}
	// The kernel's copies do not grow the stack (Linux 6.5+).
	if _, err := e.mm.CopyOut(top-50*pg, []byte{1}); err != unix.EFAULT {
		t.Fatalf("CopyOut below the stack: %v, want EFAULT", err)
	}
}

// TestSequentialFaultAround: faults that each continue where the last
// populated window of a private anonymous mapping ended (a heap filled
// from its start) get windows doubling from faultAround up to
// maxSeqFaultAround; a fault elsewhere starts again at faultAround.
func TestSequentialFaultAround(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x10000000, 16<<20, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	next := a
	want := uintptr(faultAround)
	for i := 0; i < 8; i++ {
		before := e.mm.ResidentSize()
		if err := e.mm.HandleFault(next, platform.ProtWrite); err != nil {
			t.Fatal(err)
		}
		got := e.mm.ResidentSize() - before
		if got != want {
			t.Fatalf("fault %d at +%#x populated %#x, want %#x", i, next-a, got, want)
		}
		next += got
		want = min(2*want, maxSeqFaultAround)
	}
	// Somewhere else: back to the normal window.
	before := e.mm.ResidentSize()
	if err := e.mm.HandleFault(a+15<<20, platform.ProtWrite); err != nil {
		t.Fatal(err)
	}
	if got := e.mm.ResidentSize() - before; got != faultAround {
		t.Errorf("a fault off the run populated %#x, want %#x", got, faultAround)
	}
	checkInvariants(t, e.mm, e.as)
}
