package mm

import (
	"fmt"
	"sync"

	"github.com/google/btree"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
)

// PageSize is the application page size.
const PageSize = memfile.PageSize

const (
	// defaultMmapGap is the distance between MaxAddr and the default mmap
	// base, as Linux's mmap_base leaves for the stack (128 MiB minimum gap)
	// plus its stack guard gap.
	defaultMmapGap = 128<<20 + stackGuardGap

	// stackGuardGap is Linux's stack_guard_gap: a growsdown VMA does not
	// grow to within this distance of the mapping below it.
	stackGuardGap = 256 * PageSize

	// defaultStackLimit is the default RLIMIT_STACK: how large a growsdown
	// VMA may grow.
	defaultStackLimit = 8 << 20

	// maxMapCount is Linux's default vm.max_map_count.
	maxMapCount = 65530

	// faultAround is the size of the aligned window HandleFault populates
	// around a faulting address (clipped to the VMA and to the pages not
	// yet populated), unless faultWindow says otherwise, and in which a
	// write fault breaks copy-on-write sharing. Each fault is a round trip
	// through the platform, so a window larger than a page pays for itself
	// on sequential access; the memory file is sparse, so the host commits
	// only the pages actually touched.
	faultAround = 64 << 10

	// maxSeqFaultAround bounds the window of a fault that continues a
	// sequential run on private anonymous memory (fault.go): a heap or
	// arena being filled from its start grows the window from
	// faultAround, doubling each time, up to this.
	maxSeqFaultAround = 2 << 20

	// fileFaultAround is the window for a fault in a file mapping without
	// ProtWrite (program text, read-only data; see faultWindow). Each
	// fault is a platform round trip (on the ptrace platform a ptrace stop
	// and an injected mmap, tens of microseconds), and with 64 KiB windows
	// the text of even a small static program took a dozen of them. Such
	// pages are cheap to map ahead: a private mapping maps the page
	// cache's own pages copy-on-write instead of copying them (see
	// populateHole), and the page cache keeps them for the next process
	// that maps the file, so what is read ahead is read once per sandbox.
	// The cost is reading (and caching) file pages that may never be
	// touched.
	fileFaultAround = 1 << 20
)

// Config describes a new address space.
type Config struct {
	// MemoryFile holds the application's memory.
	MemoryFile *memfile.File

	// AddressSpace is where the mappings are reflected. The MemoryManager
	// takes ownership of it and releases it in Release.
	AddressSpace platform.AddressSpace

	// MinAddr and MaxAddr bound the addresses the application may map:
	// [MinAddr, MaxAddr), as the platform reports them. They are rounded
	// inwards to pages.
	MinAddr, MaxAddr uintptr

	// MmapBase is where top-down placement of mmap starts. Zero means
	// MaxAddr minus Linux's minimum stack gap (128 MiB plus the guard
	// gap); the loader may randomise it later with SetMmapBase.
	MmapBase uintptr
}

// MemoryManager is an application address space. Its methods are safe for
// concurrent use by the threads that share it.
//
// The MemoryManager does not count its users: the kernel calls Release once,
// when the last task using it lets go.
type MemoryManager struct {
	// mf, as, minAddr and maxAddr are immutable.
	mf      *memfile.File
	as      platform.AddressSpace
	minAddr uintptr
	maxAddr uintptr

	// mu protects everything below, and serialises calls into as.
	mu sync.RWMutex

	// vmas is the VMA tree. Protected by mu.
	vmas *btree.BTreeG[*vma]

	// pmas is the set of populated ranges. Protected by mu.
	pmas *btree.BTreeG[*pma]

	// mmapBase is the top of top-down mmap placement. Protected by mu.
	mmapBase uintptr

	// seqNext and seqWindow detect sequential faults on private
	// anonymous memory (fault.go): seqNext is the end of the last window
	// such a fault populated, seqWindow its size. Protected by mu.
	seqNext, seqWindow uintptr

	// brkStart is the bottom of the heap and brk its current end as the
	// application last set it (not page-aligned). Protected by mu.
	brkStart, brk uintptr

	// stackLimit bounds the size of growsdown VMAs (RLIMIT_STACK).
	// Protected by mu.
	stackLimit uintptr

	// released is set by Release. Protected by mu.
	released bool
}

// New returns an empty address space.
func New(cfg Config) (*MemoryManager, error) {
	if cfg.MemoryFile == nil || cfg.AddressSpace == nil {
		return nil, fmt.Errorf("mm: New needs a memory file and an address space")
	}
	minAddr := pageRoundUpOrMax(cfg.MinAddr)
	maxAddr := pageRoundDown(cfg.MaxAddr)
	if minAddr == 0 {
		minAddr = PageSize
	}
	if minAddr >= maxAddr {
		return nil, fmt.Errorf("mm: empty user address range [%#x, %#x)", cfg.MinAddr, cfg.MaxAddr)
	}
	mm := newMM(cfg.MemoryFile, cfg.AddressSpace, minAddr, maxAddr)
	base := cfg.MmapBase
	if base == 0 && maxAddr-minAddr > 2*defaultMmapGap {
		base = maxAddr - defaultMmapGap
	}
	if err := mm.SetMmapBase(base); err != nil {
		return nil, err
	}
	return mm, nil
}

func newMM(mf *memfile.File, as platform.AddressSpace, minAddr, maxAddr uintptr) *MemoryManager {
	return &MemoryManager{
		mf:         mf,
		as:         as,
		minAddr:    minAddr,
		maxAddr:    maxAddr,
		vmas:       btree.NewG(16, vmaLess),
		pmas:       btree.NewG(16, pmaLess),
		mmapBase:   maxAddr,
		stackLimit: defaultStackLimit,
	}
}

// AddressSpace returns the platform address space the MemoryManager drives.
func (mm *MemoryManager) AddressSpace() platform.AddressSpace { return mm.as }

// MemoryFile returns the memory file backing the address space.
func (mm *MemoryManager) MemoryFile() *memfile.File { return mm.mf }

// MinAddr and MaxAddr return the bounds of the user address range.
func (mm *MemoryManager) MinAddr() uintptr { return mm.minAddr }

// MaxAddr returns the end of the user address range.
func (mm *MemoryManager) MaxAddr() uintptr { return mm.maxAddr }

// SetMmapBase sets where top-down mmap placement starts (Linux's
// mm->mmap_base); the loader calls it with a randomised value. Zero means
// MaxAddr.
func (mm *MemoryManager) SetMmapBase(base uintptr) error {
	if base == 0 {
		base = mm.maxAddr
	}
	base = pageRoundDown(base)
	if base <= mm.minAddr || base > mm.maxAddr {
		return fmt.Errorf("mm: mmap base %#x outside [%#x, %#x]", base, mm.minAddr, mm.maxAddr)
	}
	mm.mu.Lock()
	mm.mmapBase = base
	mm.mu.Unlock()
	return nil
}

// MmapBase returns the top of top-down mmap placement.
func (mm *MemoryManager) MmapBase() uintptr {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	return mm.mmapBase
}

// SetStackLimit sets RLIMIT_STACK, the most a growsdown VMA may grow to.
func (mm *MemoryManager) SetStackLimit(limit uintptr) {
	mm.mu.Lock()
	mm.stackLimit = limit
	mm.mu.Unlock()
}

// VirtualSize returns the total size of the mappings (VmSize).
func (mm *MemoryManager) VirtualSize() uintptr {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	var n uintptr
	mm.vmas.Ascend(func(v *vma) bool {
		n += v.length()
		return true
	})
	return n
}

// ResidentSize returns the total size of the populated pages (VmRSS).
func (mm *MemoryManager) ResidentSize() uintptr {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	var n uintptr
	mm.pmas.Ascend(func(p *pma) bool {
		n += p.end - p.start
		return true
	})
	return n
}

// Released reports whether Release has run: the address space's memory
// has gone back to the memory file.
func (mm *MemoryManager) Released() bool {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	return mm.released
}

// Release unmaps everything, drops every page reference (pages no other
// owner holds return to the memory file), and releases the AddressSpace.
// Calling it again does nothing.
//
// Preconditions: no task runs in the address space any more.
func (mm *MemoryManager) Release() {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.released {
		return
	}
	mm.released = true
	// The address space goes first: no application thread may see a page
	// after it returns to the allocator.
	mm.as.Release()
	mm.pmas.Ascend(func(p *pma) bool {
		mm.mf.DecRef(p.fileRange(p.start, p.end))
		return true
	})
	mm.pmas.Clear(false)
	mm.vmas.Ascend(func(v *vma) bool {
		v.decRefs()
		return true
	})
	mm.vmas.Clear(false)
}

func pageRoundDown(a uintptr) uintptr { return a &^ (PageSize - 1) }

// pageRoundUp rounds a up to a page; ok is false if that overflows.
func pageRoundUp(a uintptr) (uintptr, bool) {
	r := (a + PageSize - 1) &^ (PageSize - 1)
	return r, r >= a
}

func pageRoundUpOrMax(a uintptr) uintptr {
	if r, ok := pageRoundUp(a); ok {
		return r
	}
	return pageRoundDown(^uintptr(0))
}

func pageAligned(a uintptr) bool { return a%PageSize == 0 }
