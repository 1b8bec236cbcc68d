package mm

import (
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
)

const (
	// eagerForkCopy is the most populated memory of one writable private
	// VMA that Fork copies into the child at once instead of sharing it
	// copy-on-write (see forkInto).
	//
	// Sharing costs the first write on each side a page fault, and on
	// the ptrace platform a fault costs about 100 µs (a ptrace stop, the
	// work here, an injected mmap), far more than copying a few pages. A
	// fork+exec+wait of a small static program took about six such
	// faults that bought nothing: the parent writes its stack as soon as
	// fork returns, and its .data and .bss after wait4; the child writes
	// its stack and a page or two of .data and .bss before execve, which
	// throws the copy away anyway. Those regions are a few pages each,
	// so copying them costs microseconds. With the copy, a fork+exec+wait
	// of a static program (tools/bench/src/forkexec_loop.c) takes 7
	// faults instead of 12 to 14, all of them the new program's own.
	// Larger regions (a grown heap, a big .bss, anonymous mappings) are
	// still shared: most of their pages are written by neither side
	// before the child execs or exits, and copying them would cost more
	// than the faults it saves.
	eagerForkCopy = 64 << 10

	// eagerForkTotal bounds what one Fork copies eagerly in all, so that
	// a process with thousands of small writable mappings pays for no
	// more than this per fork, in copying and in memory (the copies are
	// written, so the host commits them, where shared pages cost nothing
	// until written); its other small VMAs are shared copy-on-write.
	eagerForkTotal = 1 << 20
)

// Fork returns a copy of the address space for a child process (fork(2),
// clone(2) without CLONE_VM), reflected into newAS, which the child takes
// ownership of.
//
// Private pages are shared copy-on-write: parent and child both hold them
// in cow PMAs, mapped without ProtWrite, and the first write on either side
// breaks the sharing (breakCOW). Small writable private VMAs are the
// exception: if the pages populated in one total at most eagerForkCopy
// bytes (and none of them is shared copy-on-write already), the child gets
// a copy of them in new pages, and the parent's are left as they are,
// writable, so that neither side takes a fault on its first write to its
// stack or its .data and .bss, which fork+exec+wait otherwise does about
// six times. Unpopulated pages stay unpopulated. Such copies cost at most
// eagerForkTotal bytes of memory per Fork; a VMA whose copy cannot be
// allocated, or does not fit in what remains of eagerForkTotal, is shared
// copy-on-write instead.
//
// Shared mappings share their pages and objects with the parent. VMAs
// marked MADV_DONTFORK are left out; VMAs marked MADV_WIPEONFORK are mapped
// but get no pages, so the child reads zeros. The child inherits the heap,
// the mmap base and the stack limit.
//
// On error the child is released (and newAS with it).
func (mm *MemoryManager) Fork(newAS platform.AddressSpace) (_ *MemoryManager, err error) {
	// For writing: the parent's private PMAs (except those of small VMAs
	// copied into the child) become cow and are remapped read-only.
	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	child := newMM(mm.mf, newAS, mm.minAddr, mm.maxAddr)
	child.mmapBase = mm.mmapBase
	child.brkStart, child.brk = mm.brkStart, mm.brk
	child.stackLimit = mm.stackLimit

	child.mu.Lock()
	err = mm.forkInto(child)
	child.mu.Unlock()
	if err != nil {
		child.Release()
		return nil, err
	}
	return child, nil
}

// forkInto copies the VMAs of mm into child and shares its pages with
// child: private pages copy-on-write, except those of small writable VMAs,
// which it copies (see eagerForkCopy), and shared pages as they are.
//
// Preconditions: mm.mu and child.mu are locked for writing; child is empty.
func (mm *MemoryManager) forkInto(child *MemoryManager) error {
	var err error
	budget := uintptr(eagerForkTotal)
	mm.vmas.Ascend(func(v *vma) bool {
		if v.dontFork {
			return true
		}
		nv := *v
		nv.incRefs()
		child.vmas.ReplaceOrInsert(&nv)
		if v.wipeOnFork {
			return true
		}
		ps := mm.pmasIn(v.start, v.end)
		if len(ps) == 0 {
			return true
		}
		if n := eagerCopySize(v, ps); n > 0 && n <= budget {
			if mm.copyPMAsInto(child, v, ps, n) == nil {
				budget -= n
				if err = child.mapRange(nv.start, nv.end); err != nil {
					return false
				}
				return true
			}
			// Out of memory: share them after all.
		}

		// Make the parent's private pages in v cow, and read-only
		// in its address space before the child can see them.
		remap := false
		for _, p := range ps {
			if p.private && !p.cow {
				remap = true
				break
			}
		}
		if remap {
			ps = mm.isolatePMAs(v.start, v.end)
			for _, p := range ps {
				if p.private {
					p.cow = true
				}
			}
			if v.prot&platform.ProtWrite != 0 {
				if err = mm.mapRange(v.start, v.end); err != nil {
					return false
				}
			}
		}
		for _, p := range ps {
			start, end := max(p.start, v.start), min(p.end, v.end)
			fr := p.fileRange(start, end)
			mm.mf.IncRef(fr)
			child.insertPMA(&pma{start: start, end: end, off: fr.Start, private: p.private, cow: p.private})
		}
		if nv.prot != 0 {
			if err = child.mapRange(nv.start, nv.end); err != nil {
				return false
			}
		}
		return true
	})
	return err
}

// eagerCopySize returns how many bytes of v's pages Fork would copy into
// the child rather than share copy-on-write, or zero if it must share
// them: v must be private and writable, its PMAs ps (those intersecting
// v) private and not cow (pages that another address space or a Mappable
// holds too keep their copy-on-write sharing, which breakCOW knows how
// to end), and the pages populated in v at most eagerForkCopy bytes.
//
// Preconditions: mm.mu is locked (for reading at least).
func eagerCopySize(v *vma, ps []*pma) uintptr {
	if !v.private || v.prot&platform.ProtWrite == 0 {
		return 0
	}
	var n uintptr
	for _, p := range ps {
		if !p.private || p.cow {
			return 0
		}
		n += min(p.end, v.end) - max(p.start, v.start)
		if n > eagerForkCopy {
			return 0
		}
	}
	return n
}

// copyPMAsInto gives child a copy of v's pages: it allocates n bytes, the
// size of the PMAs ps (those intersecting v) clipped to v, copies the
// pages into them, and inserts private PMAs for them into child. mm's PMAs
// are left alone, mapped as they are. It returns unix.ENOMEM, having
// changed nothing, if the memory file has no room.
//
// Another thread of mm may write the pages while they are copied, as on
// Linux, which copies the pinned pages of a fork while the parent's other
// threads can still write them: the child sees each write or not.
//
// Preconditions: mm.mu and child.mu are locked for writing; child has no
// PMAs in v.
func (mm *MemoryManager) copyPMAsInto(child *MemoryManager, v *vma, ps []*pma, n uintptr) error {
	cp, err := mm.mf.AllocateDirty(uint64(n)) // overwritten below
	if err != nil {
		return err
	}
	off := cp.Start
	for _, p := range ps {
		start, end := max(p.start, v.start), min(p.end, v.end)
		fr := p.fileRange(start, end)
		dst := memfile.Range{Start: off, End: off + fr.Length()}
		copy(mm.mf.Slice(dst), mm.mf.Slice(fr))
		// The reference Allocate took on dst is the new PMA's.
		child.insertPMA(&pma{start: start, end: end, off: dst.Start, private: true})
		off = dst.End
	}
	return nil
}
