package mm

import (
	"golang.org/x/sys/unix"
)

// MRemap implements mremap(2) with MREMAP_MAYMOVE, MREMAP_FIXED and
// MREMAP_DONTUNMAP, and returns the new address of the mapping.
//
// The checks and their order follow Linux's mm/mremap.c: shrinking in place
// only unmaps the tail (and does not require the range to be mapped); growing
// requires [oldAddr, oldAddr+oldSize) to lie inside one VMA (EFAULT
// otherwise), grows in place if the range ends its VMA and the space above is
// free, and moves the mapping otherwise (ENOMEM without MREMAP_MAYMOVE). An
// oldSize of zero duplicates a shared mapping (EINVAL for a private one).
func (mm *MemoryManager) MRemap(oldAddr, oldSize, newSize uintptr, flags int, newAddr uintptr) (_ uintptr, err error) {
	if flags&^(unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED|unix.MREMAP_DONTUNMAP) != 0 {
		return 0, unix.EINVAL
	}
	mayMove := flags&unix.MREMAP_MAYMOVE != 0
	fixed := flags&unix.MREMAP_FIXED != 0
	dontUnmap := flags&unix.MREMAP_DONTUNMAP != 0
	if (fixed || dontUnmap) && !mayMove {
		return 0, unix.EINVAL
	}
	if dontUnmap && oldSize != newSize {
		return 0, unix.EINVAL
	}
	if !pageAligned(oldAddr) {
		return 0, unix.EINVAL
	}
	oldSize, ok1 := pageRoundUp(oldSize)
	newSize, ok2 := pageRoundUp(newSize)
	if !ok1 || !ok2 || newSize == 0 {
		return 0, unix.EINVAL
	}
	// An old range past the top of the address space can never be
	// mapped (Linux's munmap of its tail says EINVAL); it must not reach
	// the platform.
	if oldSize > mm.maxAddr || oldAddr > mm.maxAddr-oldSize {
		return 0, unix.EINVAL
	}

	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)

	if fixed {
		if !pageAligned(newAddr) {
			return 0, unix.EINVAL
		}
		if newSize > mm.maxAddr || newAddr > mm.maxAddr-newSize {
			return 0, unix.EINVAL
		}
		if newAddr < mm.minAddr {
			return 0, unix.EPERM
		}
		if oldAddr+oldSize > newAddr && newAddr+newSize > oldAddr {
			return 0, unix.EINVAL
		}
		if dontUnmap && mm.vmas.Len() >= maxMapCount {
			return 0, unix.ENOMEM
		}
		if err := mm.unmapLocked(newAddr, newAddr+newSize); err != nil {
			return 0, err
		}
		if oldSize > newSize {
			if err := mm.unmapLocked(oldAddr+newSize, oldAddr+oldSize); err != nil {
				return 0, err
			}
			oldSize = newSize
		}
		v, err := mm.vmaToResize(oldAddr, oldSize, newSize)
		if err != nil {
			return 0, err
		}
		if err := mm.moveLocked(v, oldAddr, oldSize, newAddr, newSize, dontUnmap); err != nil {
			return 0, err
		}
		return newAddr, nil
	}

	if oldSize >= newSize && !dontUnmap {
		if oldSize == newSize {
			return oldAddr, nil
		}
		if oldAddr > mm.maxAddr || oldSize > mm.maxAddr-oldAddr {
			return 0, unix.EINVAL
		}
		if err := mm.unmapLocked(oldAddr+newSize, oldAddr+oldSize); err != nil {
			return 0, err
		}
		return oldAddr, nil
	}

	v, err := mm.vmaToResize(oldAddr, oldSize, newSize)
	if err != nil {
		return 0, err
	}
	if mm.overcommits(uint64(newSize), v.private, v.anonymous, v.prot) {
		return 0, unix.ENOMEM
	}
	// Grow in place if the range ends its VMA and the space above is free.
	if oldSize != 0 && !dontUnmap && oldAddr+oldSize == v.end &&
		newSize <= mm.maxAddr-oldAddr && mm.rangeFree(v.end, oldAddr+newSize) {
		v.end = oldAddr + newSize
		mm.mergeVMAs(v.start, v.end)
		return oldAddr, nil
	}
	if !mayMove {
		return 0, unix.ENOMEM
	}
	if mm.vmas.Len() >= maxMapCount {
		return 0, unix.ENOMEM
	}
	dst, err := mm.findPlacement(0, newSize, false)
	if err != nil {
		return 0, err
	}
	if err := mm.moveLocked(v, oldAddr, oldSize, dst, newSize, dontUnmap); err != nil {
		return 0, err
	}
	return dst, nil
}

// vmaToResize returns the VMA that [addr, addr+oldSize) must lie in for a
// resize to newSize, as Linux's vma_to_resize.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) vmaToResize(addr, oldSize, newSize uintptr) (*vma, error) {
	v := mm.vmaAt(addr)
	if v == nil {
		return nil, unix.EFAULT
	}
	if oldSize == 0 && v.private {
		return nil, unix.EINVAL
	}
	if oldSize > v.end-addr {
		return nil, unix.EFAULT
	}
	if newSize != oldSize && v.mappable != nil {
		off := v.offset + uint64(addr-v.start)
		if off+uint64(newSize) < off {
			return nil, unix.EINVAL
		}
	}
	return v, nil
}

// moveLocked moves [oldAddr, oldAddr+oldSize) of v, with its pages, to the
// free range [newAddr, newAddr+newSize) (newSize >= oldSize; the part beyond
// oldSize continues the same backing). With dontUnmap the old range stays
// mapped but loses its pages. An oldSize of zero maps the same object again.
//
// Preconditions: mm.mu is locked for writing; [oldAddr, oldAddr+oldSize)
// lies inside v; [newAddr, newAddr+newSize) is free.
func (mm *MemoryManager) moveLocked(v *vma, oldAddr, oldSize, newAddr, newSize uintptr, dontUnmap bool) error {
	nv := *v
	nv.start, nv.end = newAddr, newAddr+newSize
	if nv.mappable != nil {
		nv.offset = v.offset + uint64(oldAddr-v.start)
	}
	nv.incRefs()
	if oldSize == 0 {
		mm.insertVMA(&nv)
		return nil
	}

	// Take the pages out of the old range.
	moved := mm.isolatePMAs(oldAddr, oldAddr+oldSize)
	if len(moved) > 0 {
		if err := mm.as.Unmap(oldAddr, oldSize); err != nil {
			nv.decRefs()
			return err
		}
	}
	for _, p := range moved {
		mm.pmas.Delete(p)
	}
	if !dontUnmap {
		for _, ov := range mm.isolateVMAs(oldAddr, oldAddr+oldSize) {
			mm.removeVMA(ov)
		}
	}

	// And put them in the new one.
	mm.insertVMA(&nv)
	delta := newAddr - oldAddr // modular arithmetic: works downwards too
	for _, p := range moved {
		p.start += delta
		p.end += delta
		mm.insertPMA(p)
	}
	if len(moved) > 0 {
		return mm.mapRange(newAddr, newAddr+oldSize)
	}
	return nil
}
