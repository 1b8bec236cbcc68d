package kernel

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// CPU-time interval timers: setitimer(2)'s ITIMER_VIRTUAL, which counts the
// process's user time and sends SIGVTALRM, and ITIMER_PROF, which counts
// user and system time and sends SIGPROF.
//
// A task's time is charged when its step ends (chargeCPU): the time in
// Context.Switch is user time, the rest of the step (serving the system
// call or fault) system time. A thread that computes without stopping
// would never end its step, so while a CPU timer is armed each Switch arms
// a wall-clock timer for the time the nearest CPU timer has left; when it
// fires it interrupts the Switch (platform.Context.Interrupt), the step
// ends, is charged, and the signal goes out. With several threads running
// at once the process's CPU time runs faster than the clock and the signal
// comes late by up to that factor; Linux is exact.
//
// As on Linux, fork does not inherit the timers, exec keeps them, and they
// stop with the process. Guarded by Kernel.mu, like the other timers.

// cpuTimer is one CPU-time interval timer.
type cpuTimer struct {
	left     time.Duration // CPU time until it expires; 0: disarmed
	interval time.Duration
}

// cpuTimerLocked returns the process's ITIMER_VIRTUAL or ITIMER_PROF timer.
//
// Preconditions: Kernel.mu is held; which is one of them.
func (tg *ThreadGroup) cpuTimerLocked(which int) *cpuTimer {
	ts := tg.timersLocked()
	if which == ITimerVirtual {
		return &ts.virt
	}
	return &ts.prof
}

// setCPUTimer implements setitimer(2) for ITIMER_VIRTUAL and ITIMER_PROF.
func (t *Task) setCPUTimer(which int, value, interval time.Duration) (time.Duration, time.Duration) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	ct := t.tg.cpuTimerLocked(which)
	ov, oi := ct.left, ct.interval
	ct.left, ct.interval = value, interval
	if value == 0 {
		ct.interval = 0
	}
	ts := t.tg.timers
	t.tg.cpuTimersArmed.Store(ts.virt.left > 0 || ts.prof.left > 0)
	return ov, oi
}

// getCPUTimer implements getitimer(2) for ITIMER_VIRTUAL and ITIMER_PROF.
func (t *Task) getCPUTimer(which int) (time.Duration, time.Duration) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if t.tg.timers == nil {
		return 0, 0
	}
	ct := t.tg.cpuTimerLocked(which)
	return ct.left, ct.interval
}

// cpuTimerDeadline returns the CPU time the nearest armed CPU timer has
// left, and false if none is armed.
func (t *Task) cpuTimerDeadline() (time.Duration, bool) {
	if !t.tg.cpuTimersArmed.Load() {
		return 0, false
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	ts := t.tg.timers
	if ts == nil {
		return 0, false
	}
	left := time.Duration(0)
	for _, ct := range []*cpuTimer{&ts.virt, &ts.prof} {
		if ct.left > 0 && (left == 0 || ct.left < left) {
			left = ct.left
		}
	}
	return left, left > 0
}

// chargeCPU charges user and system time to the process's CPU timers and
// sends the signals of those that expire.
func (t *Task) chargeCPU(user, system time.Duration) {
	if !t.tg.cpuTimersArmed.Load() {
		return
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := t.tg
	ts := tg.timers
	if ts == nil || tg.exiting {
		return
	}
	for _, c := range []struct {
		ct   *cpuTimer
		used time.Duration
		sig  unix.Signal
	}{{&ts.virt, user, unix.SIGVTALRM}, {&ts.prof, user + system, unix.SIGPROF}} {
		if c.ct.left == 0 {
			continue
		}
		c.ct.left -= c.used
		if c.ct.left > 0 {
			continue
		}
		if c.ct.interval > 0 {
			// Expirations missed meanwhile are not counted, as on
			// Linux, where the signal is pending once.
			c.ct.left = c.ct.interval - (-c.ct.left)%c.ct.interval
		} else {
			c.ct.left = 0
		}
		info := linux.Siginfo{Signo: int32(c.sig), Code: linux.SI_KERNEL}
		k.signalGroupLocked(tg, int(c.sig), &info)
	}
	tg.cpuTimersArmed.Store(ts.virt.left > 0 || ts.prof.left > 0)
}
