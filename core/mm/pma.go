package mm

import (
	"fmt"

	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// pma is a populated range of the address space: [start, end) is backed by
// memory-file range [off, off+end-start). The pma holds one reference on
// each of those pages.
//
// A pma in MemoryManager.pmas is protected by MemoryManager.mu. PMAs never
// overlap, always lie inside VMAs, and may span several adjacent VMAs.
type pma struct {
	start, end uintptr
	off        uint64

	// private is true when writes to the pages must stay in this address
	// space: anonymous private memory, or a MAP_PRIVATE mapping of a
	// Mappable. Fork shares them copy-on-write. Otherwise they are a
	// Mappable's pages, and writes to them reach the Mappable.
	private bool

	// cow is set on a private pma whose pages may also be held by someone
	// else: another address space's private pma (they were shared by
	// Fork), or the Mappable itself (a private mapping without ProtWrite
	// maps the Mappable's pages directly; see populateHole). Such pages
	// are mapped without ProtWrite, and any write to them (the
	// application's, through HandleFault, or the kernel's, through
	// CopyOut and friends) first breaks the sharing with breakCOW. A cow
	// pma's pages whose memory-file reference count is one are no longer
	// shared; breakCOW then only clears the flag.
	cow bool
}

func pmaLess(a, b *pma) bool { return a.start < b.start }

// mapProt returns the permissions p's pages get in the AddressSpace under v:
// v's, without ProtWrite while the pages are shared copy-on-write.
func (p *pma) mapProt(v *vma) platform.Prot {
	if p.cow {
		return v.prot &^ platform.ProtWrite
	}
	return v.prot
}

// fileRange returns the memory-file range of p's sub-range [start, end).
func (p *pma) fileRange(start, end uintptr) memfile.Range {
	return memfile.Range{
		Start: p.off + uint64(start-p.start),
		End:   p.off + uint64(end-p.start),
	}
}

// pmaAt returns the PMA containing addr, or nil.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) pmaAt(addr uintptr) *pma {
	var found *pma
	mm.pmas.DescendLessOrEqual(&pma{start: addr}, func(p *pma) bool {
		if addr < p.end {
			found = p
		}
		return false
	})
	return found
}

// nextPMAStart returns the start of the first PMA at or above addr, or
// limit if there is none below limit.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) nextPMAStart(addr, limit uintptr) uintptr {
	next := limit
	mm.pmas.AscendGreaterOrEqual(&pma{start: addr}, func(p *pma) bool {
		next = min(next, p.start)
		return false
	})
	return next
}

// pmasIn returns the PMAs that intersect [start, end), in order.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) pmasIn(start, end uintptr) []*pma {
	var out []*pma
	if p := mm.pmaAt(start); p != nil && p.start < start {
		out = append(out, p)
	}
	mm.pmas.AscendRange(&pma{start: start}, &pma{start: end}, func(p *pma) bool {
		out = append(out, p)
		return true
	})
	return out
}

// splitPMAAt splits the PMA strictly containing addr, if any.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) splitPMAAt(addr uintptr) {
	p := mm.pmaAt(addr)
	if p == nil || p.start == addr {
		return
	}
	np := &pma{start: addr, end: p.end, off: p.off + uint64(addr-p.start), private: p.private, cow: p.cow}
	p.end = addr
	mm.pmas.ReplaceOrInsert(np)
}

// isolatePMAs splits PMAs at start and end and returns those inside.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) isolatePMAs(start, end uintptr) []*pma {
	mm.splitPMAAt(start)
	mm.splitPMAAt(end)
	return mm.pmasIn(start, end)
}

// dropPMAs removes the PMAs in [start, end) and releases their pages. It
// does not touch the AddressSpace; it reports whether there were any.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) dropPMAs(start, end uintptr) bool {
	ps := mm.isolatePMAs(start, end)
	for _, p := range ps {
		mm.pmas.Delete(p)
		mm.mf.DecRef(p.fileRange(p.start, p.end))
	}
	return len(ps) > 0
}

// insertPMA adds p, which must not overlap another PMA, merging it with
// neighbours that continue it in the memory file.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) insertPMA(p *pma) {
	var prev *pma
	mm.pmas.DescendLessOrEqual(p, func(q *pma) bool {
		prev = q
		return false
	})
	if prev != nil && prev.end == p.start && prev.private == p.private && prev.cow == p.cow &&
		prev.off+uint64(prev.end-prev.start) == p.off {
		prev.end = p.end
		p = prev
	} else {
		mm.pmas.ReplaceOrInsert(p)
	}
	if next, ok := mm.pmas.Get(&pma{start: p.end}); ok && next.private == p.private && next.cow == p.cow &&
		p.off+uint64(p.end-p.start) == next.off {
		mm.pmas.Delete(next)
		p.end = next.end
	}
}

// mapRange reflects [start, end) into the AddressSpace: the PMAs there are
// mapped with their VMAs' permissions (less ProtWrite for cow PMAs), or
// unmapped under PROT_NONE VMAs.
// Holes are left alone (they are already unmapped).
//
// Preconditions: mm.mu is locked for writing; [start, end) is page-aligned.
func (mm *MemoryManager) mapRange(start, end uintptr) error {
	for _, v := range mm.vmasIn(start, end) {
		vs, ve := max(v.start, start), min(v.end, end)
		for _, p := range mm.pmasIn(vs, ve) {
			ps, pe := max(p.start, vs), min(p.end, ve)
			var err error
			if v.prot == 0 {
				err = mm.as.Unmap(ps, pe-ps)
			} else {
				err = mm.as.MapFile(ps, mm.mf.FD(), int64(p.off+uint64(ps-p.start)), pe-ps, p.mapProt(v))
			}
			if err != nil {
				return fmt.Errorf("mm: reflecting [%#x, %#x) into the address space: %w", ps, pe, err)
			}
		}
	}
	return nil
}

// beginBatch starts a batch of address-space changes if the platform
// batches them (platform.Batcher), and returns the batcher or nil; the
// operation that called it defers endBatch, while it holds mm.mu.
func (mm *MemoryManager) beginBatch() platform.Batcher {
	b, _ := mm.as.(platform.Batcher)
	if b != nil {
		b.BeginBatch()
	}
	return b
}

// endBatch applies the batch that beginBatch started; its error becomes
// *err unless the operation failed already.
func (mm *MemoryManager) endBatch(b platform.Batcher, err *error) {
	if b == nil {
		return
	}
	if berr := b.EndBatch(); berr != nil && *err == nil {
		*err = fmt.Errorf("mm: reflecting changes into the address space: %w", berr)
	}
}

// populate gives every page of [start, end) pages in the memory file and
// maps them into the AddressSpace (unless v is PROT_NONE). [start, end) must
// lie inside v. It returns how far [start, end) is populated: end, or where
// it stopped with an error.
//
// Preconditions: mm.mu is locked for writing; [start, end) is page-aligned.
func (mm *MemoryManager) populate(v *vma, start, end uintptr) (uintptr, error) {
	for cur := start; cur < end; {
		if p := mm.pmaAt(cur); p != nil {
			cur = min(p.end, end)
			continue
		}
		holeEnd := mm.nextPMAStart(cur, end)
		filled, err := mm.populateHole(v, cur, holeEnd)
		if filled > cur && v.prot != 0 {
			if merr := mm.mapRange(cur, filled); merr != nil {
				return cur, merr
			}
		}
		if err != nil {
			return filled, err
		}
		cur = holeEnd
	}
	return end, nil
}

// populateHole creates PMAs for the unpopulated range [start, end) of v and
// returns how far it got.
//
// A private VMA of a Mappable takes the Mappable's pages in one of two ways.
// Without ProtWrite it maps them directly, in cow PMAs: read-only text and
// data cost no copy, and every process running the same program shares one
// copy of it; a later write (after mprotect, or the kernel's CopyOutForce)
// breaks the sharing like a write after Fork: breakCOW copies every page
// the Mappable (or anyone else) still holds. With ProtWrite it copies
// them now: a fault that was not a protection fault does not say whether
// it was a write, and copying now costs one fault where sharing and then
// copying on the write would cost two.
//
// Preconditions: mm.mu is locked for writing; no PMA intersects
// [start, end).
func (mm *MemoryManager) populateHole(v *vma, start, end uintptr) (uintptr, error) {
	if v.mappable == nil {
		fr, err := mm.mf.Allocate(uint64(end - start))
		if err == nil {
			mm.insertPMA(&pma{start: start, end: end, off: fr.Start, private: true})
			return end, nil
		}
		// The memory file is full or fragmented: take what single
		// pages there are.
		for cur := start; cur < end; cur += PageSize {
			fr, err := mm.mf.Allocate(PageSize)
			if err != nil {
				return cur, err
			}
			mm.insertPMA(&pma{start: cur, end: cur + PageSize, off: fr.Start, private: true})
		}
		return end, nil
	}
	at := platform.ProtRead
	if !v.private {
		at = v.prot
	}
	off := v.offset + uint64(start-v.start)
	frs, err := v.mappable.Translate(off, uint64(end-start), at)
	cur := start
	for i, fr := range frs {
		n := uintptr(fr.Length())
		switch {
		case !v.private:
			mm.insertPMA(&pma{start: cur, end: cur + n, off: fr.Start})
		case v.prot&platform.ProtWrite == 0:
			// The reference Translate took is the PMA's.
			mm.insertPMA(&pma{start: cur, end: cur + n, off: fr.Start, private: true, cow: true})
		default:
			cp, aerr := mm.mf.AllocateDirty(fr.Length()) // overwritten below
			if aerr != nil {
				for _, rest := range frs[i:] {
					mm.mf.DecRef(rest)
				}
				return cur, aerr
			}
			copy(mm.mf.Slice(cp), mm.mf.Slice(fr))
			mm.mf.DecRef(fr)
			mm.insertPMA(&pma{start: cur, end: cur + n, off: cp.Start, private: true})
		}
		cur += n
	}
	if err == nil && cur != end {
		err = unix.EFAULT
	}
	return cur, err
}
