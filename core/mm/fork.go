package mm

import (
	"github.com/seed-a9fb2a21/ward/core/platform"
)

// Fork returns a copy of the address space for a child process (fork(2),
// clone(2) without CLONE_VM), reflected into newAS, which the child takes
// ownership of.
//
// Private pages are shared copy-on-write: parent and child both hold them
// in cow PMAs, mapped without ProtWrite, and the first write on either side
// breaks the sharing (breakCOW). Shared mappings share their pages and
// objects with the parent. VMAs marked
// MADV_DONTFORK are left out; VMAs marked MADV_WIPEONFORK are mapped but get
// no pages, so the child reads zeros. The child inherits the heap, the mmap
// base and the stack limit.
//
// On error the child is released (and newAS with it).
func (mm *MemoryManager) Fork(newAS platform.AddressSpace) (_ *MemoryManager, err error) {
	// For writing: the parent's private PMAs become cow and are remapped
	// read-only.
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
// child: private pages copy-on-write, shared pages as they are.
//
// Preconditions: mm.mu and child.mu are locked for writing; child is empty.
func (mm *MemoryManager) forkInto(child *MemoryManager) error {
	var err error
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
		// Make the parent's private pages in v cow, and read-only
		// in its address space before the child can see them.
		remap := false
		for _, p := range mm.pmasIn(v.start, v.end) {
			if p.private && !p.cow {
				remap = true
				break
			}
		}
		ps := mm.pmasIn(v.start, v.end)
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
		if len(ps) > 0 && nv.prot != 0 {
			if err = child.mapRange(nv.start, nv.end); err != nil {
				return false
			}
		}
		return true
	})
	return err
}
