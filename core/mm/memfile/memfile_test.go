package memfile

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newTestFile(t *testing.T, maxSize uint64) *File {
	t.Helper()
	f, err := New(Options{MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// hostBlocks returns the memory the host has committed to the file.
func hostBlocks(t *testing.T, f *File) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(f.FD(), &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

func TestAllocateZeroedAndPunched(t *testing.T) {
	f := newTestFile(t, 1<<30)
	r, err := f.Allocate(16 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Usage().Allocated; got != 16*PageSize {
		t.Fatalf("Allocated = %d, want %d", got, 16*PageSize)
	}
	b := f.Slice(r)
	for i := range b {
		if b[i] != 0 {
			t.Fatalf("fresh page not zero at %d", i)
		}
		b[i] = 0xaa
	}
	if got := hostBlocks(t, f); got < 16*PageSize {
		t.Fatalf("host committed %d bytes after touching 64 KiB", got)
	}
	f.DecRef(r)
	if got := f.Usage().Allocated; got != 0 {
		t.Fatalf("Allocated after DecRef = %d", got)
	}
	if got := hostBlocks(t, f); got != 0 {
		t.Fatalf("host still holds %d bytes after free (no hole punched)", got)
	}
	// The same pages come back, zeroed.
	r2, err := f.Allocate(16 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range f.Slice(r2) {
		if c != 0 {
			t.Fatalf("reused page not zero at %d", i)
		}
	}
	f.DecRef(r2)
}

func TestRefCountsPartial(t *testing.T) {
	f := newTestFile(t, 1<<30)
	r, _ := f.Allocate(8 * PageSize)
	mid := Range{r.Start + 2*PageSize, r.Start + 6*PageSize}
	f.IncRef(mid) // pages 2..5 have two refs
	f.DecRef(r)   // pages 0,1,6,7 free
	if got := f.Usage().Allocated; got != 4*PageSize {
		t.Fatalf("Allocated = %#x, want %#x", got, 4*PageSize)
	}
	// Free pages are reused first-fit, before the high-water mark moves.
	hw := f.Usage().HighWater
	a, _ := f.Allocate(2 * PageSize)
	if a.Start != r.Start {
		t.Fatalf("first fit returned %v, want start %#x", a, r.Start)
	}
	if f.Usage().HighWater != hw {
		t.Fatalf("high water moved from %#x to %#x", hw, f.Usage().HighWater)
	}
	f.DecRef(Range{mid.Start, mid.Start + PageSize})
	f.DecRef(Range{mid.Start + PageSize, mid.End})
	f.DecRef(a)
	if u := f.Usage(); u.Allocated != 0 || u.HighWater != 0 {
		t.Fatalf("after freeing everything: %+v", u)
	}
	if f.refs.Len() != 0 || f.free.Len() != 0 {
		t.Fatalf("allocator state not empty: %d ref extents, %d free extents", f.refs.Len(), f.free.Len())
	}
}

func TestFragmentedCoalescing(t *testing.T) {
	f := newTestFile(t, 1<<30)
	var rs []Range
	for i := 0; i < 10; i++ {
		r, err := f.Allocate(PageSize)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for i := 0; i < 10; i += 2 {
		f.DecRef(rs[i])
	}
	for i := 1; i < 9; i += 2 {
		f.DecRef(rs[i])
	}
	f.Usage() // settles the pending frees
	if f.free.Len() != 1 {
		t.Fatalf("free extents = %d, want 1 after coalescing", f.free.Len())
	}
	big, err := f.Allocate(9 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if big.Start != rs[0].Start {
		t.Fatalf("coalesced hole not reused: got %v", big)
	}
	f.DecRef(big)
	f.DecRef(rs[9])
	if u := f.Usage(); u.Allocated != 0 {
		t.Fatalf("leak: %+v", u)
	}
}

func TestAllocateFull(t *testing.T) {
	f := newTestFile(t, 16*PageSize)
	r, err := f.Allocate(16 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Allocate(PageSize); err != unix.ENOMEM {
		t.Fatalf("Allocate on a full file: %v, want ENOMEM", err)
	}
	f.DecRef(r)
}

func TestBadRangePanics(t *testing.T) {
	f := newTestFile(t, 1<<30)
	r, _ := f.Allocate(PageSize)
	defer f.DecRef(r)
	for _, bad := range []Range{{r.End, r.End + PageSize}, {r.Start, r.Start + 1}, {r.Start, r.Start}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("DecRef(%v) did not panic", bad)
				}
			}()
			f.DecRef(bad)
		}()
	}
}

func BenchmarkAllocateFree(b *testing.B) {
	f, err := New(Options{MaxSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for b.Loop() {
		r, err := f.Allocate(16 * PageSize)
		if err != nil {
			b.Fatal(err)
		}
		f.DecRef(r)
	}
}

func TestRefRuns(t *testing.T) {
	f := newTestFile(t, 1<<30)
	r, _ := f.Allocate(8 * PageSize)
	f.IncRef(Range{r.Start + 2*PageSize, r.Start + 5*PageSize})
	f.IncRef(Range{r.Start + 3*PageSize, r.Start + 4*PageSize})
	type run struct {
		r    Range
		refs int64
	}
	var got []run
	f.RefRuns(Range{r.Start + PageSize, r.Start + 7*PageSize}, func(x Range, n int64) {
		got = append(got, run{x, n})
	})
	p := func(i uint64) uint64 { return r.Start + i*PageSize }
	want := []run{
		{Range{p(1), p(2)}, 1},
		{Range{p(2), p(3)}, 2},
		{Range{p(3), p(4)}, 3},
		{Range{p(4), p(5)}, 2},
		{Range{p(5), p(7)}, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("RefRuns = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("RefRuns = %v, want %v", got, want)
		}
	}
	f.DecRef(Range{p(3), p(4)})
	f.DecRef(Range{p(2), p(5)})
	f.DecRef(r)
	if u := f.Usage(); u.Allocated != 0 {
		t.Fatalf("leak: %+v", u)
	}
}

// TestDeferredPunch frees pages and lets the puncher, not Allocate or
// Usage, return them: they come back zeroed and coalesced, and Close with
// frees still pending neither hangs nor touches the unmapped file.
func TestDeferredPunch(t *testing.T) {
	f := newTestFile(t, 1<<30)
	// Larger than the warm pool, so it goes to the puncher.
	const size = warmMax + 4*PageSize
	a, err := f.Allocate(size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Allocate(PageSize) // keeps a from being the high-water top
	if err != nil {
		t.Fatal(err)
	}
	copy(f.Slice(a), bytes.Repeat([]byte{0xaa}, int(a.Length())))
	f.DecRef(a)
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		n, pending := f.free.Len(), len(f.pending)
		f.mu.Unlock()
		if n == 1 && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("puncher did not free the range: %d free extents, %d pending", n, pending)
		}
		time.Sleep(time.Millisecond)
	}
	again, err := f.Allocate(size)
	if err != nil || again != a {
		t.Fatalf("Allocate = %v, %v; want the freed %v", again, err, a)
	}
	if !bytes.Equal(f.Slice(again), make([]byte, again.Length())) {
		t.Error("a reused range does not read as zero")
	}
	f.DecRef(again)
	f.DecRef(b)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAllocateDirty: freed memory stays warm for AllocateDirty, unpunched;
// Allocate never returns it dirty; Usage gives it back to the host.
func TestAllocateDirty(t *testing.T) {
	f := newTestFile(t, 1<<30)
	a, err := f.Allocate(4 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	keep, err := f.Allocate(PageSize) // keeps a below the high-water mark
	if err != nil {
		t.Fatal(err)
	}
	copy(f.Slice(a), bytes.Repeat([]byte{0xaa}, int(a.Length())))
	f.DecRef(a)
	if u := f.Usage(); u.Allocated != PageSize {
		t.Fatalf("Allocated = %#x after the free, want one page", u.Allocated)
	}
	// Usage cooled the warm range; free and warm it again.
	a, err = f.AllocateDirty(4 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	copy(f.Slice(a), bytes.Repeat([]byte{0xbb}, int(a.Length())))
	f.DecRef(a)
	d, err := f.AllocateDirty(2 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if d.Start < a.Start || d.End > a.End {
		t.Errorf("AllocateDirty = %v, want part of the warm %v", d, a)
	}
	// The rest of a is still warm and dirty: Allocate must not hand it
	// out as it is.
	z, err := f.Allocate(2 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Slice(z), make([]byte, z.Length())) {
		t.Error("Allocate returned memory that is not zero")
	}
	for _, r := range []Range{z, d, keep} {
		f.DecRef(r)
	}
	if u := f.Usage(); u.Allocated != 0 || u.HighWater != 0 {
		t.Errorf("after freeing all: %+v", u)
	}
}

// TestLimit: allocations past Options.Limit fail with ENOMEM although the
// mapping has room, both fresh and dirty ones, and freeing makes room again.
func TestLimit(t *testing.T) {
	f, err := New(Options{MaxSize: 1 << 30, Limit: 8*PageSize + 100})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Limit(); got != 8*PageSize {
		t.Fatalf("Limit() = %#x, want %#x (rounded down to a page)", got, 8*PageSize)
	}
	a, err := f.Allocate(6 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Allocate(3 * PageSize); err != unix.ENOMEM {
		t.Fatalf("Allocate past the limit: %v, want ENOMEM", err)
	}
	b, err := f.AllocateDirty(2 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef(Range{a.Start, a.Start + PageSize}) // one page goes warm
	if _, err := f.AllocateDirty(2 * PageSize); err != unix.ENOMEM {
		t.Fatalf("AllocateDirty past the limit: %v, want ENOMEM", err)
	}
	c, err := f.AllocateDirty(PageSize)
	if err != nil {
		t.Fatalf("AllocateDirty within the limit after a free: %v", err)
	}
	f.DecRef(Range{a.Start + PageSize, a.End})
	f.DecRef(b)
	f.DecRef(c)
	if got := f.Usage().Allocated; got != 0 {
		t.Fatalf("Allocated = %#x after freeing everything", got)
	}
	g, err := New(Options{MaxSize: 1 << 20, Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if got := g.Limit(); got != 1<<20 {
		t.Errorf("Limit() = %#x with a limit above MaxSize, want MaxSize", got)
	}
}

// TestCharge: memory charged from outside the file shares the limit with
// allocations.
func TestCharge(t *testing.T) {
	f, err := New(Options{MaxSize: 1 << 30, Limit: 8 * PageSize})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.Charge(5 * PageSize) {
		t.Fatal("Charge within the limit failed")
	}
	if _, err := f.Allocate(4 * PageSize); err != unix.ENOMEM {
		t.Fatalf("Allocate past limit-charged: %v, want ENOMEM", err)
	}
	r, err := f.Allocate(3 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if f.Charge(1) {
		t.Error("Charge past the limit succeeded")
	}
	if u := f.Usage(); u.Charged != 5*PageSize || u.Allocated != 3*PageSize {
		t.Errorf("usage %+v", u)
	}
	f.Uncharge(5 * PageSize)
	f.DecRef(r)
	if !f.Charge(8 * PageSize) {
		t.Error("Charge of the whole limit failed once all was given back")
	}
	f.Uncharge(8 * PageSize)
}
