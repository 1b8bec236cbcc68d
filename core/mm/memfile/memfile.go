// Package memfile implements the kernel's memory file: the single memfd that
// holds all application memory (anonymous memory, private copies, and later
// tmpfs and page-cache pages), and the page allocator that hands out ranges
// of it.
//
// # Mapping scheme
//
// The file is mapped into Ward itself exactly once, at creation, as one
// MAP_SHARED|MAP_NORESERVE mapping of Options.MaxSize bytes (64 GiB by
// default). The mapping costs address space only: the file starts empty and
// is grown with ftruncate (in steps of growStep) as the allocator's high-water
// mark rises, and the host commits memory only for pages that are touched.
// Because the mapping never moves, Slice returns a plain []byte view of any
// allocated range without locking, and a view stays valid for as long as the
// caller holds a reference on the range. The mapping is never accessed beyond
// the file's length, so it never raises SIGBUS.
//
// # Allocation and reference counts
//
// Allocate returns a zero-filled, page-aligned, contiguous Range holding one
// reference. IncRef and DecRef change the reference count of every page in a
// range, so a range may be shared by several owners (fork's shared mappings, a
// shared anonymous object and the address spaces that map it) and split or
// released piecewise. When a page's count drops to zero its memory is given
// back to the host with fallocate(FALLOC_FL_PUNCH_HOLE), which also makes it
// read as zero again, and only then is it returned to the allocator; that is
// why Allocate never has to clear memory.
//
// Punching a hole is slow (the host unmaps the pages from every process
// that maps the file, a stub that is still being reaped among them) and
// DecRef is on the path of exit and exec, so freed ranges wait on a pending
// list and a goroutine of the File punches them. They count as free at once
// (Usage.Allocated drops); Allocate punches what is pending itself when it
// finds no free extent, and Usage and Close do before they look.
//
// Up to warmMax bytes of freed ranges are not punched at all but kept warm
// for AllocateDirty, whose callers overwrite every byte of what they get
// (copy-on-write copies, fork's copies, private copies of file pages):
// fork+exec+wait frees and allocates a few hundred KiB each time, and a
// punched page costs the host a page fault and zeroing when it is written
// again, where a warm page costs nothing. Reference counts are kept
// per extent (runs of pages with the same count) in a btree, free space as
// coalesced extents in another; allocation is first-fit over the free
// extents, then from the high-water mark.
//
// # Locking
//
// File.mu protects the allocator state. It is a leaf lock: callers may hold
// any other lock (core/mm's MemoryManager.mu, a Mappable's lock) when they
// call into the File. Slice, FD and Size of the mapping take no lock.
package memfile

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/google/btree"
	"golang.org/x/sys/unix"
)

// PageSize is the page size of the memory file and of every range in it.
const PageSize = 4096

// DefaultMaxSize is the size of Ward's mapping of the file, and so the most
// application memory a File can hold, when Options.MaxSize is zero.
const DefaultMaxSize = 64 << 30

// growStep is the granularity in which the file's length is extended.
const growStep = 64 << 20

// Range is a page-aligned byte range [Start, End) of the memory file.
type Range struct {
	Start uint64
	End   uint64
}

// Length returns the length of r in bytes.
func (r Range) Length() uint64 { return r.End - r.Start }

// WellFormed reports whether r is non-empty and page-aligned.
func (r Range) WellFormed() bool {
	return r.Start < r.End && r.Start%PageSize == 0 && r.End%PageSize == 0
}

func (r Range) String() string { return fmt.Sprintf("[%#x, %#x)", r.Start, r.End) }

// Options configures New.
type Options struct {
	// Name names the memfd (visible in /proc/<ward pid>/fd). Default
	// "ward-memory".
	Name string

	// MaxSize is the size of the kernel's mapping of the file: the most
	// memory the file can ever hold. It is rounded up to a page. Zero means
	// DefaultMaxSize.
	MaxSize uint64

	// Limit is the most memory the file may hold allocated at once (the
	// sandbox's memory limit): an allocation that would pass it fails
	// with ENOMEM. It is rounded down to a page. Zero, or a value above
	// MaxSize, means MaxSize.
	Limit uint64
}

// refSeg is an extent of allocated pages with the same reference count.
type refSeg struct {
	start, end uint64
	refs       int64
}

// Usage is a snapshot of the allocator's accounting.
type Usage struct {
	// Allocated is the number of bytes with a non-zero reference count.
	Allocated uint64

	// FileSize is the current length of the memory file.
	FileSize uint64

	// HighWater is the end of the highest allocation ever not yet freed at
	// the top; everything above it is free.
	HighWater uint64

	// Charged is memory held outside the file that counts against the
	// limit (tmpfs data; see Charge).
	Charged uint64
}

// File is the kernel's memory file. All methods are safe for concurrent use.
type File struct {
	// fd, base, maxSize and limit are immutable after New.
	fd      int
	base    unsafe.Pointer
	maxSize uint64
	limit   uint64

	mu sync.Mutex

	// size is the file's current length. Protected by mu.
	size uint64

	// hwm is the high-water mark: all of [hwm, maxSize) is free. Protected
	// by mu.
	hwm uint64

	// free holds the free extents below hwm, coalesced, keyed by Start.
	// Protected by mu.
	free *btree.BTreeG[Range]

	// refs holds the allocated extents and their counts, keyed by start;
	// adjacent extents with equal counts are merged. Protected by mu.
	refs *btree.BTreeG[*refSeg]

	// allocated is the number of bytes with a non-zero count. Protected by
	// mu.
	allocated uint64

	// charged is memory held outside the file that counts against the
	// limit (Charge). allocated+charged <= limit. Protected by mu.
	charged uint64

	// pending holds freed ranges whose holes are not punched yet; they
	// are neither allocated nor free. Protected by mu.
	pending []Range

	// warm holds freed ranges kept unpunched for AllocateDirty, warmBytes
	// bytes in all (at most warmMax). Protected by mu.
	warm      []Range
	warmBytes uint64

	// kick wakes the puncher; done is closed when it has exited.
	kick chan struct{}
	done chan struct{}

	// closed is set by Close. Protected by mu.
	closed bool
}

// New creates a memory file and maps it into the kernel.
func New(opts Options) (*File, error) {
	name := opts.Name
	if name == "" {
		name = "ward-memory"
	}
	maxSize := opts.MaxSize
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	maxSize = (maxSize + PageSize - 1) &^ (PageSize - 1)
	if maxSize == 0 || maxSize > 1<<46 {
		return nil, fmt.Errorf("memfile: max size %#x out of range", opts.MaxSize)
	}
	limit := opts.Limit &^ (PageSize - 1)
	if limit == 0 || limit > maxSize {
		limit = maxSize
	}
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfile: memfd_create: %w", err)
	}
	addr, err := unix.MmapPtr(fd, 0, nil, uintptr(maxSize),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("memfile: mapping %d bytes of the memory file: %w", maxSize, err)
	}
	f := &File{
		fd:      fd,
		base:    addr,
		maxSize: maxSize,
		limit:   limit,
		free:    btree.NewG(16, func(a, b Range) bool { return a.Start < b.Start }),
		refs:    btree.NewG(16, func(a, b *refSeg) bool { return a.start < b.start }),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go f.puncher()
	return f, nil
}

// FD returns the memfd, for platform.AddressSpace.MapFile. The File keeps
// ownership of it.
func (f *File) FD() int { return f.fd }

// MaxSize returns the size of the kernel's mapping of the file.
func (f *File) MaxSize() uint64 { return f.maxSize }

// Limit returns the most memory the file may hold allocated at once: the
// sandbox's memory (/proc/meminfo's MemTotal).
func (f *File) Limit() uint64 { return f.limit }

// Charge takes n bytes from the limit for memory the sandbox holds outside
// the file (tmpfs data in Ward's own memory), so that the limit covers all
// of the sandbox's memory. It returns false, taking nothing, when fewer
// than n bytes are left. It implements core/vfs.MemoryCharger.
func (f *File) Charge(n uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > f.limit-f.allocated-f.charged {
		return false
	}
	f.charged += n
	return true
}

// Uncharge gives back n bytes that Charge took.
func (f *File) Uncharge(n uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > f.charged {
		panic(fmt.Sprintf("memfile: Uncharge(%d) with %d charged", n, f.charged))
	}
	f.charged -= n
}

// Slice returns the kernel's view of r.
//
// Preconditions: r is well-formed and the caller holds a reference on every
// page of it for as long as it uses the slice.
func (f *File) Slice(r Range) []byte {
	if r.End > f.maxSize || r.Start > r.End {
		panic(fmt.Sprintf("memfile: Slice(%v) beyond the mapping (%#x)", r, f.maxSize))
	}
	if r.Start == r.End {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(f.base, r.Start)), r.End-r.Start)
}

// Usage returns the allocator's accounting.
func (f *File) Usage() Usage {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.coolWarmLocked()
	f.punchPendingLocked()
	return Usage{Allocated: f.allocated, FileSize: f.size, HighWater: f.hwm, Charged: f.charged}
}

// Allocate returns a new zero-filled range of length bytes with a reference
// count of one. It returns unix.ENOMEM when the file is full or the
// allocation would pass the limit (Options.Limit).
func (f *File) Allocate(length uint64) (Range, error) {
	if length == 0 || length%PageSize != 0 {
		panic(fmt.Sprintf("memfile: Allocate(%#x): length not a positive page multiple", length))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || length > f.limit-f.allocated-f.charged {
		return Range{}, unix.ENOMEM
	}

	// First fit among the holes below the high-water mark, then among
	// the pending ones once punched.
	found, ok := f.firstFit(length)
	if !ok && len(f.pending)+len(f.warm) > 0 {
		f.coolWarmLocked()
		f.punchPendingLocked()
		found, ok = f.firstFit(length)
	}
	var out Range
	if ok {
		f.free.Delete(found)
		out = Range{found.Start, found.Start + length}
		if out.End < found.End {
			f.free.ReplaceOrInsert(Range{out.End, found.End})
		}
	} else {
		if length > f.maxSize-f.hwm {
			return Range{}, unix.ENOMEM
		}
		out = Range{f.hwm, f.hwm + length}
		if out.End > f.size {
			newSize := (out.End + growStep - 1) / growStep * growStep
			if newSize > f.maxSize {
				newSize = f.maxSize
			}
			if err := unix.Ftruncate(f.fd, int64(newSize)); err != nil {
				return Range{}, unix.ENOMEM
			}
			f.size = newSize
		}
		f.hwm = out.End
	}
	f.allocated += length
	seg := &refSeg{out.Start, out.End, 1}
	f.refs.ReplaceOrInsert(seg)
	f.mergeRefs(out)
	return out, nil
}

// warmMax bounds the freed memory kept warm for AllocateDirty.
const warmMax = 8 << 20

// AllocateDirty is Allocate for a caller that overwrites every byte of the
// range before anyone else can see it (maps it, reads it): the range may
// hold what a previous owner left there. It takes recently freed memory
// that was never given back to the host, if there is some, and is
// Allocate otherwise.
func (f *File) AllocateDirty(length uint64) (Range, error) {
	if length == 0 || length%PageSize != 0 {
		panic(fmt.Sprintf("memfile: AllocateDirty(%#x): length not a positive page multiple", length))
	}
	f.mu.Lock()
	for i, w := range f.warm {
		if w.Length() < length || f.closed || length > f.limit-f.allocated-f.charged {
			continue
		}
		out := Range{w.Start, w.Start + length}
		if out.End < w.End {
			f.warm[i].Start = out.End
		} else {
			f.warm = append(f.warm[:i], f.warm[i+1:]...)
		}
		f.warmBytes -= length
		f.allocated += length
		f.refs.ReplaceOrInsert(&refSeg{out.Start, out.End, 1})
		f.mergeRefs(out)
		f.mu.Unlock()
		return out, nil
	}
	f.mu.Unlock()
	return f.Allocate(length)
}

// coolWarmLocked hands the warm ranges to the puncher's pending list.
//
// Preconditions: f.mu is locked.
func (f *File) coolWarmLocked() {
	f.pending = append(f.pending, f.warm...)
	f.warm, f.warmBytes = nil, 0
}

// firstFit returns the first free extent of at least length bytes.
//
// Preconditions: f.mu is locked.
func (f *File) firstFit(length uint64) (Range, bool) {
	var found Range
	ok := false
	f.free.Ascend(func(r Range) bool {
		if r.Length() >= length {
			found, ok = r, true
			return false
		}
		return true
	})
	return found, ok
}

// IncRef adds a reference to every page of r.
//
// Preconditions: every page of r is allocated (the caller holds a reference
// on it).
func (f *File) IncRef(r Range) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkRange(r)
	f.forEachSeg(r, func(s *refSeg) { s.refs++ })
	f.mergeRefs(r)
}

// DecRef drops a reference from every page of r; pages whose count reaches
// zero are freed and their memory returned to the host.
//
// Preconditions: the caller holds a reference on every page of r.
func (f *File) DecRef(r Range) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkRange(r)
	var dead []*refSeg
	f.forEachSeg(r, func(s *refSeg) {
		s.refs--
		if s.refs == 0 {
			dead = append(dead, s)
		}
	})
	for _, s := range dead {
		f.refs.Delete(s)
	}
	// Free each maximal run of dead extents with one fallocate.
	for i := 0; i < len(dead); {
		run := Range{dead[i].start, dead[i].end}
		i++
		for i < len(dead) && dead[i].start == run.End {
			run.End = dead[i].end
			i++
		}
		f.release(run)
	}
	f.mergeRefs(r)
}

// RefRuns calls fn, in order, for each maximal run of r whose pages have
// the same reference count, with that count. fn must not call into f.
//
// Preconditions: every page of r is allocated (the caller holds a reference
// on it).
func (f *File) RefRuns(r Range, fn func(run Range, refs int64)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkRange(r)
	cur := Range{Start: r.Start, End: r.Start}
	var curRefs int64
	visit := func(s *refSeg) {
		lo, hi := max(s.start, r.Start), min(s.end, r.End)
		if lo >= hi {
			return
		}
		if cur.End == lo && curRefs == s.refs && cur.Length() > 0 {
			cur.End = hi
			return
		}
		if cur.Length() > 0 {
			fn(cur, curRefs)
		}
		cur, curRefs = Range{Start: lo, End: hi}, s.refs
	}
	f.refs.DescendLessOrEqual(&refSeg{start: r.Start}, func(s *refSeg) bool {
		if s.start < r.Start {
			visit(s)
		}
		return false
	})
	f.refs.AscendRange(&refSeg{start: r.Start}, &refSeg{start: r.End}, func(s *refSeg) bool {
		visit(s)
		return true
	})
	if cur.Length() > 0 {
		fn(cur, curRefs)
	}
}

// Close unmaps and closes the file. Ranges still allocated are lost.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	close(f.kick)
	<-f.done // the puncher no longer touches the file
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := unix.MunmapPtr(f.base, uintptr(f.maxSize)); err != nil {
		return fmt.Errorf("memfile: unmapping the memory file: %w", err)
	}
	return unix.Close(f.fd)
}

// checkRange panics unless r is well-formed and allocated entirely.
//
// Preconditions: f.mu is locked.
func (f *File) checkRange(r Range) {
	if !r.WellFormed() || r.End > f.hwm {
		panic(fmt.Sprintf("memfile: bad range %v (high water %#x)", r, f.hwm))
	}
	covered := r.Start
	f.refs.DescendLessOrEqual(&refSeg{start: r.Start}, func(s *refSeg) bool {
		if s.end > r.Start {
			covered = min(s.end, r.End)
		}
		return false
	})
	if covered < r.End {
		f.refs.AscendRange(&refSeg{start: covered}, &refSeg{start: r.End}, func(s *refSeg) bool {
			if s.start != covered {
				return false
			}
			covered = min(s.end, r.End)
			return covered < r.End
		})
	}
	if covered != r.End {
		panic(fmt.Sprintf("memfile: range %v is not allocated from %#x", r, covered))
	}
}

// forEachSeg splits the extents at r's bounds and calls fn on each extent
// inside r, in order.
//
// Preconditions: f.mu is locked; r is allocated.
func (f *File) forEachSeg(r Range, fn func(*refSeg)) {
	f.splitAt(r.Start)
	f.splitAt(r.End)
	var segs []*refSeg
	f.refs.AscendRange(&refSeg{start: r.Start}, &refSeg{start: r.End}, func(s *refSeg) bool {
		segs = append(segs, s)
		return true
	})
	for _, s := range segs {
		fn(s)
	}
}

// splitAt splits the extent that strictly contains off, if any.
//
// Preconditions: f.mu is locked.
func (f *File) splitAt(off uint64) {
	f.refs.DescendLessOrEqual(&refSeg{start: off}, func(s *refSeg) bool {
		if s.start < off && off < s.end {
			f.refs.ReplaceOrInsert(&refSeg{off, s.end, s.refs})
			s.end = off
		}
		return false
	})
}

// mergeRefs merges equal-count extents around and inside r.
//
// Preconditions: f.mu is locked.
func (f *File) mergeRefs(r Range) {
	var segs []*refSeg
	f.refs.DescendLessOrEqual(&refSeg{start: r.Start}, func(s *refSeg) bool {
		if s.start < r.Start {
			segs = append(segs, s)
			return false
		}
		return true
	})
	f.refs.AscendGreaterOrEqual(&refSeg{start: r.Start}, func(s *refSeg) bool {
		if s.start > r.End {
			return false
		}
		segs = append(segs, s)
		return true
	})
	for i := 1; i < len(segs); i++ {
		a, b := segs[i-1], segs[i]
		if a.end == b.start && a.refs == b.refs {
			f.refs.Delete(b)
			a.end = b.end
			segs[i] = a
		}
	}
}

// release queues r, whose pages nobody references any more, for the
// puncher.
//
// Preconditions: f.mu is locked; no page of r is referenced.
func (f *File) release(r Range) {
	f.allocated -= r.Length()
	if f.warmBytes+r.Length() <= warmMax && !f.closed {
		f.warm = append(f.warm, r)
		f.warmBytes += r.Length()
		return
	}
	f.pending = append(f.pending, r)
	if f.closed {
		return // kick is closed; the file is gone
	}
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// puncher gives pending ranges' memory back to the host, outside f.mu, and
// then frees them, until Close.
func (f *File) puncher() {
	defer close(f.done)
	for range f.kick {
		f.mu.Lock()
		batch := f.pending
		f.pending = nil
		f.mu.Unlock()
		for _, r := range batch {
			f.punch(r)
		}
		f.mu.Lock()
		for _, r := range batch {
			f.freeLocked(r)
		}
		f.mu.Unlock()
	}
}

// punchPendingLocked punches and frees every pending range now.
//
// Preconditions: f.mu is locked.
func (f *File) punchPendingLocked() {
	for _, r := range f.pending {
		f.punch(r)
		f.freeLocked(r)
	}
	f.pending = nil
}

// punch returns r's memory to the host and makes it read as zero.
//
// Preconditions: r is neither allocated nor free (only its punch touches
// it); the file is open.
func (f *File) punch(r Range) {
	if err := unix.Fallocate(f.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE,
		int64(r.Start), int64(r.Length())); err != nil {
		// The host memory stays committed, but free pages must read as
		// zero for Allocate.
		clear(f.Slice(r))
	}
}

// freeLocked returns r, punched, to the free extents.
//
// Preconditions: f.mu is locked.
func (f *File) freeLocked(r Range) {
	// Coalesce with the free neighbours.
	f.free.DescendLessOrEqual(Range{Start: r.Start}, func(p Range) bool {
		if p.End == r.Start {
			f.free.Delete(p)
			r.Start = p.Start
		}
		return false
	})
	if n, ok := f.free.Get(Range{Start: r.End}); ok {
		f.free.Delete(n)
		r.End = n.End
	}
	if r.End == f.hwm {
		f.hwm = r.Start
		return
	}
	f.free.ReplaceOrInsert(r)
}
