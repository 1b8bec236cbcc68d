package mm

import (
	"fmt"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// Signal codes of a FaultError (from <asm-generic/siginfo.h>).
const (
	SegvMapErr = 1 // no mapping at the address
	SegvAccErr = 2 // the mapping does not allow the access
	BusAdrErr  = 2 // the address is beyond the end of the mapped object
)

// FaultError is returned by HandleFault when the faulting thread must get a
// signal instead of retrying.
type FaultError struct {
	// Signo is unix.SIGSEGV or unix.SIGBUS.
	Signo unix.Signal

	// Code is the si_code: SegvMapErr, SegvAccErr or BusAdrErr.
	Code int32

	// Addr is the faulting address (si_addr).
	Addr uintptr
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("mm: fault at %#x: %v (code %d)", e.Addr, e.Signo, e.Code)
}

// HandleFault handles an application page fault at addr: it grows a stack if
// addr lies just below a growsdown VMA, populates the pages of an aligned
// window around addr (faultAround bytes, clipped to the VMA and to what is
// already populated) and maps them, so that the thread can retry the access.
//
// at is the access that faulted, if the platform knows it; zero means
// unknown. The platform calls HandleFault for faults on pages that are not
// mapped (SEGV_MAPERR). Because mm maps every page with its VMA's full
// permissions, a protection fault (SEGV_ACCERR) on a present page is a
// genuine violation and needs no HandleFault; if the platform calls it
// anyway, it must pass the access (ProtWrite or ProtExec), which is then
// refused. A page that is already populated and mapped is not an error: a
// sibling thread faulted it in first, and the thread simply retries.
//
// HandleFault returns nil when the thread should retry, a *FaultError when it
// must get SIGSEGV or SIGBUS, unix.ENOMEM when memory ran out, and any other
// error when the platform failed.
func (mm *MemoryManager) HandleFault(addr uintptr, at platform.Prot) error {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if addr < mm.minAddr || addr >= mm.maxAddr {
		return &FaultError{Signo: unix.SIGSEGV, Code: SegvMapErr, Addr: addr}
	}
	v := mm.vmaAt(addr)
	if v == nil {
		if v = mm.growStackLocked(addr); v == nil {
			return &FaultError{Signo: unix.SIGSEGV, Code: SegvMapErr, Addr: addr}
		}
	}
	eff := effectiveProt(v.prot)
	if eff == 0 || at&^eff != 0 {
		return &FaultError{Signo: unix.SIGSEGV, Code: SegvAccErr, Addr: addr}
	}
	page := pageRoundDown(addr)
	if mm.pmaAt(page) != nil {
		return nil
	}

	// The window: aligned, inside v, inside the hole around page.
	aligned := addr &^ (faultAround - 1)
	ws := max(aligned, v.start)
	we := min(aligned+faultAround, v.end)
	mm.pmas.DescendLessOrEqual(&pma{start: page}, func(p *pma) bool {
		ws = max(ws, p.end)
		return false
	})
	we = mm.nextPMAStart(page, we)

	// The faulting page and what follows it first, so that a short memory
	// file serves the fault before the read-around below it.
	_, err := mm.populate(v, page, we)
	if err == nil && ws < page {
		if _, err = mm.populate(v, ws, page); isErrno(err) {
			err = nil
		}
	}
	switch {
	case err == nil:
		return nil
	case !isErrno(err):
		return err
	case mm.pmaAt(page) != nil:
		// The page itself is there; only the window's tail failed.
		return nil
	case err == unix.EFAULT:
		return &FaultError{Signo: unix.SIGBUS, Code: BusAdrErr, Addr: addr}
	default:
		return err
	}
}

// growStackLocked extends the growsdown VMA just above addr down to addr's
// page, as Linux's expand_stack, and returns it; or returns nil if there is
// no such VMA or it may not grow that far (RLIMIT_STACK, or the guard gap
// above the mapping below).
//
// Preconditions: mm.mu is locked for writing; no VMA contains addr.
func (mm *MemoryManager) growStackLocked(addr uintptr) *vma {
	next := mm.vmaAtOrAfter(addr)
	if next == nil || !next.growsDown || next.mappable != nil {
		return nil
	}
	newStart := pageRoundDown(addr)
	if newStart < mm.minAddr || next.end-newStart > mm.stackLimit {
		return nil
	}
	if prev := mm.vmaBefore(newStart); prev != nil && !prev.growsDown && prev.prot != 0 &&
		newStart-prev.end < stackGuardGap {
		return nil
	}
	mm.vmas.Delete(next)
	next.start = newStart
	mm.vmas.ReplaceOrInsert(next)
	return next
}
