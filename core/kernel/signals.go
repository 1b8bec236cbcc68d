package kernel

import (
	"golang.org/x/sys/unix"
)

// NumSignals is the number of signals (1..64).
const NumSignals = 64

// Signal handler values of struct sigaction.
const (
	SigDfl = 0
	SigIgn = 1
)

// SigAction is the kernel's struct sigaction.
type SigAction struct {
	Handler  uintptr
	Flags    uint64
	Restorer uintptr
	Mask     uint64
}

// sigSet is a set of signals; bit N-1 is signal N.
type sigSet uint64

func sigBit(sig int) sigSet { return 1 << uint(sig-1) }

// unblockable are the signals no mask can block.
const unblockable = sigSet(1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1))

// sigHandlers are the dispositions of a process (shared by the threads of
// a CLONE_SIGHAND group).
type sigHandlers struct {
	act [NumSignals + 1]SigAction
}

func (h *sigHandlers) clone() *sigHandlers {
	c := *h
	return &c
}

// defaultAction is what SIG_DFL does for a signal (signal(7)).
type defaultAction int

const (
	actTerm defaultAction = iota
	actCore
	actIgnore
	actStop
	actCont
)

func defaultActionOf(sig int) defaultAction {
	switch unix.Signal(sig) {
	case unix.SIGQUIT, unix.SIGILL, unix.SIGABRT, unix.SIGFPE, unix.SIGSEGV, unix.SIGBUS,
		unix.SIGSYS, unix.SIGTRAP, unix.SIGXCPU, unix.SIGXFSZ:
		return actCore
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH:
		return actIgnore
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return actStop
	case unix.SIGCONT:
		return actCont
	}
	return actTerm
}

// SigAction implements rt_sigaction for the calling process: it returns
// the old action and installs act if not nil.
func (t *Task) SigAction(sig int, act *SigAction) (SigAction, error) {
	if sig < 1 || sig > NumSignals {
		return SigAction{}, unix.EINVAL
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	h := t.tg.handlers
	old := h.act[sig]
	if act != nil {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			return SigAction{}, unix.EINVAL
		}
		a := *act
		a.Mask &^= uint64(unblockable)
		h.act[sig] = a
		// Setting a signal to be ignored discards it if pending.
		if t.ignoredLocked(sig) {
			t.tg.pending &^= sigBit(sig)
			for _, o := range t.tg.tasks {
				o.pending &^= sigBit(sig)
			}
		}
	}
	return old, nil
}

// ignoredLocked reports whether sig would be discarded on arrival.
//
// Preconditions: Kernel.mu is held.
func (t *Task) ignoredLocked(sig int) bool {
	a := t.tg.handlers.act[sig]
	switch a.Handler {
	case SigIgn:
		return sig != int(unix.SIGKILL) && sig != int(unix.SIGSTOP)
	case SigDfl:
		return defaultActionOf(sig) == actIgnore
	}
	return false
}

// SigProcMask implements rt_sigprocmask: how is SIG_BLOCK, SIG_UNBLOCK or
// SIG_SETMASK; set may be nil to only read the mask.
func (t *Task) SigProcMask(how int, set *uint64) (uint64, error) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	old := uint64(t.sigmask)
	if set == nil {
		return old, nil
	}
	s := sigSet(*set) &^ unblockable
	switch how {
	case unix.SIG_BLOCK:
		t.sigmask |= s
	case unix.SIG_UNBLOCK:
		t.sigmask &^= s
	case unix.SIG_SETMASK:
		t.sigmask = s
	default:
		return 0, unix.EINVAL
	}
	return old, nil
}

// SigPending returns the signals pending for the task and its process.
func (t *Task) SigPending() uint64 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return uint64((t.pending | t.tg.pending) & t.sigmask)
}

// SendSignal sends sig to process tg, as kill(2) does, from a sender with
// credentials c (nil for the kernel itself). Signal 0 only checks.
func (k *Kernel) SendSignal(c *Credentials, tg *ThreadGroup, sig int) error {
	if sig < 0 || sig > NumSignals {
		return unix.EINVAL
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if c != nil && !canSignal(c, &tg.creds) {
		return unix.EPERM
	}
	if sig == 0 || tg.exiting {
		return nil
	}
	k.signalGroupLocked(tg, sig)
	return nil
}

// canSignal is kill(2)'s permission rule.
func canSignal(sender, target *Credentials) bool {
	return sender.Privileged() ||
		sender.RealUID == target.RealUID || sender.RealUID == target.SavedUID ||
		sender.EffectiveUID == target.RealUID || sender.EffectiveUID == target.SavedUID
}

// signalGroupLocked applies sig to tg.
//
// Preconditions: Kernel.mu is held; tg is not exiting.
func (k *Kernel) signalGroupLocked(tg *ThreadGroup, sig int) {
	leader := tg.leader
	if leader == nil {
		return
	}
	if sig == int(unix.SIGKILL) {
		k.killGroupLocked(tg, ExitStatus{Signo: sig})
		return
	}
	if leader.ignoredLocked(sig) {
		return
	}
	act := tg.handlers.act[sig]
	if act.Handler == SigDfl {
		switch defaultActionOf(sig) {
		case actTerm, actCore:
			// A signal blocked by every thread waits until one unblocks it.
			for _, t := range tg.tasks {
				if t.sigmask&sigBit(sig) == 0 {
					k.killGroupLocked(tg, ExitStatus{Signo: sig, Core: defaultActionOf(sig) == actCore})
					return
				}
			}
		case actStop, actCont:
			// Job control stops are not implemented yet: the signal
			// stays pending and has no effect.
			k.log.Warn("job-control stop signals are not implemented; signal left pending", "signal", sig, "pid", tg.tgid)
		}
	}
	tg.pending |= sigBit(sig)
	for _, t := range tg.tasks {
		if t.sigmask&sigBit(sig) == 0 {
			t.Interrupt()
			break
		}
	}
}

// killGroupLocked makes every task of tg exit with status st.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) killGroupLocked(tg *ThreadGroup, st ExitStatus) {
	if tg.exiting {
		return
	}
	k.log.Debug("process ends", "pid", tg.tgid, "code", st.Code, "signal", st.Signo)
	tg.exiting = true
	tg.exitStatus = st
	for _, t := range tg.tasks {
		t.kill()
	}
}

// takeFatalPendingLocked applies pending signals that became deliverable
// (after an unblock). Signals with handlers are not delivered yet: user
// handler delivery comes with the signal-frame work.
//
// Preconditions: Kernel.mu is held.
func (t *Task) applyPendingLocked() {
	deliverable := (t.pending | t.tg.pending) &^ t.sigmask
	for sig := 1; deliverable != 0 && sig <= NumSignals; sig++ {
		if deliverable&sigBit(sig) == 0 {
			continue
		}
		deliverable &^= sigBit(sig)
		act := t.tg.handlers.act[sig]
		if act.Handler != SigDfl {
			if !t.warnedHandler {
				t.warnedHandler = true
				t.k.log.Warn("signal handlers are not delivered yet; the signal stays pending", "signal", sig, "pid", t.tg.tgid)
			}
			continue
		}
		switch defaultActionOf(sig) {
		case actTerm, actCore:
			t.pending &^= sigBit(sig)
			t.tg.pending &^= sigBit(sig)
			t.k.killGroupLocked(t.tg, ExitStatus{Signo: sig, Core: defaultActionOf(sig) == actCore})
			return
		case actIgnore:
			t.pending &^= sigBit(sig)
			t.tg.pending &^= sigBit(sig)
		}
	}
}

// hasDeliverableLocked reports whether a pending, unblocked signal would
// act now (interrupting a blocking call).
//
// Preconditions: Kernel.mu is held.
func (t *Task) hasDeliverableLocked() bool {
	deliverable := (t.pending | t.tg.pending) &^ t.sigmask
	for sig := 1; deliverable != 0 && sig <= NumSignals; sig++ {
		if deliverable&sigBit(sig) == 0 {
			continue
		}
		deliverable &^= sigBit(sig)
		if t.tg.handlers.act[sig].Handler == SigDfl && defaultActionOf(sig) <= actCore {
			return true
		}
	}
	return false
}

// sigaction flags (<asm-generic/signal-defs.h>, <asm/signal.h>).
const (
	SANoCldStop = 0x00000001
	SANoCldWait = 0x00000002
	SASigInfo   = 0x00000004
	SARestorer  = 0x04000000
	SAOnStack   = 0x08000000
	SARestart   = 0x10000000
	SANoDefer   = 0x40000000
	SAResetHand = 0x80000000
)
