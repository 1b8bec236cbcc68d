package mm

import (
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
)

// breakCOW ends the copy-on-write sharing of the pages of [start, end): the
// pages of cow PMAs there that someone else still holds (another address
// space after Fork, or the Mappable whose pages a private mapping without
// ProtWrite mapped) are copied into new pages, the ones this address space
// alone holds (memory-file reference count one) are simply kept, and all
// of them are remapped with their VMAs' full permissions. PMAs that are not
// cow are left alone.
//
// The old pages are unreferenced only after the AddressSpace maps the new
// ones, so an application thread never sees a page that went back to the
// allocator. If the platform fails, the old pages are leaked (the address
// space can no longer be trusted anyway). On unix.ENOMEM the pages that
// could not be copied stay cow and mapped read-only.
//
// Preconditions: mm.mu is locked for writing; [start, end) is page-aligned.
func (mm *MemoryManager) breakCOW(start, end uintptr) error {
	if !mm.anyCOW(start, end) {
		return nil
	}
	// Split only cow PMAs at the bounds; others stay whole.
	if p := mm.pmaAt(start); p != nil && p.cow {
		mm.splitPMAAt(start)
	}
	if p := mm.pmaAt(end); p != nil && p.cow {
		mm.splitPMAAt(end)
	}
	var cows []*pma
	for _, p := range mm.pmasIn(start, end) {
		if p.cow {
			cows = append(cows, p)
		}
	}

	type run struct {
		fr     memfile.Range
		shared bool
	}
	var drop []memfile.Range
	var err error
	for _, p := range cows {
		var runs []run
		mm.mf.RefRuns(p.fileRange(p.start, p.end), func(r memfile.Range, refs int64) {
			runs = append(runs, run{r, refs > 1})
		})
		mm.pmas.Delete(p)
		at := p.start
		for _, r := range runs {
			n := uintptr(r.fr.Length())
			np := &pma{start: at, end: at + n, off: r.fr.Start, private: true}
			if r.shared && err == nil {
				cp, aerr := mm.mf.AllocateDirty(r.fr.Length()) // overwritten below
				if aerr != nil {
					err = aerr
				} else {
					copy(mm.mf.Slice(cp), mm.mf.Slice(r.fr))
					drop = append(drop, r.fr)
					np.off = cp.Start
				}
			}
			if r.shared && err != nil {
				// Out of memory: this run and the rest stay shared.
				np.cow = true
			}
			mm.insertPMA(np)
			at += n
		}
	}
	if merr := mm.mapRange(start, end); merr != nil {
		return merr
	}
	for _, fr := range drop {
		mm.mf.DecRef(fr)
	}
	return err
}

// anyCOW reports whether a cow PMA intersects [start, end).
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) anyCOW(start, end uintptr) bool {
	for _, p := range mm.pmasIn(start, end) {
		if p.cow {
			return true
		}
	}
	return false
}
