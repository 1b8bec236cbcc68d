package mm

import (
	"bytes"
	"sync"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// refsAt returns the memory-file reference count of the page mapped at addr
// in e, or 0 if it is not populated.
func (e *testEnv) refsAt(t testing.TB, addr uintptr) int64 {
	t.Helper()
	e.mm.mu.RLock()
	defer e.mm.mu.RUnlock()
	p := e.mm.pmaAt(addr)
	if p == nil {
		return 0
	}
	page := pageRoundDown(addr)
	var refs int64
	e.mf.RefRuns(p.fileRange(page, page+pg), func(_ memfile.Range, n int64) { refs = n })
	return refs
}

// offAt returns the memory-file offset of the page at addr and whether it is
// cow.
func (e *testEnv) offAt(addr uintptr) (uint64, bool) {
	e.mm.mu.RLock()
	defer e.mm.mu.RUnlock()
	p := e.mm.pmaAt(addr)
	if p == nil {
		return ^uint64(0), false
	}
	return p.off + uint64(pageRoundDown(addr)-p.start), p.cow
}

// mappedProt returns the permissions addr's page has in e's address space.
func (e *testEnv) mappedProt(addr uintptr) (platform.Prot, bool) {
	e.as.mu.Lock()
	defer e.as.mu.Unlock()
	p, ok := e.as.pages[pageRoundDown(addr)]
	return p.prot, ok
}

func TestCOWForkWrite(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 32*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(32*pg, 1))
	before := e.mf.Usage().Allocated

	c := e.fork(t)
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("fork allocated %#x bytes", u-before)
	}
	for _, env := range []*testEnv{e, c} {
		if p, ok := env.mappedProt(a + 5*pg); !ok || p != ro {
			t.Fatalf("shared page mapped %v (present %v), want read-only", p, ok)
		}
		if off, cow := env.offAt(a + 5*pg); !cow {
			t.Fatalf("page at %#x not cow", off)
		}
	}
	if pOff, _ := e.offAt(a); func() bool { cOff, _ := c.offAt(a); return cOff != pOff }() {
		t.Fatal("child does not share the parent's page")
	}
	if r := e.refsAt(t, a); r != 2 {
		t.Fatalf("shared page has %d references, want 2", r)
	}
	// Reads share.
	if got := c.read(t, a, 32*pg); !bytes.Equal(got, fill(32*pg, 1)) {
		t.Fatal("child reads differ")
	}
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("reads allocated %#x bytes", u-before)
	}

	// The child writes: its fault-around window (16 pages) is copied.
	c.write(t, a+3*pg+7, []byte("child"))
	if u := e.mf.Usage().Allocated; u-before != faultAround {
		t.Fatalf("child's write allocated %#x bytes, want %#x", u-before, faultAround)
	}
	if got := e.read(t, a+3*pg+7, 5); !bytes.Equal(got, fill(32*pg, 1)[3*pg+7:3*pg+12]) {
		t.Fatalf("child's write seen by the parent: %q", got)
	}
	if r := e.refsAt(t, a+3*pg); r != 1 {
		t.Fatalf("parent's page has %d references after the child's copy, want 1", r)
	}
	if r := e.refsAt(t, a+20*pg); r != 2 {
		t.Fatalf("page outside the window has %d references, want 2", r)
	}
	if p, _ := c.mappedProt(a + 3*pg); p != rw {
		t.Fatalf("child's copied page mapped %v", p)
	}
	if p, _ := c.mappedProt(a + 20*pg); p != ro {
		t.Fatalf("child's page outside the window mapped %v", p)
	}

	// The parent writes where the child copied: it is the only holder
	// and takes the pages over without copying.
	off0, _ := e.offAt(a + 3*pg)
	e.write(t, a+3*pg, []byte("parent"))
	if off1, cow := e.offAt(a + 3*pg); off1 != off0 || cow {
		t.Fatalf("parent's sole page moved (%#x -> %#x) or stayed cow (%v)", off0, off1, cow)
	}
	if u := e.mf.Usage().Allocated; u-before != faultAround {
		t.Fatalf("parent's write to a sole page allocated %#x bytes", u-before-faultAround)
	}
	if got := c.read(t, a+3*pg, 6); bytes.Equal(got, []byte("parent")) {
		t.Fatal("parent's write seen by the child")
	}
	// The parent writes where both still share: it copies.
	e.write(t, a+20*pg, []byte("P"))
	c.write(t, a+21*pg, []byte("C"))
	if got := c.read(t, a+20*pg, 1); got[0] == 'P' {
		t.Fatal("parent's write seen by the child")
	}
	if got := e.read(t, a+21*pg, 1); got[0] == 'C' {
		t.Fatal("child's write seen by the parent")
	}
	if u := e.mf.Usage().Allocated; u-before != 2*faultAround {
		t.Fatalf("after both wrote everywhere: %#x bytes extra, want %#x", u-before, 2*faultAround)
	}

	// Releasing the child leaves the parent sole holder of everything.
	checkInvariants(t, c.mm, c.as)
	c.mm.Release()
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("after the child's Release: %#x allocated, want %#x", u, before)
	}
	e.write(t, a, fill(32*pg, 9))
	if got := e.read(t, a, 32*pg); !bytes.Equal(got, fill(32*pg, 9)) {
		t.Fatal("parent's memory wrong after the child left")
	}
	if u := e.mf.Usage().Allocated; u != before {
		t.Fatalf("writes after the child left allocated %#x", u-before)
	}
}

func TestCOWSharedAndSpecialMappings(t *testing.T) {
	e := newTestEnv(t)
	shared := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_SHARED|unix.MAP_FIXED)
	// Past its first two pages, priv is too large to be copied at fork
	// (eagerForkCopy).
	const privLen = 2*pg + eagerForkCopy + pg
	priv := e.mmap(t, 0x500000, privLen, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, shared, fill(4*pg, 1))
	e.write(t, priv, fill(privLen, 2))
	if err := e.mm.MAdvise(priv, pg, unix.MADV_DONTFORK); err != nil {
		t.Fatal(err)
	}
	if err := e.mm.MAdvise(priv+pg, pg, unix.MADV_WIPEONFORK); err != nil {
		t.Fatal(err)
	}
	c := e.fork(t)
	// Shared mappings stay writable and shared.
	for _, env := range []*testEnv{e, c} {
		if p, _ := env.mappedProt(shared); p != rw {
			t.Fatalf("shared page mapped %v after fork", p)
		}
		if _, cow := env.offAt(shared); cow {
			t.Fatal("shared page is cow")
		}
	}
	c.write(t, shared, []byte("c"))
	if got := e.read(t, shared, 1); got[0] != 'c' {
		t.Fatal("shared write not seen")
	}
	// MADV_DONTFORK and MADV_WIPEONFORK pages of the parent are not
	// shared, so they stay writable.
	for _, addr := range []uintptr{priv, priv + pg} {
		if _, cow := e.offAt(addr); cow {
			t.Fatalf("parent's page %#x made cow", addr)
		}
		if p, _ := e.mappedProt(addr); p != rw {
			t.Fatalf("parent's page %#x mapped %v", addr, p)
		}
	}
	if _, ok := c.offAt(priv); ok || c.refsAt(t, priv+pg) != 0 {
		t.Fatal("child got pages of MADV_DONTFORK/WIPEONFORK VMAs")
	}
	if got := c.read(t, priv+pg, pg); !bytes.Equal(got, make([]byte, pg)) {
		t.Fatal("MADV_WIPEONFORK memory not zero in the child")
	}
	if got := c.read(t, priv+2*pg, 2*pg); !bytes.Equal(got, fill(privLen, 2)[2*pg:4*pg]) {
		t.Fatal("child's copy-on-write memory wrong")
	}
	if r := e.refsAt(t, priv+2*pg); r != 2 {
		t.Fatalf("forked private page has %d refs", r)
	}
}

func TestCOWKernelWrites(t *testing.T) {
	e := newTestEnv(t)
	// Too large to be copied at fork (eagerForkCopy).
	a := e.mmap(t, 0x400000, 32*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	ro1 := e.mmap(t, 0x600000, 2*pg, ro, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(32*pg, 1))
	if n, err := e.mm.CopyOutForce(ro1, []byte("text")); n != 4 || err != nil {
		t.Fatal(n, err)
	}
	c := e.fork(t)
	before := e.mf.Usage().Allocated

	// CopyOut in the child breaks exactly the pages it touches.
	if n, err := c.mm.CopyOut(a+pg-2, []byte("abcd")); n != 4 || err != nil {
		t.Fatalf("CopyOut: %d, %v", n, err)
	}
	if u := e.mf.Usage().Allocated; u-before != 2*pg {
		t.Fatalf("CopyOut over 2 pages allocated %#x", u-before)
	}
	if got := e.read(t, a+pg-2, 4); !bytes.Equal(got, fill(8*pg, 1)[pg-2:pg+2]) {
		t.Fatal("child's CopyOut seen by the parent")
	}
	if got := c.read(t, a+pg-2, 4); string(got) != "abcd" {
		t.Fatalf("child reads %q after its CopyOut", got)
	}
	for _, p := range []uintptr{a, a + pg} {
		if pr, _ := c.mappedProt(p); pr != rw {
			t.Fatalf("child's page %#x mapped %v after CopyOut", p, pr)
		}
	}
	// ZeroOut in the parent.
	if n, err := e.mm.ZeroOut(a+4*pg, 10); n != 10 || err != nil {
		t.Fatalf("ZeroOut: %d, %v", n, err)
	}
	if got := c.read(t, a+4*pg, 10); !bytes.Equal(got, fill(8*pg, 1)[4*pg:4*pg+10]) {
		t.Fatal("parent's ZeroOut seen by the child")
	}
	if got := e.read(t, a+4*pg, 10); !bytes.Equal(got, make([]byte, 10)) {
		t.Fatal("ZeroOut did not clear")
	}
	// CopyOutForce into a read-only private mapping.
	if n, err := c.mm.CopyOutForce(ro1, []byte("TEXT")); n != 4 || err != nil {
		t.Fatal(n, err)
	}
	if got := e.read(t, ro1, 4); string(got) != "text" {
		t.Fatalf("child's forced write seen by the parent: %q", got)
	}
	// The application cannot write a cow page of a read-only VMA.
	if err := appWrite(e.mm, e.as, ro1, []byte{1}); !isSegv(err, SegvAccErr) {
		t.Fatalf("write to a read-only cow page: %v", err)
	}
	// Nor execute a cow page of a non-executable VMA.
	if err := e.mm.HandleFault(a+6*pg, platform.ProtExec); !isSegv(err, SegvAccErr) {
		t.Fatalf("exec of a cow data page: %v", err)
	}
	if _, cow := e.offAt(a + 6*pg); !cow {
		t.Fatal("exec fault broke copy-on-write")
	}
	// A CopyOut into a read-only mapping is still EFAULT.
	if _, err := c.mm.CopyOut(ro1, []byte{1}); err != unix.EFAULT {
		t.Fatalf("CopyOut into read-only: %v", err)
	}
}

func TestCOWMprotectAndMremap(t *testing.T) {
	e := newTestEnv(t)
	// Too large to be copied at fork (eagerForkCopy).
	a := e.mmap(t, 0x400000, 32*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(32*pg, 4))
	c := e.fork(t)
	// mprotect down and up again: cow pages stay read-only.
	if err := e.mm.MProtect(a, 32*pg, uint32(ro)); err != nil {
		t.Fatal(err)
	}
	if err := e.mm.MProtect(a, 32*pg, uint32(rw)); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, e.mm, e.as)
	if p, _ := e.mappedProt(a); p != ro {
		t.Fatalf("cow page mapped %v after mprotect(rw)", p)
	}
	// mremap moves cow pages with their state.
	na, err := c.mm.MRemap(a, 32*pg, 64*pg, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, c.mm, c.as)
	c.write(t, na, []byte("moved"))
	if got := e.read(t, a, 5); !bytes.Equal(got, fill(8*pg, 4)[:5]) {
		t.Fatal("child's write after mremap seen by the parent")
	}
	if got := c.read(t, na+pg, pg); !bytes.Equal(got, fill(8*pg, 4)[pg:2*pg]) {
		t.Fatal("child's moved memory wrong")
	}
}

func TestCOWForkOfFork(t *testing.T) {
	e := newTestEnv(t)
	// Too large to be copied at fork (eagerForkCopy).
	a := e.mmap(t, 0x400000, 32*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(32*pg, 0))
	e.write(t, a, []byte("gen0"))
	c := e.fork(t)
	g := c.fork(t)
	if r := e.refsAt(t, a); r != 3 {
		t.Fatalf("page shared by three has %d refs", r)
	}
	c.write(t, a, []byte("gen1"))
	if r := e.refsAt(t, a); r != 2 {
		t.Fatalf("after the child's copy: %d refs", r)
	}
	g2 := g.fork(t)
	if r := e.refsAt(t, a); r != 3 {
		t.Fatalf("after the grandchild's fork: %d refs", r)
	}
	g.write(t, a, []byte("gen2"))
	for _, tc := range []struct {
		env  *testEnv
		want string
	}{{e, "gen0"}, {c, "gen1"}, {g, "gen2"}, {g2, "gen0"}} {
		if got := tc.env.read(t, a, 4); string(got) != tc.want {
			t.Fatalf("read %q, want %q", got, tc.want)
		}
	}
	// The child's copy was made cow again by the grandchild's fork
	// before; it is its own now.
	if r := c.refsAt(t, a); r != 1 {
		t.Fatalf("child's page: %d refs", r)
	}
	e.write(t, a, []byte("E"))
	g2.write(t, a, []byte("G"))
	if got := e.read(t, a, 1); got[0] != 'E' {
		t.Fatal("lost write")
	}
}

// TestCOWConcurrent forks while sibling threads write, read and fault;
// run with -race. Each thread owns its pages and checks it always reads
// back what it wrote; the children must see a consistent snapshot.
func TestCOWConcurrent(t *testing.T) {
	e := newTestEnv(t)
	const threads, pagesPer = 4, 16
	a := e.mmap(t, 0x400000, threads*pagesPer*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, threads)
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			base := a + uintptr(i*pagesPer)*pg
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				addr := base + uintptr(n%pagesPer)*pg + uintptr(n%64)
				v := []byte{byte(n), byte(n >> 8)}
				var err error
				if n%3 == 0 {
					_, err = e.mm.CopyOut(addr, v)
				} else {
					err = appWrite(e.mm, e.as, addr, v)
				}
				if err != nil {
					errs <- err
					return
				}
				got, err := appRead(e.mm, e.as, addr, 2)
				if err != nil || !bytes.Equal(got, v) {
					errs <- err
					if err == nil {
						t.Errorf("thread %d read %v, wrote %v", i, got, v)
					}
					return
				}
			}
		}(i)
	}
	var kids []*MemoryManager
	for k := 0; k < 30; k++ {
		as := newFakeAS(e.mf)
		c, err := e.mm.Fork(as)
		if err != nil {
			t.Fatal(err)
		}
		if k%2 == 0 {
			if err := appWrite(c, as, a+uintptr(k)*pg, []byte{0xff}); err != nil {
				t.Fatal(err)
			}
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
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range kids {
		c.Release()
	}
}
