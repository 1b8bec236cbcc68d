package mm

import (
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// protSem is PROT_SEM, accepted and ignored as on x86-64.
const protSem = 0x8

// MProtect implements mprotect(2). prot is the PROT_* value as the
// application passed it (PROT_GROWSDOWN extends the range down to the start
// of a growsdown VMA).
//
// Like Linux, it changes the VMAs in address order and stops at the first
// one it cannot change: a hole in [addr, addr+length) is ENOMEM and a
// permission the mapping may never have is EACCES, with the VMAs before it
// already changed.
func (mm *MemoryManager) MProtect(addr, length uintptr, prot uint32) (err error) {
	const known = uint32(protRWX) | protSem | unix.PROT_GROWSDOWN | unix.PROT_GROWSUP
	if prot&^known != 0 || prot&(unix.PROT_GROWSDOWN|unix.PROT_GROWSUP) == unix.PROT_GROWSDOWN|unix.PROT_GROWSUP {
		return unix.EINVAL
	}
	if !pageAligned(addr) {
		return unix.EINVAL
	}
	if length == 0 {
		return nil
	}
	length, ok := pageRoundUp(length)
	end := addr + length
	if !ok || end <= addr {
		return unix.ENOMEM
	}
	newProt := platform.Prot(prot) & protRWX

	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	start := addr
	if prot&unix.PROT_GROWSDOWN != 0 {
		v := mm.vmaAt(start)
		if v == nil {
			return unix.ENOMEM
		}
		if !v.growsDown {
			return unix.EINVAL
		}
		start = v.start
	} else if prot&unix.PROT_GROWSUP != 0 {
		// No VMA grows up on x86-64.
		if mm.vmaAt(start) == nil {
			return unix.ENOMEM
		}
		return unix.EINVAL
	}

	cur := start
	for cur < end {
		v := mm.vmaAt(cur)
		if v == nil {
			err = unix.ENOMEM
			break
		}
		if newProt&^v.maxProt != 0 {
			err = unix.EACCES
			break
		}
		segEnd := min(v.end, end)
		if v.prot != newProt {
			for _, iv := range mm.isolateVMAs(cur, segEnd) {
				iv.prot = newProt
			}
			if merr := mm.mapRange(cur, segEnd); merr != nil {
				err = merr
				break
			}
		}
		cur = segEnd
	}
	mm.mergeVMAs(start, cur)
	return err
}
