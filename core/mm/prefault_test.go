package mm

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// prefaultBase is where the prefault tests map, aligned to fileFaultAround.
const prefaultBase = 0x40000000

// faultsDuring runs f and returns how many times the address space changed
// while it ran: nonzero when f's accesses faulted.
func (e *testEnv) faultsDuring(f func()) int {
	gen := e.as.generation()
	f()
	return e.as.generation() - gen
}

// wantSIGBUS checks that the application's access to addr gets SIGBUS
// (BUS_ADRERR).
func wantSIGBUS(t *testing.T, e *testEnv, addr uintptr) {
	t.Helper()
	_, err := appAccess(e.mm, e.as, addr, ro)
	var fe *FaultError
	if !errors.As(err, &fe) || fe.Signo != unix.SIGBUS || fe.Code != BusAdrErr {
		t.Errorf("access at %#x: %v, want SIGBUS BUS_ADRERR", addr, err)
	}
}

// TestPrefaultReadOnly checks that a file mapping without PROT_WRITE has its
// first fileFaultAround bytes mapped when mmap returns, from the page
// cache's own pages, read from the file once.
func TestPrefaultReadOnly(t *testing.T) {
	const mib = 1 << 20
	data := fill(4*mib, 9)
	for _, tc := range []struct {
		name  string
		prot  uint32
		flags int
		addr  uintptr // not aligned to the window: the mapping's start counts
		off   uint64
	}{
		{"private read-only", unix.PROT_READ, unix.MAP_PRIVATE, prefaultBase + 3*pg, 0},
		{"private text", unix.PROT_READ | unix.PROT_EXEC, unix.MAP_PRIVATE, prefaultBase, mib + 5*pg},
		{"shared read-only", unix.PROT_READ, unix.MAP_SHARED, prefaultBase + 7*pg, 2 * pg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			p := e.newPeer(t)
			dropCache(t, e)
			f := newCacheFile(100, data)
			const length = 2*mib + 3*pg
			addr := e.mapFileAt(t, f, tc.addr, length, tc.prot, tc.prot, tc.flags, tc.off)
			if n := e.as.mapped(); n != fileFaultAround/pg || e.mappedIn(addr, addr+fileFaultAround) != n {
				t.Fatalf("after mmap %d pages mapped, %d of the first %#x bytes; want those, %d pages",
					n, e.mappedIn(addr, addr+fileFaultAround), fileFaultAround, fileFaultAround/pg)
			}
			// The application reads the window without a fault.
			var first, last []byte
			if n := e.faultsDuring(func() {
				first = e.read(t, addr, 8)
				last = e.read(t, addr+fileFaultAround-8, 8)
			}); n != 0 {
				t.Errorf("reading the prefaulted window faulted (%d changes)", n)
			}
			if !bytes.Equal(first, data[tc.off:tc.off+8]) ||
				!bytes.Equal(last, data[tc.off+fileFaultAround-8:tc.off+fileFaultAround]) {
				t.Errorf("the window reads %x...%x, want the file's bytes", first, last)
			}
			// The cache's pages, not copies: nothing but them is
			// allocated, and a private mapping maps them cow.
			if u := e.mf.Usage().Allocated; u != fileFaultAround {
				t.Errorf("%#x bytes allocated, want only the cache's %#x", u, fileFaultAround)
			}
			if _, read, _ := f.state(); read != fileFaultAround {
				t.Errorf("the file was read %#x bytes, want the window, %#x", read, fileFaultAround)
			}
			private := tc.flags == unix.MAP_PRIVATE
			for _, a := range []uintptr{addr, addr + fileFaultAround - pg} {
				if _, cow := e.offAt(a); cow != private {
					t.Errorf("page %#x: cow %v, want %v", a, cow, private)
				}
				if prot, _ := e.mappedProt(a); prot != protOf(tc.prot) {
					t.Errorf("page %#x mapped %v, want %v", a, prot, protOf(tc.prot))
				}
				if r := e.refsAt(t, a); r != 2 {
					t.Errorf("page %#x has %d references, want 2 (the cache, the mapping)", a, r)
				}
			}
			// Past the window, faults as before.
			if n := e.faultsDuring(func() { e.read(t, addr+fileFaultAround, 1) }); n == 0 {
				t.Error("a read past the window found its page mapped")
			}

			// Another process maps the same pages, reading nothing.
			_, read, _ := f.state()
			paddr := p.mapFileAt(t, f, tc.addr, length, tc.prot, tc.prot, tc.flags, tc.off)
			for _, off := range []uintptr{0, 100 * pg, fileFaultAround - pg} {
				want, _ := e.offAt(addr + off)
				if got, _ := p.offAt(paddr + off); got != want {
					t.Errorf("the other process maps page %#x at %#x, want the cache's %#x", off, got, want)
				}
			}
			if _, again, _ := f.state(); again != read {
				t.Errorf("the second mapping read %#x bytes of the file, want none", again-read)
			}
		})
	}
}

// TestPrefaultWritablePrivate checks that a writable private file mapping
// has its first faultAround bytes copied when mmap returns, and that
// writes to them stay private.
func TestPrefaultWritablePrivate(t *testing.T) {
	e := newTestEnv(t)
	p := e.newPeer(t)
	dropCache(t, e)
	data := fill(256<<10, 3)
	orig := append([]byte(nil), data...)
	f := newCacheFile(101, data)
	const length = 256 << 10
	addr := e.mapFileAt(t, f, prefaultBase+pg, length, unix.PROT_READ|unix.PROT_WRITE, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	if n := e.as.mapped(); n != faultAround/pg || e.mappedIn(addr, addr+faultAround) != n {
		t.Fatalf("after mmap %d pages mapped, %d of the first %#x bytes; want those, %d pages",
			n, e.mappedIn(addr, addr+faultAround), faultAround, faultAround/pg)
	}
	// Copies: the cache's pages and the mapping's.
	if u := e.mf.Usage().Allocated; u != 2*faultAround {
		t.Errorf("%#x bytes allocated, want the cache's window and a copy, %#x", u, 2*faultAround)
	}
	for _, a := range []uintptr{addr, addr + faultAround - pg} {
		if _, cow := e.offAt(a); cow {
			t.Errorf("page %#x is cow, want a private copy", a)
		}
		if r := e.refsAt(t, a); r != 1 {
			t.Errorf("page %#x has %d references, want 1 (a private copy)", a, r)
		}
		if prot, _ := e.mappedProt(a); prot != rw {
			t.Errorf("page %#x mapped %v, want %v", a, prot, rw)
		}
	}
	if n := e.faultsDuring(func() {
		e.write(t, addr+5, []byte("private"))
		e.write(t, addr+faultAround-3, []byte("end"))
	}); n != 0 {
		t.Errorf("writing the prefaulted window faulted (%d changes)", n)
	}
	if got := e.read(t, addr, 12); string(got[5:]) != "private" || !bytes.Equal(got[:5], orig[:5]) {
		t.Errorf("the writer reads %q", got)
	}
	// Past the window the file's bytes, faulted in.
	if got := e.read(t, addr+faultAround, 4); !bytes.Equal(got, orig[faultAround:faultAround+4]) {
		t.Errorf("past the window reads %x, want the file's", got)
	}
	// The file and the cache are unchanged.
	shared := p.mapFile(t, f, length, unix.PROT_READ, unix.PROT_READ, unix.MAP_SHARED, 0)
	if got := p.read(t, shared, faultAround); !bytes.Equal(got, orig[:faultAround]) {
		t.Error("the private writes reached the page cache")
	}
	if _, _, w := f.state(); w != 0 || !bytes.Equal(f.data, orig) {
		t.Errorf("the private writes reached the file (%d writes)", w)
	}
}

// TestPrefaultBeyondEOF checks that a mapping longer than its file is
// populated up to the end of the file and no further, and that the pages
// beyond still get SIGBUS.
func TestPrefaultBeyondEOF(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prot  uint32
		flags int
	}{
		{"private read-only", unix.PROT_READ, unix.MAP_PRIVATE},
		{"private writable", unix.PROT_READ | unix.PROT_WRITE, unix.MAP_PRIVATE},
		{"shared read-only", unix.PROT_READ, unix.MAP_SHARED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			dropCache(t, e)
			f := newCacheFile(102, pageCacheData()) // 3.5 pages
			addr := e.mapFileAt(t, f, prefaultBase, 6*pg, tc.prot, unix.PROT_READ, tc.flags, 0)
			if n := e.as.mapped(); n != 4 || e.mappedIn(addr, addr+4*pg) != 4 {
				t.Errorf("after mmap %d pages mapped, want the 4 up to the end of the file", n)
			}
			var tail []byte
			if n := e.faultsDuring(func() { tail = e.read(t, addr+3*pg+pg/2-1, 2) }); n != 0 || tail[0] != 4 || tail[1] != 0 {
				t.Errorf("around the end of the file: %v (%d changes), want [4 0] without a fault", tail, n)
			}
			wantSIGBUS(t, e, addr+4*pg)
			wantSIGBUS(t, e, addr+5*pg+8)

			// A mapping that starts beyond the end: nothing.
			before := e.as.mapped()
			far := e.mapFileAt(t, f, prefaultBase+1<<20, 4*pg, tc.prot, unix.PROT_READ, tc.flags, 8*pg)
			if n := e.as.mapped() - before; n != 0 {
				t.Errorf("a mapping beyond the end of the file has %d pages mapped", n)
			}
			wantSIGBUS(t, e, far)
		})
	}
}

// TestPrefaultSkipped checks the mappings that mmap leaves unpopulated.
func TestPrefaultSkipped(t *testing.T) {
	const length = 64 * pg
	for _, tc := range []struct {
		name    string
		file    bool
		prot    uint32
		maxProt uint32
		flags   int
	}{
		{"shared writable file", true, unix.PROT_READ | unix.PROT_WRITE, unix.PROT_READ | unix.PROT_WRITE, unix.MAP_SHARED},
		{"private file PROT_NONE", true, unix.PROT_NONE, unix.PROT_READ, unix.MAP_PRIVATE},
		{"shared file PROT_NONE", true, unix.PROT_NONE, unix.PROT_READ, unix.MAP_SHARED},
		{"private anonymous", false, unix.PROT_READ | unix.PROT_WRITE, 0, unix.MAP_PRIVATE},
		{"private anonymous read-only", false, unix.PROT_READ, 0, unix.MAP_PRIVATE},
		{"shared anonymous", false, unix.PROT_READ | unix.PROT_WRITE, 0, unix.MAP_SHARED},
		{"shared anonymous read-only", false, unix.PROT_READ, 0, unix.MAP_SHARED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			dropCache(t, e)
			f := newCacheFile(103, fill(length, 1))
			var addr uintptr
			if tc.file {
				addr = e.mapFileAt(t, f, prefaultBase, length, tc.prot, tc.maxProt, tc.flags, 0)
			} else {
				addr = e.mmap(t, prefaultBase, length, protOf(tc.prot), tc.flags|unix.MAP_FIXED)
			}
			if n, rss := e.as.mapped(), e.mm.ResidentSize(); n != 0 || rss != 0 {
				t.Errorf("after mmap %d pages mapped, %#x bytes resident; want none", n, rss)
			}
			if _, read, _ := f.state(); read != 0 {
				t.Errorf("mmap read %d bytes of the file", read)
			}
			if tc.prot == unix.PROT_NONE {
				// mprotect does not populate either.
				if err := e.mm.MProtect(addr, length, unix.PROT_READ); err != nil {
					t.Fatal(err)
				}
				if n := e.as.mapped(); n != 0 {
					t.Errorf("after mprotect %d pages mapped, want none", n)
				}
			}
			if n := e.faultsDuring(func() { e.read(t, addr, 1) }); n == 0 {
				t.Error("the first read did not fault")
			}
		})
	}

	// MAP_POPULATE still populates everything.
	e := newTestEnv(t)
	dropCache(t, e)
	f := newCacheFile(104, fill(2*fileFaultAround, 2))
	addr := e.mapFileAt(t, f, prefaultBase, 2*fileFaultAround, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_POPULATE, 0)
	if n := e.as.mapped(); n != 2*fileFaultAround/pg || e.mappedIn(addr, addr+2*fileFaultAround) != n {
		t.Errorf("MAP_POPULATE mapped %d pages, want all %d", n, 2*fileFaultAround/pg)
	}
}

// errFile is a cacheFile whose reads fail.
type errFile struct{ *cacheFile }

func (f errFile) ReadAt([]byte, int64) (int, error) { return 0, unix.EIO }

// TestPrefaultErrors checks that the prefault's errors do not fail mmap,
// and are reported by the faults that meet them, except a platform error.
func TestPrefaultErrors(t *testing.T) {
	t.Run("out of memory", func(t *testing.T) {
		e := newTestEnvSize(t, 64*pg)
		dropCache(t, e)
		f := newCacheFile(105, fill(fileFaultAround, 4))
		addr := e.mapFileAt(t, f, prefaultBase, fileFaultAround, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
		if rss := e.mm.ResidentSize(); rss == 0 || rss > 64*pg {
			t.Errorf("%#x bytes resident, want what fits in the memory file", rss)
		}
		if got := e.read(t, addr, 4); !bytes.Equal(got, f.data[:4]) {
			t.Errorf("the first page reads %x", got)
		}
		if _, err := appAccess(e.mm, e.as, addr+100*pg, ro); err != unix.ENOMEM {
			t.Errorf("a fault with the memory file full: %v, want ENOMEM", err)
		}
		// A writable private mapping has nothing to copy into.
		data := e.mapFileAt(t, f, prefaultBase+2*fileFaultAround, 16*pg, unix.PROT_READ|unix.PROT_WRITE, unix.PROT_READ, unix.MAP_PRIVATE, 0)
		if n := e.mappedIn(data, data+16*pg); n != 0 {
			t.Errorf("%d pages of a writable private mapping mapped with the memory file full", n)
		}
	})

	t.Run("I/O error", func(t *testing.T) {
		e := newTestEnv(t)
		dropCache(t, e)
		f := errFile{newCacheFile(106, fill(16*pg, 5))}
		addr := e.mapFileAt(t, f, prefaultBase, 16*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
		if n := e.as.mapped(); n != 0 {
			t.Errorf("%d pages mapped from a file that cannot be read", n)
		}
		wantSIGBUS(t, e, addr)
	})

	t.Run("platform error", func(t *testing.T) {
		e := newTestEnv(t)
		dropCache(t, e)
		m, id, err := e.mm.PageCache().Get(newCacheFile(107, fill(16*pg, 6)), "/lib/libtest.so", false)
		if err != nil {
			t.Fatal(err)
		}
		defer m.DecRef()
		defer id.DecRef()
		boom := errors.New("stub died")
		e.as.err = boom
		_, err = e.mm.MMap(MMapOpts{Length: 16 * pg, Prot: ro, Flags: unix.MAP_PRIVATE, Mappable: m, Identity: id})
		if !errors.Is(err, boom) || isErrno(err) {
			t.Fatalf("mmap with a failing platform: %v, want the platform's error", err)
		}
		// The address space is not trusted any more; Release still
		// returns every page (checked at the end of the test).
		e.mm.Release()
	})
}

// TestPrefaultBatched checks that the prefault is part of the mmap's batch:
// one round trip for the mapping and its pages.
func TestPrefaultBatched(t *testing.T) {
	m, bas, mf := newBatchingEnv(t)
	e := &testEnv{mf: mf, as: bas.fakeAS, mm: m}
	f := newCacheFile(108, fill(4*fileFaultAround, 7))
	text := e.mapFileAt(t, f, prefaultBase, 3*fileFaultAround, unix.PROT_READ|unix.PROT_EXEC, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE, 0)
	data := e.mapFileAt(t, f, text+3*fileFaultAround, 2*faultAround, unix.PROT_READ|unix.PROT_WRITE, unix.PROT_READ, unix.MAP_PRIVATE, 3*fileFaultAround)
	// ld.so maps a library's whole extent and then its segments over it.
	e.mapFileAt(t, f, text+pg, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, pg)
	if n := e.faultsDuring(func() {
		e.read(t, text+fileFaultAround-1, 1)
		e.write(t, data+faultAround-1, []byte{1})
	}); n != 0 {
		t.Errorf("reading and writing prefaulted pages faulted (%d changes)", n)
	}
	checkInvariants(t, m, bas.fakeAS)
	bas.mu.Lock()
	open, outside, batches := bas.open, bas.outside, bas.batches
	bas.mu.Unlock()
	if open || outside != 0 || batches != 3 {
		t.Errorf("batch open %v, %d changes outside a batch, %d batches; want one batch per mmap", open, outside, batches)
	}
	m.Release()
	m.PageCache().Drop()
	if u := mf.Usage(); u.Allocated != 0 {
		t.Errorf("after Release: %d bytes still allocated (leak)", u.Allocated)
	}
}

// TestPrefaultMerged checks the prefault of a mapping that merges with the
// one before it, as the loader's segments of one file may.
func TestPrefaultMerged(t *testing.T) {
	e := newTestEnv(t)
	dropCache(t, e)
	f := newCacheFile(109, fill(4*fileFaultAround, 8))
	m, id, err := e.mm.PageCache().Get(f, "/lib/libtest.so", false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.DecRef()
	defer id.DecRef()
	const half = 2 * fileFaultAround
	for _, off := range []uint64{0, half} {
		if _, err := e.mm.MMap(MMapOpts{Addr: prefaultBase + uintptr(off), Length: half, Prot: ro,
			Flags: unix.MAP_PRIVATE | unix.MAP_FIXED, Mappable: m, Offset: off, Identity: id}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := uintptr(prefaultBase), uintptr(prefaultBase+half)
	if vs := spansIn(e.mm, a, b+half); len(vs) != 1 {
		t.Fatalf("VMAs %v, want the two mappings merged", vs)
	}
	if n := e.as.mapped(); n != 2*fileFaultAround/pg || e.mappedIn(a, a+fileFaultAround) != n/2 ||
		e.mappedIn(b, b+fileFaultAround) != n/2 {
		t.Errorf("%d pages mapped, want the first window of each mapping", n)
	}
	if got := e.read(t, b, 4); !bytes.Equal(got, f.data[half:half+4]) {
		t.Errorf("the second mapping reads %x", got)
	}
}
