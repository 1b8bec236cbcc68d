package kernel

import (
	"encoding/binary"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// The x86-64 signal frame (arch/x86/include/asm/sigframe.h and
// <asm/sigcontext.h>, <asm/ucontext.h>), as Ward builds it on the user
// stack:
//
//	rt_sigframe {
//	    pretcode   8     the handler returns here: sa_restorer
//	    ucontext   304   uc_flags, uc_link, uc_stack (24), uc_mcontext
//	                     (struct sigcontext, 256), uc_sigmask
//	    siginfo    128
//	}
//
// and, above it and 64-byte aligned, the thread's FP state (the platform's
// XSAVE image; its software-reserved bytes are zero, so user code sees a
// plain fpstate without the xstate extension).
const (
	ucOff         = 8
	ucStackOff    = ucOff + 16
	ucMcontextOff = ucOff + 40
	ucSigmaskOff  = ucMcontextOff + 256
	infoOff       = ucOff + 304
	frameSize     = infoOff + 128

	// Offsets in struct sigcontext.
	scR8      = 0
	scRsp     = 15 * 8
	scRip     = 16 * 8
	scEflags  = 17 * 8
	scCsGsFs  = 18 * 8 // cs, gs, fs, ss: four u16
	scErr     = 19 * 8
	scTrapno  = 20 * 8
	scOldmask = 21 * 8
	scCr2     = 22 * 8
	scFpstate = 23 * 8

	ucSigcontextSS = 0x2
	redZone        = 128
	fxsaveSWOff    = 464 // software-reserved bytes of the FXSAVE area
	fxsaveSize     = 512
)

// sigcontext register order: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx,
// rsp, rip, eflags.
func gprs(r *platform.Registers) [18]*uint64 {
	return [18]*uint64{&r.R8, &r.R9, &r.R10, &r.R11, &r.R12, &r.R13, &r.R14, &r.R15,
		&r.Rdi, &r.Rsi, &r.Rbp, &r.Rbx, &r.Rdx, &r.Rax, &r.Rcx, &r.Rsp, &r.Rip, &r.Eflags}
}

// deliverSignal runs the handler act for sig: it saves the thread's state
// in a frame on the user stack (or the alternate signal stack) and points
// the registers at the handler. It returns false when the frame cannot be
// written (the caller then kills the process with SIGSEGV, as Linux does).
//
// Preconditions: called on the task's goroutine; Kernel.mu is not held.
func (t *Task) deliverSignal(sig int, act SigAction, info *linux.Siginfo, oldMask sigSet) bool {
	m := t.MM()
	r := &t.state.Regs

	t.mu.Lock()
	alt := t.altStack
	t.mu.Unlock()
	sp := r.Rsp
	onAlt := alt.Size != 0 && sp > alt.Sp && sp <= alt.Sp+alt.Size
	if act.Flags&SAOnStack != 0 && alt.Size != 0 && !onAlt {
		sp = alt.Sp + alt.Size
	} else {
		sp -= redZone
	}

	fp := t.state.FP
	if len(fp) < fxsaveSize {
		fp = make([]byte, fxsaveSize)
		binary.LittleEndian.PutUint16(fp[0:], 0x37f)   // FCW: the initial x87 control word
		binary.LittleEndian.PutUint32(fp[24:], 0x1f80) // MXCSR
		binary.LittleEndian.PutUint32(fp[28:], 0xffff) // MXCSR mask
	}
	fpCopy := append([]byte(nil), fp...)
	clear(fpCopy[fxsaveSWOff:fxsaveSize])
	fpAddr := (sp - uint64(len(fpCopy))) &^ 63
	frame := ((fpAddr - frameSize) &^ 15) - 8

	var f [frameSize]byte
	le := binary.LittleEndian
	le.PutUint64(f[0:], uint64(act.Restorer))
	le.PutUint64(f[ucOff:], ucSigcontextSS)
	le.PutUint64(f[ucStackOff:], alt.Sp)
	flags := uint32(0)
	if alt.Size == 0 {
		flags = SSDisable
	} else if onAlt {
		flags = SSOnStack
	}
	le.PutUint32(f[ucStackOff+8:], flags)
	le.PutUint64(f[ucStackOff+16:], alt.Size)
	sc := f[ucMcontextOff:]
	for i, p := range gprs(r) {
		le.PutUint64(sc[scR8+8*i:], *p)
	}
	le.PutUint16(sc[scCsGsFs:], uint16(r.Cs))
	le.PutUint16(sc[scCsGsFs+6:], uint16(r.Ss))
	if info.Signo == int32(unix.SIGSEGV) || info.Signo == int32(unix.SIGBUS) {
		le.PutUint64(sc[scCr2:], info.Addr())
		le.PutUint64(sc[scTrapno:], 14) // page fault
	}
	le.PutUint64(sc[scOldmask:], uint64(oldMask))
	le.PutUint64(sc[scFpstate:], fpAddr)
	le.PutUint64(f[ucSigmaskOff:], uint64(oldMask))
	info.MarshalBytes(f[infoOff:])

	if _, err := m.CopyOut(uintptr(fpAddr), fpCopy); err != nil {
		return false
	}
	if _, err := m.CopyOut(uintptr(frame), f[:]); err != nil {
		return false
	}

	r.Rsp = frame
	r.Rip = uint64(act.Handler)
	r.Rdi = uint64(sig)
	r.Rsi = frame + infoOff
	r.Rdx = frame + ucOff
	r.Rax = 0
	r.Eflags &^= 0x100 | 0x400 // TF, DF: handlers start with both clear
	// The handler starts with a fresh FP state, as on Linux.
	t.state.FP = nil

	t.k.mu.Lock()
	mask := t.sigmask | sigSet(act.Mask)
	if act.Flags&SANoDefer == 0 {
		mask |= sigBit(sig)
	}
	t.sigmask = mask &^ unblockable
	if act.Flags&SAResetHand != 0 {
		t.tg.handlers.act[sig] = SigAction{}
	}
	t.k.mu.Unlock()
	if act.Flags&SAOnStack != 0 && alt.Flags&SSAutoDisarm != 0 {
		t.mu.Lock()
		t.altStack = SignalStack{}
		t.mu.Unlock()
	}
	return true
}

// SigReturn implements rt_sigreturn: it restores the state saved by
// deliverSignal from the frame the handler returned through.
func (t *Task) SigReturn() error {
	m := t.MM()
	r := &t.state.Regs
	frame := uintptr(r.Rsp - 8) // the handler's ret popped pretcode
	var f [frameSize]byte
	if _, err := m.CopyIn(frame, f[:]); err != nil {
		t.forceSignal(int(unix.SIGSEGV))
		return ErrNoReturn
	}
	le := binary.LittleEndian
	sc := f[ucMcontextOff:]
	saved := *r
	for i, p := range gprs(&saved) {
		*p = le.Uint64(sc[scR8+8*i:])
	}
	// Only the flags user code may change come back (AC, OF, DF, TF,
	// SF, ZF, AF, PF, CF, ID, RF).
	const userFlags = 0x40dd5 | 0x200000 | 0x10000
	saved.Eflags = r.Eflags&^userFlags | saved.Eflags&userFlags
	saved.Orig_rax = ^uint64(0) // no syscall to restart by accident
	fpAddr := le.Uint64(sc[scFpstate:])
	var fp []byte
	if fpAddr != 0 {
		n := len(t.state.FP)
		if n < fxsaveSize {
			n = fxsaveSize
		}
		fp = make([]byte, n)
		if _, err := m.CopyIn(uintptr(fpAddr), fp); err != nil {
			t.forceSignal(int(unix.SIGSEGV))
			return ErrNoReturn
		}
	}
	*r = saved
	t.state.FP = fp
	mask := sigSet(le.Uint64(f[ucSigmaskOff:])) &^ unblockable
	t.k.mu.Lock()
	t.sigmask = mask
	t.k.mu.Unlock()
	return ErrNoReturn
}
