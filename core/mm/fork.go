package mm

import (
	"github.com/seed-a9fb2a21/ward/core/platform"
)

// Fork returns a copy of the address space for a child process (fork(2),
// clone(2) without CLONE_VM), reflected into newAS, which the child takes
// ownership of.
//
// Private pages are copied now (copy-on-write is a later optimisation);
// shared mappings share their pages and objects with the parent. VMAs marked
// MADV_DONTFORK are left out; VMAs marked MADV_WIPEONFORK are mapped but get
// no pages, so the child reads zeros. The child inherits the heap, the mmap
// base and the stack limit.
//
// On error the child is released (and newAS with it).
func (mm *MemoryManager) Fork(newAS platform.AddressSpace) (*MemoryManager, error) {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	child := newMM(mm.mf, newAS, mm.minAddr, mm.maxAddr)
	child.mmapBase = mm.mmapBase
	child.brkStart, child.brk = mm.brkStart, mm.brk
	child.stackLimit = mm.stackLimit

	child.mu.Lock()
	err := mm.forkInto(child)
	child.mu.Unlock()
	if err != nil {
		child.Release()
		return nil, err
	}
	return child, nil
}

// forkInto copies the VMAs and pages of mm into child.
//
// Preconditions: mm.mu is locked for reading; child.mu is locked for
// writing; child is empty.
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
		ps := mm.pmasIn(v.start, v.end)
		for _, p := range ps {
			start, end := max(p.start, v.start), min(p.end, v.end)
			fr := p.fileRange(start, end)
			np := &pma{start: start, end: end, private: p.private}
			if p.private {
				cp, aerr := mm.mf.Allocate(fr.Length())
				if aerr != nil {
					err = aerr
					return false
				}
				copy(mm.mf.Slice(cp), mm.mf.Slice(fr))
				np.off = cp.Start
			} else {
				mm.mf.IncRef(fr)
				np.off = fr.Start
			}
			child.insertPMA(np)
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
