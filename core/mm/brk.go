package mm

import (
	"fmt"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// heapName is the special name of the brk area.
const heapName = "[heap]"

// SetBrkStart sets the start of the heap (Linux's start_brk, the page after
// the loaded image, possibly randomised by the loader) and resets the
// program break to it. It maps nothing.
func (mm *MemoryManager) SetBrkStart(addr uintptr) error {
	start, ok := pageRoundUp(addr)
	if !ok || start < mm.minAddr || start >= mm.maxAddr {
		return fmt.Errorf("mm: brk start %#x outside [%#x, %#x)", addr, mm.minAddr, mm.maxAddr)
	}
	mm.mu.Lock()
	mm.brkStart, mm.brk = start, start
	mm.mu.Unlock()
	return nil
}

// BrkStart returns the start of the heap.
func (mm *MemoryManager) BrkStart() uintptr {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	return mm.brkStart
}

// Brk implements brk(2). It returns the program break after the call, which
// is what the system call returns: addr when the break moved, the old break
// when it did not (addr zero or below the heap start, or no room). The error
// says why the break did not move, for tracing; the system call ignores it.
// A non-Errno error is a platform failure.
//
// Like Linux, the heap is anonymous private read-write memory named
// [heap] from BrkStart to the break rounded up to a page; shrinking unmaps
// the pages above the new break.
func (mm *MemoryManager) Brk(addr uintptr) (_ uintptr, err error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	old := mm.brk
	if mm.brkStart == 0 {
		// No heap yet: the loader has not called SetBrkStart.
		return old, unix.ENOMEM
	}
	if addr < mm.brkStart || addr == old {
		return old, nil
	}
	newEnd, ok := pageRoundUp(addr)
	if !ok || newEnd > mm.maxAddr {
		return old, unix.ENOMEM
	}
	oldEnd, _ := pageRoundUp(old)
	switch {
	case newEnd < oldEnd:
		if err := mm.unmapLocked(newEnd, oldEnd); err != nil {
			return old, err
		}
	case newEnd > oldEnd:
		// The new pages must not touch a mapping, nor come within the
		// guard gap of a stack above.
		next := mm.vmaAtOrAfter(oldEnd)
		if next != nil {
			limit := next.start
			if next.growsDown {
				limit = next.start - min(next.start, stackGuardGap)
			}
			if newEnd > limit {
				return old, unix.ENOMEM
			}
		}
		if mm.vmas.Len() >= maxMapCount {
			return old, unix.ENOMEM
		}
		mm.insertVMA(&vma{
			start:     oldEnd,
			end:       newEnd,
			prot:      platform.ProtRead | platform.ProtWrite,
			maxProt:   protRWX,
			private:   true,
			anonymous: true,
			name:      heapName,
		})
	}
	mm.brk = addr
	return addr, nil
}
