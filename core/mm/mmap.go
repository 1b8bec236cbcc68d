package mm

import (
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// protRWX is every permission a mapping can have.
const protRWX = platform.ProtRead | platform.ProtWrite | platform.ProtExec

// mapUninitialized is MAP_UNINITIALIZED, which x/sys/unix does not define.
const mapUninitialized = 0x4000000

// knownMapFlags are the flags MAP_SHARED_VALIDATE accepts (Linux's
// LEGACY_MAP_MASK plus MAP_FIXED_NOREPLACE).
const knownMapFlags = unix.MAP_TYPE | unix.MAP_FIXED | unix.MAP_ANONYMOUS |
	unix.MAP_DENYWRITE | unix.MAP_EXECUTABLE | mapUninitialized |
	unix.MAP_GROWSDOWN | unix.MAP_LOCKED | unix.MAP_NORESERVE |
	unix.MAP_POPULATE | unix.MAP_NONBLOCK | unix.MAP_STACK | unix.MAP_HUGETLB |
	unix.MAP_32BIT | unix.MAP_ABOVE4G | unix.MAP_FIXED_NOREPLACE |
	unix.MAP_HUGE_MASK<<unix.MAP_HUGE_SHIFT

// MMapOpts are the arguments of MMap.
type MMapOpts struct {
	// Addr is the address: a hint, or the exact address with MAP_FIXED or
	// MAP_FIXED_NOREPLACE.
	Addr uintptr

	// Length is the length in bytes; it is rounded up to a page.
	Length uintptr

	// Prot is the PROT_* permissions; bits other than read, write and
	// execute are ignored.
	Prot platform.Prot

	// Flags are the MAP_* flags as the application passed them.
	// MAP_HUGETLB is accepted and served with normal pages.
	Flags int

	// Mappable backs a mapping without MAP_ANONYMOUS, from Offset (which
	// must be page-aligned). It is ignored for anonymous mappings. Each
	// resulting VMA takes its own reference.
	Mappable Mappable
	Offset   uint64

	// MaxProt is the most a mapping of Mappable may ever be granted, from
	// the file's open mode and mount (read-only file: no write for shared
	// mappings; noexec mount: no execute). Zero means all permissions.
	// Private mappings may always be written. Ignored for anonymous
	// mappings.
	MaxProt platform.Prot

	// Identity names the mapped file for /proc/[pid]/maps; may be nil.
	// Each resulting VMA takes its own reference.
	Identity MappingIdentity

	// Name is a special name such as "[stack]" or "[vdso]".
	Name string
}

// MMap implements mmap(2): it creates a mapping and returns its address.
// Memory is populated lazily (see HandleFault), except the first window of
// a file mapping (see prefaultLength), and all of it if MAP_POPULATE or
// MAP_LOCKED is given.
func (mm *MemoryManager) MMap(opts MMapOpts) (_ uintptr, err error) {
	if opts.Length == 0 {
		return 0, unix.EINVAL
	}
	length, ok := pageRoundUp(opts.Length)
	if !ok || length > mm.maxAddr {
		return 0, unix.ENOMEM
	}
	flags := opts.Flags
	switch flags & unix.MAP_TYPE {
	case unix.MAP_SHARED, unix.MAP_PRIVATE:
	case unix.MAP_SHARED_VALIDATE:
		if flags&^knownMapFlags != 0 {
			return 0, unix.EOPNOTSUPP
		}
	default:
		return 0, unix.EINVAL
	}
	private := flags&unix.MAP_TYPE == unix.MAP_PRIVATE
	anonymous := flags&unix.MAP_ANONYMOUS != 0
	prot := opts.Prot & protRWX
	maxProt := protRWX
	if !anonymous {
		if opts.Mappable == nil {
			return 0, unix.ENODEV
		}
		if opts.Offset%PageSize != 0 {
			return 0, unix.EINVAL
		}
		if opts.Offset+uint64(length) < opts.Offset {
			return 0, unix.EOVERFLOW
		}
		if opts.MaxProt != 0 {
			maxProt = opts.MaxProt & protRWX
		}
		if private {
			maxProt |= platform.ProtWrite
		}
		if prot&^maxProt != 0 {
			return 0, unix.EACCES
		}
	}

	if mm.overcommits(uint64(length), private, anonymous, prot) {
		return 0, unix.ENOMEM
	}

	fixed := flags&(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE) != 0
	noReplace := flags&unix.MAP_FIXED_NOREPLACE != 0
	addr := opts.Addr
	if fixed {
		if !pageAligned(addr) {
			return 0, unix.EINVAL
		}
		if addr > mm.maxAddr-length {
			return 0, unix.ENOMEM
		}
		if addr < mm.minAddr {
			return 0, unix.EPERM
		}
	}

	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	if mm.vmas.Len() >= maxMapCount {
		return 0, unix.ENOMEM
	}
	if fixed {
		if noReplace && !mm.rangeFree(addr, addr+length) {
			return 0, unix.EEXIST
		}
	} else {
		var err error
		if addr, err = mm.findPlacement(addr, length, flags&unix.MAP_32BIT != 0); err != nil {
			return 0, err
		}
	}
	if fixed && !noReplace {
		if err := mm.unmapLocked(addr, addr+length); err != nil {
			return 0, err
		}
	}

	v := &vma{
		start:     addr,
		end:       addr + length,
		prot:      prot,
		maxProt:   maxProt,
		private:   private,
		anonymous: anonymous,
		growsDown: flags&unix.MAP_GROWSDOWN != 0,
		name:      opts.Name,
	}
	switch {
	case anonymous && !private:
		v.mappable = newAnonObject(mm.mf, uint64(length))
		if v.name == "" {
			v.name = "/dev/zero (deleted)"
		}
	case !anonymous:
		v.mappable = opts.Mappable
		v.offset = opts.Offset
		v.id = opts.Identity
		v.incRefs()
	}
	mm.insertVMA(v)

	populate := length
	if flags&(unix.MAP_POPULATE|unix.MAP_LOCKED) == 0 {
		populate = min(length, prefaultLength(v))
	}
	if populate != 0 && prot != 0 {
		// Like Linux's mm_populate, failure to populate is not an error
		// of mmap; the pages will be faulted in later, and the fault
		// reports what went wrong (SIGBUS beyond the end of the file,
		// ENOMEM). A platform error is an error of mmap: the address
		// space no longer matches the VMA tree.
		if err := mm.populateRange(addr, addr+populate); err != nil && !isErrno(err) {
			return 0, err
		}
	}
	return addr, nil
}

// prefaultLength returns how much of the start of a new mapping v (made
// without MAP_POPULATE) MMap populates ahead ("prefaults"), so that the
// application does not fault on it: the window (faultWindow) a fault on its
// first page would populate, in the file mappings where that fault would do
// nothing the application could notice; zero elsewhere.
//
// Each fault is a platform round trip, and costs far more than the work it
// does: about 100 µs on the ptrace platform (a ptrace stop, the mm work, an
// injected mmap). Populating in mmap(2) adds the MapFile calls to the
// batch of mapping changes the mmap makes anyway (platform.Batcher): one
// round trip for the whole mapping. And exec, which builds the new image
// in a fresh address space where MapFile calls are only queued until the
// first Switch applies them together, pays nothing at all: the loader
// (core/loader) maps the segments of a program with MMap. Program images
// are where the faults were: after exec a small static program faulted 7
// times, once per ELF segment (headers page, text, rodata, data, then .bss
// and heap), and a dynamic /bin/true 17 times, mostly on the segments of
// ld.so and of libc, which ld.so maps with mmap(2). Prefaulting takes them
// to 3 and 5 (what remains is .bss, heap, stack and libc's text past its
// first megabyte), and a fork+exec+wait of /bin/true (tools/bench) from
// about 4.0 to 3.5 ms.
//
//   - A file mapping without ProtWrite (text, read-only data; private or
//     shared) maps the page cache's pages, which cost no copy (a private
//     one maps them copy-on-write, see populateHole): its first
//     fileFaultAround bytes. Pages the cache does not hold yet are read
//     from the file, as the first fault would read them, and stay cached
//     for the next process. (Mapping only the pages already cached, as
//     Linux's fault-around does, saves the same faults once the cache is
//     warm, but none on a program's first run in a sandbox, and every
//     library is loaded for a first time.) The cost is reading pages of a
//     mapping whose first megabyte is never touched. Nothing is populated
//     beyond the end of the file: Translate stops there with EFAULT, and
//     an access to those pages still faults and gets SIGBUS.
//   - A writable private file mapping (.data) copies its pages when they
//     are populated, which its first fault, read or write, does too: its
//     first faultAround bytes.
//   - A writable shared file mapping is left alone: its pages are the
//     file's, written back to it (see pagecache.go), and such mappings
//     (data files, memory shared between processes) are touched sparsely
//     and play no part in program start-up.
//   - Anonymous memory is left alone: its pages would be new allocations
//     for memory the program may never touch (a heap arena, a thread
//     stack, a reservation made accessible piecemeal).
//   - A PROT_NONE mapping is never populated.
func prefaultLength(v *vma) uintptr {
	switch {
	case v.mappable == nil || v.anonymous || v.prot == 0:
		return 0
	case v.prot&platform.ProtWrite != 0 && !v.private:
		return 0
	}
	return faultWindow(v)
}

// MUnmap implements munmap(2).
func (mm *MemoryManager) MUnmap(addr, length uintptr) (err error) {
	if !pageAligned(addr) || length == 0 {
		return unix.EINVAL
	}
	length, ok := pageRoundUp(length)
	if !ok || addr > mm.maxAddr || length > mm.maxAddr-addr {
		return unix.EINVAL
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	return mm.unmapLocked(addr, addr+length)
}

// unmapLocked removes every mapping in [start, end): first from the
// AddressSpace, then from the trees, and then it releases the pages.
//
// Preconditions: mm.mu is locked for writing; [start, end) is page-aligned.
func (mm *MemoryManager) unmapLocked(start, end uintptr) error {
	vs := mm.isolateVMAs(start, end)
	if len(vs) == 0 {
		return nil
	}
	if len(mm.pmasIn(start, end)) > 0 {
		if err := mm.as.Unmap(start, end-start); err != nil {
			return err
		}
		mm.dropPMAs(start, end)
	}
	for _, v := range vs {
		mm.removeVMA(v)
	}
	return nil
}

// populateRange populates every accessible VMA in [start, end).
//
// Preconditions: mm.mu is locked for writing; [start, end) is page-aligned.
func (mm *MemoryManager) populateRange(start, end uintptr) error {
	for _, v := range mm.vmasIn(start, end) {
		if v.prot == 0 {
			continue
		}
		if _, err := mm.populate(v, max(v.start, start), min(v.end, end)); err != nil {
			return err
		}
	}
	return nil
}

// findPlacement chooses the address of a new mapping of length bytes the way
// Linux's top-down allocator does: the hint if it is free, otherwise the
// highest free range below the mmap base, otherwise the lowest free range
// anywhere. MAP_32BIT searches [1 GiB, 2 GiB) bottom-up, as on x86-64.
//
// Preconditions: mm.mu is locked (for reading at least); length is
// page-aligned and no larger than maxAddr.
func (mm *MemoryManager) findPlacement(hint, length uintptr, map32 bool) (uintptr, error) {
	if hint != 0 {
		h := max(pageRoundDown(hint), mm.minAddr)
		if h <= mm.maxAddr-length && mm.rangeFree(h, h+length) {
			return h, nil
		}
	}
	if map32 {
		if a, ok := mm.findGap(max(mm.minAddr, 1<<30), min(mm.maxAddr, 2<<30), length, false); ok {
			return a, nil
		}
		return 0, unix.ENOMEM
	}
	if a, ok := mm.findGap(mm.minAddr, mm.mmapBase, length, true); ok {
		return a, nil
	}
	if a, ok := mm.findGap(mm.minAddr, mm.maxAddr, length, false); ok {
		return a, nil
	}
	return 0, unix.ENOMEM
}

// findGap finds a free range of length bytes in [lo, hi): the highest one if
// topDown, else the lowest. It walks the VMAs in order, which is linear in
// their number in the worst case.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) findGap(lo, hi, length uintptr, topDown bool) (uintptr, bool) {
	if hi <= lo || hi-lo < length {
		return 0, false
	}
	var addr uintptr
	found := false
	if topDown {
		gapEnd := hi
		mm.vmas.DescendLessOrEqual(&vma{start: hi - 1}, func(v *vma) bool {
			if v.end < gapEnd {
				if gs := max(v.end, lo); gapEnd-gs >= length {
					addr, found = gapEnd-length, true
					return false
				}
			}
			gapEnd = min(gapEnd, v.start)
			return gapEnd > lo && gapEnd-lo >= length
		})
		if !found && gapEnd > lo && gapEnd-lo >= length {
			addr, found = gapEnd-length, true
		}
		return addr, found
	}
	gapStart := lo
	if v := mm.vmaAt(lo); v != nil {
		gapStart = v.end
	}
	mm.vmas.AscendGreaterOrEqual(&vma{start: lo}, func(v *vma) bool {
		if v.start >= gapStart && v.start-gapStart >= length {
			return false
		}
		gapStart = max(gapStart, v.end)
		return gapStart < hi
	})
	if gapStart < hi && hi-gapStart >= length {
		return gapStart, true
	}
	return 0, false
}

// isErrno reports whether err is an application-visible error.
func isErrno(err error) bool {
	_, ok := err.(unix.Errno)
	return ok
}

// overcommits reports whether a new mapping of length bytes asks for more
// memory than the sandbox has, which Linux's default overcommit policy
// (heuristic, vm.overcommit_memory=0) refuses with ENOMEM: a mapping that
// may need its own memory (private and writable, or shared anonymous)
// larger than all of memory. Smaller ones are allowed however full memory
// is; running out is the fault handler's (and the OOM killer's) business.
func (mm *MemoryManager) overcommits(length uint64, private, anonymous bool, prot platform.Prot) bool {
	accountable := (private && prot&platform.ProtWrite != 0) || (anonymous && !private)
	return accountable && length > mm.mf.Limit()
}
