package mm

import (
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// MAdvise implements madvise(2).
//
// MADV_DONTNEED (and MADV_FREE, on private anonymous memory only) drops the
// range's pages: private anonymous memory reads as zero afterwards, private
// file mappings read the file again, shared mappings keep their contents.
// MADV_DONTFORK/DOFORK and MADV_WIPEONFORK/KEEPONFORK change what Fork does.
// MADV_POPULATE_READ/WRITE populate. MADV_REMOVE is EOPNOTSUPP on shared
// mappings (nothing can punch a shared object's pages out of every address
// space yet) and EINVAL on private ones. Pure hints succeed and do nothing.
// As on Linux, a hole in the range is ENOMEM, reported after the mapped
// parts were advised.
func (mm *MemoryManager) MAdvise(addr, length uintptr, advice int) (err error) {
	switch advice {
	case unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED,
		unix.MADV_DONTNEED, unix.MADV_FREE, unix.MADV_REMOVE,
		unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK,
		unix.MADV_MERGEABLE, unix.MADV_UNMERGEABLE, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE,
		unix.MADV_DONTDUMP, unix.MADV_DODUMP, unix.MADV_COLD, unix.MADV_PAGEOUT,
		unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE, unix.MADV_COLLAPSE:
	default:
		return unix.EINVAL
	}
	if !pageAligned(addr) {
		return unix.EINVAL
	}
	rlen, ok := pageRoundUp(length)
	if !ok || (length != 0 && rlen == 0) {
		return unix.EINVAL
	}
	end := addr + rlen
	if end < addr {
		return unix.EINVAL
	}
	if end == addr {
		return nil
	}

	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	hole := false
	cur := addr
	for _, v := range mm.vmasIn(addr, end) {
		if v.start > cur {
			hole = true
		}
		cur = v.end
	}
	if cur < end {
		hole = true
	}

	switch advice {
	case unix.MADV_DONTNEED, unix.MADV_FREE:
		for _, v := range mm.vmasIn(addr, end) {
			if advice == unix.MADV_FREE && (!v.private || v.mappable != nil) {
				return unix.EINVAL
			}
		}
		if ps := mm.pmasIn(addr, end); len(ps) > 0 {
			// Only what is populated is unmapped: the range may
			// reach past the top of the address space (found by
			// fuzzing), which must not reach the platform.
			ps0, ps1 := max(addr, ps[0].start), min(end, ps[len(ps)-1].end)
			if err := mm.as.Unmap(ps0, ps1-ps0); err != nil {
				return err
			}
			mm.dropPMAs(ps0, ps1)
		}

	case unix.MADV_REMOVE:
		for _, v := range mm.vmasIn(addr, end) {
			if v.private {
				return unix.EINVAL
			}
		}
		return unix.EOPNOTSUPP

	case unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK:
		if advice == unix.MADV_WIPEONFORK {
			for _, v := range mm.vmasIn(addr, end) {
				if !v.private || v.mappable != nil {
					return unix.EINVAL
				}
			}
		}
		for _, v := range mm.isolateVMAs(addr, end) {
			switch advice {
			case unix.MADV_DONTFORK:
				v.dontFork = true
			case unix.MADV_DOFORK:
				v.dontFork = false
			case unix.MADV_WIPEONFORK:
				v.wipeOnFork = true
			case unix.MADV_KEEPONFORK:
				v.wipeOnFork = false
			}
		}
		mm.mergeVMAs(addr, end)

	case unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE:
		if hole {
			return unix.ENOMEM
		}
		need := platform.ProtRead
		if advice == unix.MADV_POPULATE_WRITE {
			need = platform.ProtWrite
		}
		for _, v := range mm.vmasIn(addr, end) {
			if effectiveProt(v.prot)&need == 0 {
				return unix.EFAULT
			}
		}
		if err = mm.populateRange(addr, end); err != nil && isErrno(err) {
			err = unix.ENOMEM
		}
	}
	if err == nil && hole {
		err = unix.ENOMEM
	}
	return err
}
