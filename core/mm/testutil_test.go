package mm

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

const (
	testMinAddr = 0x10000
	testMaxAddr = 0x7ffffffff000
	pg          = PageSize
)

const (
	rw   = platform.ProtRead | platform.ProtWrite
	ro   = platform.ProtRead
	none = platform.Prot(0)
)

// fakeAS is a platform.AddressSpace that records what is mapped, page by
// page, and lets tests play the application: appRead and appWrite go
// through its page table into the memory file, and fault like hardware.
type fakeAS struct {
	mf *memfile.File

	mu       sync.Mutex
	pages    map[uintptr]fakePage
	maps     int // MapFile calls
	unmaps   int // Unmap calls
	released bool
	err      error // returned by the next call, if set
}

type fakePage struct {
	off  int64
	prot platform.Prot
}

func newFakeAS(mf *memfile.File) *fakeAS {
	return &fakeAS{mf: mf, pages: make(map[uintptr]fakePage)}
}

func (f *fakeAS) MapFile(addr uintptr, fd int, off int64, length uintptr, prot platform.Prot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		err := f.err
		f.err = nil
		return err
	}
	if f.released {
		return errors.New("fakeAS: MapFile after Release")
	}
	if addr%pg != 0 || off%pg != 0 || length%pg != 0 || length == 0 {
		return fmt.Errorf("fakeAS: MapFile(%#x, %#x, %#x) misaligned", addr, off, length)
	}
	if fd != f.mf.FD() {
		return fmt.Errorf("fakeAS: MapFile of fd %d, not the memory file", fd)
	}
	if uint64(off)+uint64(length) > f.mf.Usage().FileSize {
		return fmt.Errorf("fakeAS: MapFile [%#x, %#x) beyond the file (%#x): SIGBUS waiting to happen",
			off, uint64(off)+uint64(length), f.mf.Usage().FileSize)
	}
	if addr < testMinAddr || addr+length > testMaxAddr {
		return fmt.Errorf("fakeAS: MapFile at %#x outside the user range", addr)
	}
	f.maps++
	for i := uintptr(0); i < length; i += pg {
		f.pages[addr+i] = fakePage{off + int64(i), prot}
	}
	return nil
}

func (f *fakeAS) Unmap(addr, length uintptr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		err := f.err
		f.err = nil
		return err
	}
	if addr%pg != 0 || length%pg != 0 || length == 0 {
		return fmt.Errorf("fakeAS: Unmap(%#x, %#x) misaligned", addr, length)
	}
	f.unmaps++
	if length/pg > uintptr(len(f.pages)) {
		for a := range f.pages {
			if a >= addr && a < addr+length {
				delete(f.pages, a)
			}
		}
		return nil
	}
	for i := uintptr(0); i < length; i += pg {
		delete(f.pages, addr+i)
	}
	return nil
}

func (f *fakeAS) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = true
	f.pages = map[uintptr]fakePage{}
}

// translate is the MMU: it returns the memory-file offset of addr if the
// page is mapped with access at.
func (f *fakeAS) translate(addr uintptr, at platform.Prot) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pages[pageRoundDown(addr)]
	if !ok || at&^effectiveProt(p.prot) != 0 {
		return 0, false
	}
	return uint64(p.off) + uint64(addr%pg), true
}

// generation counts the changes made to the page table so far.
func (f *fakeAS) generation() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maps + f.unmaps
}

func (f *fakeAS) mapped() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pages)
}

// appAccess plays the application touching one byte: it faults into
// mm.HandleFault and retries, as a faulting instruction would. A fault may
// recur only when the address space changed since the fault was taken (a
// concurrent fork write-protecting the page, say); one that recurs on an
// unchanged address space means HandleFault did not do its job.
func appAccess(mm *MemoryManager, f *fakeAS, addr uintptr, at platform.Prot) (uint64, error) {
	gen := -1
	for try := 0; ; try++ {
		if off, ok := f.translate(addr, at); ok {
			return off, nil
		}
		if try > 0 && (f.generation() == gen || try > 100) {
			return 0, fmt.Errorf("fault at %#x persists after HandleFault", addr)
		}
		// A real MMU says MAPERR or ACCERR; pass the access only when
		// the page is present, like the contract asks.
		f.mu.Lock()
		_, present := f.pages[pageRoundDown(addr)]
		gen = f.maps + f.unmaps
		f.mu.Unlock()
		hint := platform.Prot(0)
		if present {
			hint = at
		}
		if err := mm.HandleFault(addr, hint); err != nil {
			return 0, err
		}
	}
}

// appRead reads n bytes as the application would.
func appRead(mm *MemoryManager, f *fakeAS, addr uintptr, n int) ([]byte, error) {
	out := make([]byte, n)
	for i := range out {
		off, err := appAccess(mm, f, addr+uintptr(i), platform.ProtRead)
		if err != nil {
			return out[:i], err
		}
		out[i] = f.mf.Slice(memfile.Range{Start: off, End: off + 1})[0]
	}
	return out, nil
}

// appWrite writes data as the application would.
func appWrite(mm *MemoryManager, f *fakeAS, addr uintptr, data []byte) error {
	for i, b := range data {
		off, err := appAccess(mm, f, addr+uintptr(i), platform.ProtWrite)
		if err != nil {
			return err
		}
		f.mf.Slice(memfile.Range{Start: off, End: off + 1})[0] = b
	}
	return nil
}

type testEnv struct {
	mf *memfile.File
	as *fakeAS
	mm *MemoryManager
}

// newTestEnv returns a MemoryManager over a fresh memory file. At the end of
// the test it releases it and checks that every page went back.
func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	return newTestEnvSize(t, 1<<30)
}

// newTestEnvSize is newTestEnv with a memory file of memSize bytes.
func newTestEnvSize(t testing.TB, memSize uint64) *testEnv {
	t.Helper()
	mf, err := memfile.New(memfile.Options{MaxSize: memSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	as := newFakeAS(mf)
	mm, err := New(Config{MemoryFile: mf, AddressSpace: as, MinAddr: testMinAddr, MaxAddr: testMaxAddr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			checkInvariants(t, mm, as)
		}
		mm.Release()
		if !as.released {
			t.Errorf("Release did not release the address space")
		}
		if u := mf.Usage(); u.Allocated != 0 {
			t.Errorf("after Release: %d bytes still allocated (leak)", u.Allocated)
		}
	})
	return &testEnv{mf: mf, as: as, mm: mm}
}

// fork forks e into a new environment sharing the memory file; the child is
// released at the end of the test (before the parent's leak check).
func (e *testEnv) fork(t testing.TB) *testEnv {
	t.Helper()
	as := newFakeAS(e.mf)
	child, err := e.mm.Fork(as)
	if err != nil {
		t.Fatalf("Fork: %v", err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			checkInvariants(t, child, as)
		}
		child.Release()
	})
	return &testEnv{mf: e.mf, as: as, mm: child}
}

// mmap maps anonymous memory and fails the test on error.
func (e *testEnv) mmap(t testing.TB, addr, length uintptr, prot platform.Prot, flags int) uintptr {
	t.Helper()
	got, err := e.mm.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: flags | unix.MAP_ANONYMOUS})
	if err != nil {
		t.Fatalf("MMap(%#x, %#x, %v, %#x): %v", addr, length, prot, flags, err)
	}
	return got
}

func (e *testEnv) write(t testing.TB, addr uintptr, data []byte) {
	t.Helper()
	if err := appWrite(e.mm, e.as, addr, data); err != nil {
		t.Fatalf("application write at %#x: %v", addr, err)
	}
}

func (e *testEnv) read(t testing.TB, addr uintptr, n int) []byte {
	t.Helper()
	b, err := appRead(e.mm, e.as, addr, n)
	if err != nil {
		t.Fatalf("application read at %#x: %v", addr, err)
	}
	return b
}

// span is a VMA summary for table comparisons.
type span struct {
	start, end uintptr
	prot       platform.Prot
}

func (s span) String() string { return fmt.Sprintf("[%#x,%#x %v]", s.start, s.end, s.prot) }

func spans(mm *MemoryManager) []span {
	var out []span
	for _, v := range mm.VMAs() {
		out = append(out, span{v.Start, v.End, v.Prot})
	}
	return out
}

func spansIn(mm *MemoryManager, lo, hi uintptr) []span {
	var out []span
	for _, s := range spans(mm) {
		if s.end > lo && s.start < hi {
			out = append(out, s)
		}
	}
	return out
}

func sameSpans(a, b []span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkInvariants checks the trees and that the AddressSpace holds exactly
// the PMAs under accessible VMAs.
func checkInvariants(t testing.TB, mm *MemoryManager, as *fakeAS) {
	t.Helper()
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	var prevEnd uintptr
	mm.vmas.Ascend(func(v *vma) bool {
		if v.start >= v.end || !pageAligned(v.start) || !pageAligned(v.end) ||
			v.start < mm.minAddr || v.end > mm.maxAddr || v.start < prevEnd {
			t.Errorf("bad VMA [%#x, %#x) after %#x", v.start, v.end, prevEnd)
		}
		prevEnd = v.end
		return true
	})
	want := map[uintptr]fakePage{}
	prevEnd = 0
	mm.pmas.Ascend(func(p *pma) bool {
		if p.start >= p.end || !pageAligned(p.start) || !pageAligned(p.end) || p.start < prevEnd {
			t.Errorf("bad PMA [%#x, %#x) after %#x", p.start, p.end, prevEnd)
		}
		prevEnd = p.end
		for a := p.start; a < p.end; a += pg {
			v := mm.vmaAt(a)
			if v == nil {
				t.Errorf("PMA page %#x outside any VMA", a)
				return false
			}
			if v.prot != 0 {
				want[a] = fakePage{int64(p.off + uint64(a-p.start)), p.mapProt(v)}
			}
		}
		return true
	})
	as.mu.Lock()
	defer as.mu.Unlock()
	var diffs []string
	for a, w := range want {
		if g, ok := as.pages[a]; !ok || g != w {
			diffs = append(diffs, fmt.Sprintf("page %#x: want %+v, address space has %+v (present %v)", a, w, g, ok))
		}
	}
	for a, g := range as.pages {
		if _, ok := want[a]; !ok {
			diffs = append(diffs, fmt.Sprintf("page %#x mapped (%+v) but not populated", a, g))
		}
	}
	sort.Strings(diffs)
	for i, d := range diffs {
		if i == 10 {
			t.Errorf("... and %d more", len(diffs)-10)
			break
		}
		t.Error(d)
	}
}

// fill returns n bytes of a pattern seeded by seed.
func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// errIs reports whether err is want (an errno).
func errIs(err error, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}
