package kernel

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// SigTimedWait implements rt_sigtimedwait: it takes a pending signal of
// set (blocked or not) and returns its information, waiting up to timeout
// (< 0: for ever) for one. It fails with EAGAIN at the timeout and EINTR
// when another signal is to be delivered.
func (t *Task) SigTimedWait(set uint64, timeout time.Duration) (linux.Siginfo, error) {
	s := sigSet(set) &^ unblockable
	k := t.k
	var deadline <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	defer func() {
		k.mu.Lock()
		t.sigWaitSet = 0
		k.mu.Unlock()
	}()
	for {
		k.mu.Lock()
		if info, ok := t.dequeueLocked(s); ok {
			k.mu.Unlock()
			return info, nil
		}
		if timeout == 0 {
			k.mu.Unlock()
			return linux.Siginfo{}, unix.EAGAIN
		}
		t.sigWaitSet = s
		interrupted := t.hasDeliverableLocked() || t.killed.Load()
		k.mu.Unlock()
		if interrupted {
			return linux.Siginfo{}, unix.EINTR
		}
		select {
		case <-t.intr:
		case <-deadline:
			timeout = 0
		}
	}
}

// dequeueLocked takes the lowest pending signal of s, the thread's own
// before the process's.
//
// Preconditions: Kernel.mu is held.
func (t *Task) dequeueLocked(s sigSet) (linux.Siginfo, bool) {
	for _, p := range []*sigPending{&t.pending, &t.tg.pending} {
		ready := p.set & s
		if ready == 0 {
			continue
		}
		sig := 1
		for ready&sigBit(sig) == 0 {
			sig++
		}
		return p.take(sig), true
	}
	return linux.Siginfo{}, false
}

// wakeSigWaitersLocked wakes tg's tasks in rt_sigtimedwait for sig, which
// was just made pending (it may be blocked, so nothing else wakes them).
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) wakeSigWaitersLocked(sig int) {
	for _, o := range tg.tasks {
		if o.sigWaitSet&sigBit(sig) != 0 {
			o.Interrupt()
		}
	}
}

// QueueSignal implements rt_sigqueueinfo: it sends sig with the caller's
// information to process tg. As Linux, a process may not forge kernel or
// kill(2) information (si_code >= 0, or SI_TKILL) for another process.
// Real-time signals do not queue in Ward yet: a second one while the first
// is pending is merged, keeping the first's information.
func (t *Task) QueueSignal(tg *ThreadGroup, sig int, info *linux.Siginfo) error {
	if sig < 0 || sig > NumSignals {
		return unix.EINVAL
	}
	if (info.Code >= 0 || info.Code == linux.SI_TKILL) && tg != t.tg {
		return unix.EPERM
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
	i := *info
	i.Signo = int32(sig)
	k.signalGroupLocked(tg, sig, &i)
	return nil
}
