package mm

import (
	"bytes"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// pmaState is a page's memory-file offset and cow flag, for before/after
// comparisons.
type pmaState struct {
	off uint64
	cow bool
}

func (e *testEnv) stateAt(addr uintptr) pmaState {
	off, cow := e.offAt(addr)
	return pmaState{off, cow}
}

// mapCounts returns how often e's address space was asked to map and unmap.
func (e *testEnv) mapCounts() (int, int) {
	e.as.mu.Lock()
	defer e.as.mu.Unlock()
	return e.as.maps, e.as.unmaps
}

// writeNoFault writes data as the application and fails the test if that
// took a fault (changed the address space).
func (e *testEnv) writeNoFault(t *testing.T, addr uintptr, data []byte) {
	t.Helper()
	gen := e.as.generation()
	e.write(t, addr, data)
	if g := e.as.generation(); g != gen {
		t.Fatalf("write at %#x faulted (%d address-space changes)", addr, g-gen)
	}
}

func TestForkEagerCopiesSmallRegion(t *testing.T) {
	e := newTestEnv(t)
	const n = 4 * pg
	a := e.mmap(t, 0x400000, n, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(n, 1))
	before := e.mf.Usage().Allocated
	var parent []pmaState
	for p := a; p < a+n; p += pg {
		parent = append(parent, e.stateAt(p))
	}
	maps, unmaps := e.mapCounts()

	c := e.fork(t)
	// The parent is untouched: same pages, not cow, still writable, and
	// not remapped.
	if m, u := e.mapCounts(); m != maps || u != unmaps {
		t.Fatalf("fork remapped the parent: %d maps, %d unmaps", m-maps, u-unmaps)
	}
	for i, p := 0, a; p < a+n; i, p = i+1, p+pg {
		if s := e.stateAt(p); s != parent[i] {
			t.Fatalf("parent's page %#x changed by fork: %+v -> %+v", p, parent[i], s)
		}
		if pr, _ := e.mappedProt(p); pr != rw {
			t.Fatalf("parent's page %#x mapped %v", p, pr)
		}
		// The child has its own, writable, copy.
		cs := c.stateAt(p)
		if cs.cow || cs.off == parent[i].off {
			t.Fatalf("child's page %#x: %+v, parent's %+v", p, cs, parent[i])
		}
		if pr, ok := c.mappedProt(p); !ok || pr != rw {
			t.Fatalf("child's page %#x mapped %v (present %v)", p, pr, ok)
		}
		if r1, r2 := e.refsAt(t, p), c.refsAt(t, p); r1 != 1 || r2 != 1 {
			t.Fatalf("page %#x refs: parent %d, child %d", p, r1, r2)
		}
	}
	if u := e.mf.Usage().Allocated; u-before != n {
		t.Fatalf("fork allocated %#x bytes, want %#x", u-before, n)
	}
	if got := c.read(t, a, n); !bytes.Equal(got, fill(n, 1)) {
		t.Fatal("child reads differ")
	}

	// Neither side faults on its first write, and the writes are private.
	allocated := e.mf.Usage().Allocated
	e.writeNoFault(t, a+pg+3, []byte("parent"))
	c.writeNoFault(t, a+pg+3, []byte("child"))
	c.writeNoFault(t, a+3*pg, []byte("C"))
	if got := e.read(t, a+pg+3, 6); string(got) != "parent" {
		t.Fatalf("parent reads %q", got)
	}
	if got := c.read(t, a+pg+3, 6); string(got) != "child"+string(fill(n, 1)[pg+8]) {
		t.Fatalf("child reads %q", got)
	}
	if got := e.read(t, a+3*pg, 1); got[0] != fill(n, 1)[3*pg] {
		t.Fatal("child's write seen by the parent")
	}
	if u := e.mf.Usage().Allocated; u != allocated {
		t.Fatalf("writes after fork allocated %#x bytes", u-allocated)
	}
	// The kernel's writes need no copy either.
	if n, err := c.mm.CopyOut(a+2*pg-2, []byte("abcd")); n != 4 || err != nil {
		t.Fatalf("CopyOut: %d, %v", n, err)
	}
	if got := e.read(t, a+2*pg-2, 4); !bytes.Equal(got, fill(n, 1)[2*pg-2:2*pg+2]) {
		t.Fatal("child's CopyOut seen by the parent")
	}
	if u := e.mf.Usage().Allocated; u != allocated {
		t.Fatalf("CopyOut after fork allocated %#x bytes", u-allocated)
	}
}

func TestForkEagerHoles(t *testing.T) {
	e := newTestEnv(t)
	// A large VMA with few pages populated is copied: what counts is
	// what is populated. CopyOut populates exactly the pages it touches.
	const n = 256 * pg
	a := e.mmap(t, 0x400000, n, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	populated := []uintptr{0, 3, 4, 200}
	for _, i := range populated {
		if _, err := e.mm.CopyOut(a+i*pg, fill(pg, byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	before := e.mf.Usage().Allocated
	c := e.fork(t)
	if u := e.mf.Usage().Allocated; u-before != uint64(len(populated))*pg {
		t.Fatalf("fork allocated %#x bytes, want %#x", u-before, len(populated)*pg)
	}
	if m := c.as.mapped(); m != len(populated) {
		t.Fatalf("child has %d pages mapped, want %d", m, len(populated))
	}
	for _, i := range populated {
		if s := c.stateAt(a + i*pg); s.cow || s.off == e.stateAt(a+i*pg).off {
			t.Fatalf("child's page %d: %+v", i, s)
		}
		if got := c.read(t, a+i*pg, pg); !bytes.Equal(got, fill(pg, byte(i))) {
			t.Fatalf("child's page %d differs", i)
		}
	}
	for _, i := range []uintptr{1, 2, 5, 100, 255} {
		if p, ok := c.offAt(a + i*pg); ok || p != ^uint64(0) {
			t.Fatalf("child's page %d populated by fork", i)
		}
	}
	// Holes read as zeros, and stay holes in the parent.
	if got := c.read(t, a+100*pg, pg); !bytes.Equal(got, make([]byte, pg)) {
		t.Fatal("child's hole not zero")
	}
	if _, ok := e.mappedProt(a + 100*pg); ok {
		t.Fatal("child's fault populated the parent")
	}
}

func TestForkEagerLargeRegionIsCOW(t *testing.T) {
	e := newTestEnv(t)
	// Exactly eagerForkCopy populated is copied; one page more is shared.
	const small, large = eagerForkCopy, eagerForkCopy + pg
	a := e.mmap(t, 0x400000, small, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	b := e.mmap(t, 0x800000, large, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(small, 1))
	e.write(t, b, fill(large, 2))
	before := e.mf.Usage().Allocated
	c := e.fork(t)
	if u := e.mf.Usage().Allocated; u-before != small {
		t.Fatalf("fork allocated %#x bytes, want %#x", u-before, small)
	}
	for _, env := range []*testEnv{e, c} {
		if s := env.stateAt(a); s.cow {
			t.Fatal("small region is cow")
		}
		for p := b; p < b+large; p += pg {
			if s := env.stateAt(p); !s.cow {
				t.Fatalf("large region's page %#x not cow", p)
			}
			if pr, _ := env.mappedProt(p); pr != ro {
				t.Fatalf("large region's page %#x mapped %v", p, pr)
			}
		}
	}
	if r := e.refsAt(t, b+5*pg); r != 2 {
		t.Fatalf("large region's page has %d refs, want 2", r)
	}
	c.write(t, b+pg, []byte("child"))
	e.write(t, b+large-pg, []byte("parent"))
	if got := e.read(t, b+pg, 5); !bytes.Equal(got, fill(large, 2)[pg:pg+5]) {
		t.Fatal("child's write seen by the parent")
	}
	if got := c.read(t, b+large-pg, 6); !bytes.Equal(got, fill(large, 2)[large-pg:large-pg+6]) {
		t.Fatal("parent's write seen by the child")
	}
	if got := c.read(t, b+pg, 5); string(got) != "child" {
		t.Fatalf("child reads %q", got)
	}
}

func TestForkEagerAlreadyCOW(t *testing.T) {
	e := newTestEnv(t)
	// A large region goes cow; shrunk to a small one, its pages are
	// still shared with the child, so the next fork shares them too.
	const n = 32 * pg
	a := e.mmap(t, 0x400000, n, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(n, 3))
	c := e.fork(t)
	if err := e.mm.MUnmap(a+2*pg, n-2*pg); err != nil {
		t.Fatal(err)
	}
	maps, unmaps := e.mapCounts()
	before := e.mf.Usage().Allocated
	g := e.fork(t)
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("fork of cow pages allocated %#x bytes", u-before)
	}
	if m, u := e.mapCounts(); m != maps || u != unmaps {
		t.Fatalf("fork of cow pages remapped the parent: %d maps, %d unmaps", m-maps, u-unmaps)
	}
	for _, env := range []*testEnv{e, c, g} {
		if s := env.stateAt(a + pg); !s.cow {
			t.Fatal("page not cow")
		}
	}
	if r := e.refsAt(t, a); r != 3 {
		t.Fatalf("page shared by three has %d refs", r)
	}
	g.write(t, a, []byte("g"))
	c.write(t, a+pg, []byte("c"))
	e.write(t, a, []byte("e"))
	want := fill(n, 3)
	for _, tc := range []struct {
		env      *testEnv
		at0, at1 byte
	}{{e, 'e', want[pg]}, {c, want[0], 'c'}, {g, 'g', want[pg]}} {
		if got := tc.env.read(t, a, 1); got[0] != tc.at0 {
			t.Fatalf("page 0 reads %q, want %q", got, tc.at0)
		}
		if got := tc.env.read(t, a+pg, 1); got[0] != tc.at1 {
			t.Fatalf("page 1 reads %q, want %q", got, tc.at1)
		}
	}
}

func TestForkEagerForkOfFork(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, []byte("gen0"))
	c := e.fork(t)
	c2 := e.fork(t) // Again, without writing.
	g := c.fork(t)
	for _, env := range []*testEnv{e, c, c2, g} {
		if s := env.stateAt(a); s.cow {
			t.Fatal("small region cow")
		}
		if r := env.refsAt(t, a); r != 1 {
			t.Fatalf("page has %d refs", r)
		}
	}
	c.writeNoFault(t, a, []byte("gen1"))
	g.writeNoFault(t, a, []byte("gen2"))
	for _, tc := range []struct {
		env  *testEnv
		want string
	}{{e, "gen0"}, {c, "gen1"}, {c2, "gen0"}, {g, "gen2"}} {
		if got := tc.env.read(t, a, 4); string(got) != tc.want {
			t.Fatalf("read %q, want %q", got, tc.want)
		}
	}
}

func TestForkEagerSharedAndProtections(t *testing.T) {
	e := newTestEnv(t)
	shared := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_SHARED|unix.MAP_FIXED)
	noneA := e.mmap(t, 0x500000, 2*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	roA := e.mmap(t, 0x600000, 2*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, shared, fill(4*pg, 1))
	e.write(t, noneA, fill(2*pg, 2))
	e.write(t, roA, fill(2*pg, 3))
	if err := e.mm.MProtect(noneA, 2*pg, uint32(none)); err != nil {
		t.Fatal(err)
	}
	if err := e.mm.MProtect(roA, 2*pg, uint32(ro)); err != nil {
		t.Fatal(err)
	}
	before := e.mf.Usage().Allocated
	c := e.fork(t)
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("fork allocated %#x bytes, want none", u-before)
	}
	// Shared pages are the parent's, not cow, writable.
	for _, env := range []*testEnv{e, c} {
		if s := env.stateAt(shared); s.cow || s.off != e.stateAt(shared).off {
			t.Fatalf("shared page %+v", s)
		}
		if pr, _ := env.mappedProt(shared); pr != rw {
			t.Fatalf("shared page mapped %v", pr)
		}
	}
	c.write(t, shared, []byte("c"))
	if got := e.read(t, shared, 1); got[0] != 'c' {
		t.Fatal("shared write not seen")
	}
	// Populated PROT_NONE and read-only private memory is shared
	// copy-on-write: it is not writable, so nobody faults on it soon.
	for _, addr := range []uintptr{noneA, roA} {
		if s, cs := e.stateAt(addr), c.stateAt(addr); !s.cow || !cs.cow || s.off != cs.off {
			t.Fatalf("%#x: parent %+v, child %+v", addr, s, cs)
		}
	}
	if _, ok := c.mappedProt(noneA); ok {
		t.Fatal("child's PROT_NONE page mapped")
	}
	if err := c.mm.MProtect(noneA, 2*pg, uint32(rw)); err != nil {
		t.Fatal(err)
	}
	c.write(t, noneA, []byte("c"))
	if err := e.mm.MProtect(noneA, 2*pg, uint32(ro)); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, noneA, 2*pg); !bytes.Equal(got, fill(2*pg, 2)) {
		t.Fatal("child's write to PROT_NONE memory seen by the parent")
	}
	if got := c.read(t, roA, 2*pg); !bytes.Equal(got, fill(2*pg, 3)) {
		t.Fatal("read-only memory differs")
	}
}

func TestForkEagerPMASpanningVMAs(t *testing.T) {
	e := newTestEnv(t)
	// One PMA under three VMAs: rw, ro, rw.
	const n = 8 * pg
	a := e.mmap(t, 0x400000, n, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(n, 4))
	if err := e.mm.MProtect(a+3*pg, 2*pg, uint32(ro)); err != nil {
		t.Fatal(err)
	}
	c := e.fork(t)
	for i := uintptr(0); i < 8; i++ {
		wantCOW := i == 3 || i == 4
		ps, cs := e.stateAt(a+i*pg), c.stateAt(a+i*pg)
		if ps.cow != wantCOW || cs.cow != wantCOW || (ps.off == cs.off) != wantCOW {
			t.Fatalf("page %d: parent %+v, child %+v", i, ps, cs)
		}
	}
	if got := c.read(t, a, n); !bytes.Equal(got, fill(n, 4)) {
		t.Fatal("child reads differ")
	}
	c.writeNoFault(t, a+2*pg, []byte("c"))
	e.writeNoFault(t, a+5*pg, []byte("e"))
	if got := e.read(t, a+2*pg, 1); got[0] != fill(n, 4)[2*pg] {
		t.Fatal("child's write seen by the parent")
	}
	if got := c.read(t, a+5*pg, 1); got[0] != fill(n, 4)[5*pg] {
		t.Fatal("parent's write seen by the child")
	}
}

func TestForkEagerTotalCap(t *testing.T) {
	e := newTestEnv(t)
	// More small regions than eagerForkTotal allows, each as large as a
	// copied one may be; the gaps keep the VMAs apart.
	const per = eagerForkCopy
	const count = eagerForkTotal/per + 3
	var regions []uintptr
	for i := uintptr(0); i < count; i++ {
		a := e.mmap(t, 0x400000+i*2*per, per, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
		e.write(t, a, fill(per, byte(i)))
		regions = append(regions, a)
	}
	before := e.mf.Usage().Allocated
	c := e.fork(t)
	if u := e.mf.Usage().Allocated; u-before != eagerForkTotal {
		t.Fatalf("fork allocated %#x bytes, want %#x", u-before, eagerForkTotal)
	}
	shared := 0
	for i, a := range regions {
		if c.stateAt(a).cow {
			shared++
		}
		if got := c.read(t, a, per); !bytes.Equal(got, fill(per, byte(i))) {
			t.Fatalf("region %d differs", i)
		}
	}
	if shared != count-eagerForkTotal/per {
		t.Fatalf("%d regions shared copy-on-write, want %d", shared, count-eagerForkTotal/per)
	}
	for i, a := range regions {
		c.write(t, a, []byte{0xff})
		if got := e.read(t, a, 1); got[0] != byte(i) {
			t.Fatalf("child's write to region %d seen by the parent", i)
		}
	}
}

func TestForkEagerOutOfMemory(t *testing.T) {
	// A memory file with no room left: the small region is shared
	// copy-on-write instead, and fork succeeds.
	e := newTestEnvSize(t, 24*pg)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	b := e.mmap(t, 0x800000, 20*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(4*pg, 5))
	e.write(t, b, fill(20*pg, 6))
	if _, err := e.mf.Allocate(pg); err != unix.ENOMEM {
		t.Fatalf("memory file not full: %v", err)
	}
	c := e.fork(t)
	for _, env := range []*testEnv{e, c} {
		if !env.stateAt(a).cow {
			t.Fatal("small region not shared copy-on-write")
		}
		if pr, _ := env.mappedProt(a); pr != ro {
			t.Fatalf("cow page mapped %v", pr)
		}
	}
	if got := c.read(t, a, 4*pg); !bytes.Equal(got, fill(4*pg, 5)) {
		t.Fatal("child reads differ")
	}
	// Once the child is gone, the parent takes its pages back without
	// a copy.
	c.mm.Release()
	e.write(t, a, []byte("e"))
	if e.stateAt(a).cow {
		t.Fatal("page still cow")
	}
}

// TestForkEagerConcurrent forks while sibling threads write their own small
// regions, which fork copies while they are written; run with -race.
func TestForkEagerConcurrent(t *testing.T) {
	e := newTestEnv(t)
	const threads = 4
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, threads)
	var regions []uintptr
	for i := uintptr(0); i < threads; i++ {
		regions = append(regions, e.mmap(t, 0x400000+i*0x100000, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED))
	}
	for i := range regions {
		wg.Add(1)
		go func(base uintptr) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				addr := base + uintptr(n%4)*pg + uintptr(n%64)
				v := []byte{byte(n), byte(n >> 8)}
				var err error
				if n%3 == 0 {
					_, err = e.mm.CopyOut(addr, v)
				} else {
					err = appWrite(e.mm, e.as, addr, v)
				}
				if err == nil {
					var got []byte
					got, err = appRead(e.mm, e.as, addr, 2)
					if err == nil && !bytes.Equal(got, v) {
						t.Errorf("read %v, wrote %v", got, v)
						return
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(regions[i])
	}
	var kids []*MemoryManager
	for k := 0; k < 30; k++ {
		as := newFakeAS(e.mf)
		c, err := e.mm.Fork(as)
		if err != nil {
			t.Fatal(err)
		}
		if err := appWrite(c, as, regions[k%threads]+uintptr(k%4)*pg, []byte{0xff}); err != nil {
			t.Fatal(err)
		}
		kids = append(kids, c)
		if len(kids) > 4 {
			kids[0].Release()
			kids = kids[1:]
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range kids {
		c.Release()
	}
}
