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
// window around addr (faultWindow bytes, clipped to the VMA and to what is
// already populated) and maps them, so that the thread can retry the access.
//
// at is the access that faulted, if the platform knows it; zero means
// unknown, and is what the caller passes for faults on pages that are not
// mapped (SEGV_MAPERR): a page that is then found populated is not an
// error (a sibling thread faulted it in first) and the thread simply
// retries. For a protection fault (SEGV_ACCERR) the caller must pass a
// nonzero access: ProtExec if the platform believes it was an instruction
// fetch, else ProtWrite. Pages shared copy-on-write after Fork are mapped
// without ProtWrite, so a protection fault on one of them in a writable
// VMA breaks the sharing (see presentFault); other protection faults are
// refused with SEGV_ACCERR.
//
// HandleFault returns nil when the thread should retry, a *FaultError when it
// must get SIGSEGV or SIGBUS, unix.ENOMEM when memory ran out, and any other
// error when the platform failed.
func (mm *MemoryManager) HandleFault(addr uintptr, at platform.Prot) (err error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	if addr < mm.minAddr || addr >= mm.maxAddr {
		// Outside the user range (the platform's own pages, the
		// vsyscall page): the host's verdict stands.
		code := int32(SegvMapErr)
		if at != 0 {
			code = SegvAccErr
		}
		return &FaultError{Signo: unix.SIGSEGV, Code: code, Addr: addr}
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
	if p := mm.pmaAt(page); p != nil {
		return mm.presentFault(v, p, addr, at)
	}

	// The window: aligned, inside v, inside the hole around page; or,
	// for a fault that continues a sequential run on private anonymous
	// memory (a heap or arena filled from its start), a window starting at
	// page, twice the last one.
	window := faultWindow(v)
	aligned := addr &^ (window - 1)
	ws := max(aligned, v.start)
	we := min(aligned+window, v.end)
	if v.mappable == nil {
		if page == mm.seqNext {
			mm.seqWindow = min(2*mm.seqWindow, maxSeqFaultAround)
			ws, we = page, min(page+mm.seqWindow, v.end)
		} else {
			mm.seqWindow = window
		}
	}
	mm.pmas.DescendLessOrEqual(&pma{start: page}, func(p *pma) bool {
		ws = max(ws, p.end)
		return false
	})
	we = mm.nextPMAStart(page, we)

	// The faulting page and what follows it first, so that a short memory
	// file serves the fault before the read-around below it.
	_, err = mm.populate(v, page, we)
	if err == nil && ws < page {
		if _, err = mm.populate(v, ws, page); isErrno(err) {
			err = nil
		}
	}
	if v.mappable == nil && err == nil {
		mm.seqNext = we
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

// faultWindow returns the size of the aligned window HandleFault populates
// around a fault on an unpopulated page of v: fileFaultAround in a file
// mapping without ProtWrite, whose pages are the page cache's and cost no
// copy (a private mapping maps them copy-on-write), and faultAround
// elsewhere: in anonymous memory, whose pages are new, and in writable file
// mappings, whose pages a private mapping copies.
func faultWindow(v *vma) uintptr {
	if v.mappable != nil && !v.anonymous && v.prot&platform.ProtWrite == 0 {
		return fileFaultAround
	}
	return faultAround
}

// presentFault handles a fault on a page that is populated, and so mapped
// unless a sibling thread raced with the fault: p is its PMA, v its VMA,
// and at (the access the platform reports, or zero) is allowed by v.
//
// A protection fault (at nonzero) on a cow page of a writable VMA is a
// write: the platform maps such pages read-only, and reads and (in an
// executable VMA) executions are allowed by that mapping, while an
// execution in a VMA without ProtExec was refused by HandleFault already.
// The platform's guess of the access does not have to be right:
// HandleFault breaks the sharing of the window around addr and the
// thread retries. A protection fault on a page that is not cow is
// genuine only if v refuses some access the platform could have
// misreported: a reported ProtExec in an executable, non-writable VMA can
// only have been a write.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) presentFault(v *vma, p *pma, addr uintptr, at platform.Prot) error {
	if at == 0 {
		// A not-present fault that a sibling thread served first.
		return nil
	}
	if p.cow && v.prot&platform.ProtWrite != 0 && at&^platform.ProtRead != 0 {
		aligned := addr &^ (faultAround - 1)
		ws := max(aligned, v.start)
		we := min(aligned+faultAround, v.end)
		err := mm.breakCOW(ws, we)
		switch {
		case err == nil:
			return nil
		case !isErrno(err):
			return err
		case !mm.pmaAt(pageRoundDown(addr)).cow:
			// The faulting page itself was copied.
			return nil
		default:
			return err
		}
	}
	if at&platform.ProtExec != 0 && v.prot&platform.ProtWrite == 0 {
		return &FaultError{Signo: unix.SIGSEGV, Code: SegvAccErr, Addr: addr}
	}
	// The access is allowed by the mapping as it is now: the page was
	// remapped (COW broken, mprotect) after the fault.
	return nil
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
