package kernel

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
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
			t.tg.pending.drop(sigBit(sig))
			for _, o := range t.tg.tasks {
				o.pending.drop(sigBit(sig))
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
	return uint64((t.pending.set | t.tg.pending.set) & t.sigmask)
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
	info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_USER}
	if c != nil {
		info.SetUID(c.RealUID)
	}
	k.signalGroupLocked(tg, sig, &info)
	return nil
}

// SendSignalFrom is SendSignal with the sender's PID recorded in the
// signal's information (kill(2) from a task).
func (t *Task) SendSignalTo(tg *ThreadGroup, sig int) error {
	if sig < 0 || sig > NumSignals {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if !canSignal(&t.tg.creds, &tg.creds) {
		return unix.EPERM
	}
	if sig == 0 || tg.exiting {
		return nil
	}
	info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_USER}
	info.SetPID(t.tg.tgid)
	info.SetUID(t.tg.creds.RealUID)
	k.signalGroupLocked(tg, sig, &info)
	return nil
}

// SendSignalToThread implements tgkill and tkill: sig is directed at
// target alone, with SI_TKILL information naming the sender.
func (t *Task) SendSignalToThread(target *Task, sig int) error {
	info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_TKILL}
	return t.signalThread(target, sig, &info)
}

// QueueSignalToThread implements rt_tgsigqueueinfo: as QueueSignal, but
// directed at target.
func (t *Task) QueueSignalToThread(target *Task, sig int, info *linux.Siginfo) error {
	if (info.Code >= 0 || info.Code == linux.SI_TKILL) && target.tg != t.tg {
		return unix.EPERM
	}
	i := *info
	i.Signo = int32(sig)
	return t.signalThread(target, sig, &i)
}

// signalThread sends sig with info to target, checking permission and
// that the target still lives (ESRCH).
func (t *Task) signalThread(target *Task, sig int, info *linux.Siginfo) error {
	if sig < 0 || sig > NumSignals {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pids.tasks[target.tid] != target {
		return unix.ESRCH
	}
	if !canSignal(&t.tg.creds, &target.tg.creds) {
		return unix.EPERM
	}
	if sig == 0 || target.tg.exiting {
		return nil
	}
	if info.Code == linux.SI_TKILL {
		info.SetPID(t.tg.tgid)
		info.SetUID(t.tg.creds.RealUID)
	}
	k.signalThreadLocked(target, sig, info)
	return nil
}

// canSignal is kill(2)'s permission rule.
func canSignal(sender, target *Credentials) bool {
	return sender.Privileged() ||
		sender.RealUID == target.RealUID || sender.RealUID == target.SavedUID ||
		sender.EffectiveUID == target.RealUID || sender.EffectiveUID == target.SavedUID
}

// signalGroupLocked applies sig to tg (a process-directed signal).
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) signalGroupLocked(tg *ThreadGroup, sig int, info *linux.Siginfo) {
	k.sendSignalLocked(tg, nil, sig, info)
}

// signalThreadLocked applies sig to task t alone (tgkill, SIGEV_THREAD_ID):
// it is pending for t only, and only t's mask decides whether it waits.
// Default actions still act on the whole process.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) signalThreadLocked(t *Task, sig int, info *linux.Siginfo) {
	if _, live := t.tg.tasks[t.tid]; !live {
		return
	}
	k.sendSignalLocked(t.tg, t, sig, info)
}

// stopSignals are the job-control stop signals.
const stopSignals = sigSet(1<<(unix.SIGSTOP-1) | 1<<(unix.SIGTSTP-1) | 1<<(unix.SIGTTIN-1) | 1<<(unix.SIGTTOU-1))

// sendSignalLocked generates sig for tg, directed at target when it is not
// nil (Linux's send_signal and complete_signal): job-control side effects
// happen at once, a signal whose default action ends or stops the process
// acts at once when some thread that may receive it does not block it,
// and anything else becomes pending and wakes a thread that can take it.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) sendSignalLocked(tg *ThreadGroup, target *Task, sig int, info *linux.Siginfo) {
	leader := tg.leader
	if leader == nil || tg.exiting {
		return
	}
	if sig == int(unix.SIGKILL) {
		k.killGroupLocked(tg, ExitStatus{Signo: sig})
		return
	}
	// Job control (prepare_signal): a stop signal discards a pending
	// SIGCONT; SIGCONT discards pending stops and resumes a stopped
	// process, whatever its disposition.
	switch {
	case stopSignals&sigBit(sig) != 0:
		tg.discardPendingLocked(sigBit(int(unix.SIGCONT)))
	case sig == int(unix.SIGCONT):
		tg.discardPendingLocked(stopSignals)
		k.continueGroupLocked(tg)
	}
	// An ignored signal is dropped, unless it is blocked: the handler
	// may change before it is unblocked, and sigwait/signalfd may take it
	// (Linux's sig_ignored).
	blocker := leader
	if target != nil {
		blocker = target
	}
	if leader.ignoredLocked(sig) && blocker.sigmask&sigBit(sig) == 0 {
		return
	}
	// wants reports whether a thread may take the signal now.
	wants := func(t *Task) bool { return t.sigmask&sigBit(sig) == 0 && !t.killed.Load() }
	taker := target
	if taker == nil {
		// Prefer the main thread, as Linux does, then any other.
		if _, live := tg.tasks[leader.tid]; live && wants(leader) {
			taker = leader
		} else {
			for _, t := range tg.tasks {
				if wants(t) {
					taker = t
					break
				}
			}
		}
	} else if !wants(target) {
		taker = nil
	}
	act := tg.handlers.act[sig]
	if act.Handler == SigDfl && taker != nil {
		switch defaultActionOf(sig) {
		case actTerm, actCore:
			k.killGroupLocked(tg, ExitStatus{Signo: sig, Core: defaultActionOf(sig) == actCore})
			return
		case actStop:
			if k.discardStopLocked(tg, sig) {
				return
			}
			k.stopGroupLocked(tg, sig)
			return
		}
	}
	pending := &tg.pending
	if target != nil {
		pending = &target.pending
	}
	pending.add(sig, info)
	if target != nil {
		if target.sigWaitSet&sigBit(sig) != 0 {
			target.Interrupt()
		}
	} else {
		tg.wakeSigWaitersLocked(sig) // rt_sigtimedwait (signal_wait.go)
	}
	tg.notifySignalWatchersLocked() // signalfd (signal_watch.go)
	if taker != nil {
		taker.Interrupt()
	}
}

// discardPendingLocked drops the signals of set pending for tg or any of
// its threads.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) discardPendingLocked(set sigSet) {
	tg.pending.drop(set)
	for _, t := range tg.tasks {
		t.pending.drop(set)
	}
}

// discardStopLocked reports whether sig, a stop signal whose default action
// is about to stop tg, is discarded instead: SIGTSTP, SIGTTIN and SIGTTOU
// are, as on Linux, when tg's process group is orphaned, for nobody would
// be there to continue it. SIGSTOP always stops.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) discardStopLocked(tg *ThreadGroup, sig int) bool {
	return sig != int(unix.SIGSTOP) && k.orphanedPgrpLocked(tg.pgid)
}

// orphanedPgrpLocked reports whether the process group pgid is orphaned
// (POSIX): no member has a parent in another process group of the same
// session, the parent that job control would let continue it. Init has no
// parent in the sandbox, so a group of init alone is orphaned.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) orphanedPgrpLocked(pgid int32) bool {
	for _, g := range k.pids.groups {
		if g.pgid != pgid || g.zombie {
			continue
		}
		if p := g.parent; p != nil && p.pgid != pgid && p.sid == g.sid {
			return false
		}
	}
	return true
}

// stopGroupLocked stops every thread of tg for sig (a job-control stop):
// each thread parks before it next returns to application code (a thread
// blocked in a system call parks when the call ends), the parent can see
// the stop with WUNTRACED, and gets SIGCHLD with CLD_STOPPED unless it set
// SA_NOCLDSTOP.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) stopGroupLocked(tg *ThreadGroup, sig int) {
	if tg.exiting || tg.stopped {
		return
	}
	k.log.Debug("process stops", "pid", tg.tgid, "signal", sig)
	tg.stopped = true
	tg.stopSig = sig
	tg.stopReport = waitStopped
	tg.contCh = make(chan struct{})
	for _, t := range tg.tasks {
		t.Interrupt()
	}
	k.notifyParentStopLocked(tg, linux.CLD_STOPPED, int32(sig))
}

// continueGroupLocked resumes a stopped tg (SIGCONT).
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) continueGroupLocked(tg *ThreadGroup) {
	if !tg.stopped {
		return
	}
	k.log.Debug("process continues", "pid", tg.tgid)
	tg.stopped = false
	close(tg.contCh)
	tg.contCh = nil
	tg.stopReport = waitContinued
	k.notifyParentStopLocked(tg, linux.CLD_CONTINUED, int32(unix.SIGCONT))
}

// notifyParentStopLocked tells tg's parent that tg stopped or continued:
// SIGCHLD (unless the parent's SIGCHLD action has SA_NOCLDSTOP) and a
// wake-up of its waiters.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) notifyParentStopLocked(tg *ThreadGroup, code int32, status int32) {
	p := tg.parent
	if p == nil || p.exiting {
		return
	}
	if p.handlers.act[unix.SIGCHLD].Flags&SANoCldStop == 0 {
		info := linux.Siginfo{Signo: int32(unix.SIGCHLD), Code: code}
		info.SetPID(tg.tgid)
		info.SetUID(tg.creds.RealUID)
		info.SetStatus(status)
		k.signalGroupLocked(p, int(unix.SIGCHLD), &info)
	}
	k.wakeWaitersLocked(p)
}

// waitWhileStopped parks the task while its process is stopped by a
// job-control signal; it reports whether it parked.
//
// Preconditions: called on the task's goroutine; Kernel.mu is not held.
func (t *Task) waitWhileStopped() bool {
	parked := false
	for {
		t.k.mu.Lock()
		ch := t.tg.contCh
		stopped := t.tg.stopped
		t.k.mu.Unlock()
		if !stopped || t.killed.Load() {
			return parked
		}
		parked = true
		select {
		case <-ch:
		case <-t.intr:
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
	if tg.stopped {
		// A killed process does not stay stopped.
		tg.stopped = false
		close(tg.contCh)
		tg.contCh = nil
		tg.stopReport = 0
	}
	for _, t := range tg.tasks {
		t.kill()
	}
}

// signalAction is what the task must do about its next signal.
type signalAction struct {
	sig  int
	act  SigAction
	info linux.Siginfo
	// handler is true to run act's handler; otherwise the signal's
	// default action already ended the process (or was nothing).
	handler bool
}

// nextSignalLocked takes the first deliverable pending signal: one with a
// handler is returned for delivery; a fatal default action kills the
// process; an ignored one is dropped.
//
// Preconditions: Kernel.mu is held.
func (t *Task) nextSignalLocked() (signalAction, bool) {
	for {
		deliverable := (t.pending.set | t.tg.pending.set) &^ t.sigmask
		if deliverable == 0 {
			return signalAction{}, false
		}
		sig := 1
		for deliverable&sigBit(sig) == 0 {
			sig++
		}
		var info linux.Siginfo
		if t.pending.has(sig) {
			info = t.pending.take(sig)
		} else {
			info = t.tg.pending.take(sig)
		}
		act := t.tg.handlers.act[sig]
		switch act.Handler {
		case SigIgn:
			continue
		case SigDfl:
			switch defaultActionOf(sig) {
			case actTerm, actCore:
				t.k.killGroupLocked(t.tg, ExitStatus{Signo: sig, Core: defaultActionOf(sig) == actCore})
				return signalAction{sig: sig}, true
			case actStop:
				// A stop that waited, blocked, until now.
				if t.k.discardStopLocked(t.tg, sig) {
					continue
				}
				t.k.stopGroupLocked(t.tg, sig)
				return signalAction{sig: sig}, true
			default:
				// Ignored by default; SIGCONT already acted when
				// it was sent.
				continue
			}
		}
		return signalAction{sig: sig, act: act, info: info, handler: true}, true
	}
}

// handleSignals delivers pending signals before the task returns to
// application code.
//
// Preconditions: called on the task's goroutine; Kernel.mu is not held.
func (t *Task) handleSignals() {
	t.k.mu.Lock()
	sa, ok := t.nextSignalLocked()
	oldMask := t.sigmask
	if t.hasSavedMask {
		// After sigsuspend: the handler runs with the suspend mask,
		// and sigreturn (or this) restores the one from before.
		oldMask = t.savedMask
		if !ok || !sa.handler {
			t.sigmask = t.savedMask
		}
		t.hasSavedMask = false
	}
	t.k.mu.Unlock()
	if !ok || !sa.handler {
		return
	}
	if !t.deliverSignal(sa.sig, sa.act, &sa.info, oldMask) {
		t.k.mu.Lock()
		t.k.killGroupLocked(t.tg, ExitStatus{Signo: int(unix.SIGSEGV), Core: true})
		t.k.mu.Unlock()
	}
}

// hasDeliverableLocked reports whether a pending, unblocked signal would
// act now (interrupting a blocking call): one with a handler, or a fatal
// default action.
//
// Preconditions: Kernel.mu is held.
func (t *Task) hasDeliverableLocked() bool {
	_, ok := t.firstDeliverableLocked()
	return ok
}

// firstDeliverableLocked returns the action of the signal that would act
// next, without taking it.
//
// Preconditions: Kernel.mu is held.
func (t *Task) firstDeliverableLocked() (SigAction, bool) {
	deliverable := (t.pending.set | t.tg.pending.set) &^ t.sigmask
	for sig := 1; deliverable != 0 && sig <= NumSignals; sig++ {
		if deliverable&sigBit(sig) == 0 {
			continue
		}
		deliverable &^= sigBit(sig)
		act := t.tg.handlers.act[sig]
		switch {
		case act.Handler == SigIgn:
		case act.Handler == SigDfl && defaultActionOf(sig) > actCore:
		default:
			return act, true
		}
	}
	return SigAction{}, false
}

// restartSyscall reports whether a system call interrupted by a signal
// restarts after the handler (SA_RESTART) rather than failing with EINTR.
func (t *Task) restartSyscall() bool {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	act, ok := t.firstDeliverableLocked()
	return ok && act.Handler != SigDfl && act.Flags&SARestart != 0
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

// SigSuspend implements rt_sigsuspend: it replaces the signal mask with
// mask until a signal is delivered, and returns EINTR (ERESTARTNOHAND in
// Linux: never restarted). The handler's frame saves the mask from before
// the call, so sigreturn restores it.
func (t *Task) SigSuspend(mask uint64) error {
	t.k.mu.Lock()
	t.savedMask = t.sigmask
	t.hasSavedMask = true
	t.sigmask = sigSet(mask) &^ unblockable
	t.k.mu.Unlock()
	for {
		if t.CheckInterrupt() {
			return unix.EINTR
		}
		<-t.intr
	}
}
