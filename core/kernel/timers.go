package kernel

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// Timers: alarm(2), setitimer(2)'s ITIMER_REAL and POSIX timers
// (timer_create(2)). Each is a Go timer whose callback takes Kernel.mu,
// counts the expirations that passed and sends the timer's signal through
// the kernel's signal path. All timer state is guarded by Kernel.mu, so
// timers add no lock of their own.
//
// Lifetime, as on Linux: fork does not inherit timers; execve deletes
// POSIX timers but keeps ITIMER_REAL (and so alarm); process exit stops
// them all.
//
// ITIMER_VIRTUAL and ITIMER_PROF count CPU time (cpu_timers.go). Not
// implemented: POSIX timers on CPU-time clocks (EINVAL). SIGEV_THREAD_ID
// delivers to the named thread.

// Interval timer kinds (setitimer(2)).
const (
	ITimerReal    = 0
	ITimerVirtual = 1
	ITimerProf    = 2
)

// timer_settime flags.
const TimerAbstime = 1

// maxTimerOverrun is DELAYTIMER_MAX: overrun counts saturate at it.
const maxTimerOverrun = 1<<31 - 1

// maxPosixTimers bounds the POSIX timers of one process (Linux bounds them
// by RLIMIT_SIGPENDING).
const maxPosixTimers = 1 << 15

// SigEvent is the part of struct sigevent a timer uses.
type SigEvent struct {
	Value  uint64
	Signo  int32
	Notify int32
	TID    int32
}

// processTimers are a process's timers. Guarded by Kernel.mu.
type processTimers struct {
	real *kTimer
	// virt and prof are ITIMER_VIRTUAL and ITIMER_PROF (cpu_timers.go).
	virt, prof cpuTimer
	posix      map[int32]*kTimer
	// nextID is where the search for a free POSIX timer ID starts.
	nextID int32
}

// kTimer is one timer. Guarded by Kernel.mu.
type kTimer struct {
	tg *ThreadGroup

	// id is the POSIX timer ID (-1 for ITIMER_REAL); ev says what an
	// expiration does; clock is the clock it was created on.
	id    int32
	clock int32
	ev    SigEvent
	// target is the thread of SIGEV_THREAD_ID.
	target *Task

	// deadline is when the timer next expires (zero: disarmed);
	// interval its period (0: one-shot).
	deadline time.Time
	interval time.Duration

	// timer is the Go timer of the next expiration; gen tells a stale
	// callback (one that fired just as the timer was reset) to do
	// nothing.
	timer *time.Timer
	gen   uint64

	// overrun counts expirations whose signal was not queued because
	// the previous one was still pending.
	overrun int64
}

// timersLocked returns tg's timers, creating them.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) timersLocked() *processTimers {
	if tg.timers == nil {
		tg.timers = &processTimers{posix: map[int32]*kTimer{}}
	}
	return tg.timers
}

// stopLocked disarms kt.
//
// Preconditions: Kernel.mu is held.
func (kt *kTimer) stopLocked() {
	kt.gen++
	if kt.timer != nil {
		kt.timer.Stop()
		kt.timer = nil
	}
	kt.deadline = time.Time{}
}

// setLocked arms kt to expire after value (0: disarm) and then every
// interval, and returns the previous setting.
//
// Preconditions: Kernel.mu is held.
func (kt *kTimer) setLocked(value, interval time.Duration) (oldValue, oldInterval time.Duration) {
	now := time.Now()
	oldValue, oldInterval = kt.getLocked(now)
	kt.stopLocked()
	if value == 0 {
		kt.interval = 0
		return
	}
	if value < 0 {
		value = 0 // an absolute time in the past: expire at once
	}
	kt.interval = interval
	kt.deadline = now.Add(value)
	kt.scheduleLocked(now)
	return
}

// getLocked returns the time until the next expiration and the interval.
//
// Preconditions: Kernel.mu is held.
func (kt *kTimer) getLocked(now time.Time) (value, interval time.Duration) {
	if kt.deadline.IsZero() {
		return 0, kt.interval
	}
	left := kt.deadline.Sub(now)
	if left <= 0 {
		left = time.Nanosecond
	}
	return left, kt.interval
}

// scheduleLocked starts the Go timer for the deadline.
//
// Preconditions: Kernel.mu is held; kt is armed.
func (kt *kTimer) scheduleLocked(now time.Time) {
	gen := kt.gen
	kt.timer = time.AfterFunc(kt.deadline.Sub(now), func() { kt.fire(gen) })
}

// fire runs when the Go timer expires.
func (kt *kTimer) fire(gen uint64) {
	k := kt.tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if gen != kt.gen || kt.deadline.IsZero() {
		return
	}
	now := time.Now()
	if now.Before(kt.deadline) {
		kt.scheduleLocked(now)
		return
	}
	n := int64(1)
	if kt.interval > 0 {
		n += int64(now.Sub(kt.deadline) / kt.interval)
		kt.deadline = kt.deadline.Add(time.Duration(n) * kt.interval)
		kt.scheduleLocked(now)
	} else {
		kt.deadline = time.Time{}
		kt.timer = nil
	}
	kt.expireLocked(n)
}

// expireLocked sends kt's signal for n expirations.
//
// Preconditions: Kernel.mu is held.
func (kt *kTimer) expireLocked(n int64) {
	tg := kt.tg
	if tg.exiting || kt.ev.Notify == linux.SIGEV_NONE {
		return
	}
	sig := int(kt.ev.Signo)
	if kt.id < 0 {
		// ITIMER_REAL: SIGALRM from the kernel.
		if tg.pending.has(sig) {
			return
		}
		info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_KERNEL}
		tg.k.signalGroupLocked(tg, sig, &info)
		return
	}
	// A POSIX timer's signal is queued once; expirations while it is
	// pending are counted as overruns in the pending siginfo. A standard
	// signal pending for another reason takes the expiration too.
	pending := &tg.pending
	if kt.target != nil {
		pending = &kt.target.pending
	}
	if pi := pending.find(sig, func(i *linux.Siginfo) bool {
		return i.Code == linux.SI_TIMER && timerIDOf(i) == kt.id
	}); pi != nil {
		kt.overrun = min(kt.overrun+n, maxTimerOverrun)
		pi.SetOverrun(int32(kt.overrun))
		return
	}
	if pending.has(sig) && sig < sigRTMin {
		return
	}
	kt.overrun = min(n-1, maxTimerOverrun)
	info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_TIMER}
	info.SetTimerID(kt.id)
	info.SetOverrun(int32(kt.overrun))
	info.SetValue(kt.ev.Value)
	if kt.target == nil {
		tg.k.signalGroupLocked(tg, sig, &info)
		return
	}
	tg.k.signalThreadLocked(kt.target, sig, &info)
}

// timerIDOf reads si_timerid back from a siginfo.
func timerIDOf(info *linux.Siginfo) int32 {
	b := info.Fields[:4]
	return int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}

// execTimersLocked deletes the POSIX timers at execve; ITIMER_REAL
// survives.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) execTimersLocked() {
	if tg.timers == nil {
		return
	}
	for id, kt := range tg.timers.posix {
		kt.stopLocked()
		delete(tg.timers.posix, id)
	}
}

// stopTimersLocked stops every timer of an exiting process.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) stopTimersLocked() {
	if tg.timers == nil {
		return
	}
	if tg.timers.real != nil {
		tg.timers.real.stopLocked()
	}
	tg.timers.virt, tg.timers.prof = cpuTimer{}, cpuTimer{}
	tg.cpuTimersArmed.Store(false)
	tg.execTimersLocked()
}

// realTimerLocked returns the process's ITIMER_REAL timer.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) realTimerLocked() *kTimer {
	ts := tg.timersLocked()
	if ts.real == nil {
		ts.real = &kTimer{tg: tg, id: -1, ev: SigEvent{Signo: int32(unix.SIGALRM), Notify: linux.SIGEV_SIGNAL}}
	}
	return ts.real
}

// SetITimer implements setitimer(2): it arms timer which to expire after
// value and then every interval (value 0 disarms), and returns the old
// setting.
func (t *Task) SetITimer(which int, value, interval time.Duration) (oldValue, oldInterval time.Duration, err error) {
	switch which {
	case ITimerReal:
	case ITimerVirtual, ITimerProf:
		ov, oi := t.setCPUTimer(which, value, interval)
		return ov, oi, nil
	default:
		return 0, 0, unix.EINVAL
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	ov, oi := t.tg.realTimerLocked().setLocked(value, interval)
	return ov, oi, nil
}

// GetITimer implements getitimer(2).
func (t *Task) GetITimer(which int) (value, interval time.Duration, err error) {
	switch which {
	case ITimerReal:
	case ITimerVirtual, ITimerProf:
		v, i := t.getCPUTimer(which)
		return v, i, nil
	default:
		return 0, 0, unix.EINVAL
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if t.tg.timers == nil || t.tg.timers.real == nil {
		return 0, 0, nil
	}
	v, i := t.tg.timers.real.getLocked(time.Now())
	return v, i, nil
}

// Alarm implements alarm(2): SIGALRM after secs seconds (0 cancels). It
// returns the seconds left of the previous alarm, rounded as Linux does.
func (t *Task) Alarm(secs uint32) uint32 {
	ov, _, _ := t.SetITimer(ITimerReal, time.Duration(secs)*time.Second, 0)
	left := uint32(ov / time.Second)
	if rem := ov % time.Second; (left == 0 && rem > 0) || rem >= 500*time.Millisecond {
		left++
	}
	return left
}

// TimerCreate implements timer_create(2) on clock (CLOCK_REALTIME,
// CLOCK_MONOTONIC or CLOCK_BOOTTIME); ev nil is SIGEV_SIGNAL with SIGALRM
// and the timer ID as value.
func (t *Task) TimerCreate(clock int32, ev *SigEvent) (int32, error) {
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME:
	default:
		return 0, unix.EINVAL
	}
	var e SigEvent
	if ev != nil {
		e = *ev
		switch e.Notify {
		case linux.SIGEV_NONE:
		case linux.SIGEV_SIGNAL, linux.SIGEV_THREAD_ID:
			if e.Signo < 1 || e.Signo > NumSignals {
				return 0, unix.EINVAL
			}
		default:
			return 0, unix.EINVAL
		}
	} else {
		e = SigEvent{Signo: int32(unix.SIGALRM), Notify: linux.SIGEV_SIGNAL}
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	kt := &kTimer{tg: t.tg, ev: e, clock: clock}
	if e.Notify == linux.SIGEV_THREAD_ID {
		target, ok := t.tg.tasks[e.TID]
		if !ok {
			return 0, unix.EINVAL
		}
		kt.target = target
	}
	ts := t.tg.timersLocked()
	if len(ts.posix) >= maxPosixTimers {
		return 0, unix.EAGAIN
	}
	id := ts.nextID
	for ts.posix[id] != nil {
		id = (id + 1) & (1<<31 - 1)
	}
	ts.nextID = (id + 1) & (1<<31 - 1)
	kt.id = id
	if ev == nil {
		kt.ev.Value = uint64(id)
	}
	ts.posix[id] = kt
	return id, nil
}

// posixTimerLocked returns the POSIX timer id (EINVAL if none).
//
// Preconditions: Kernel.mu is held.
func (t *Task) posixTimerLocked(id int32) (*kTimer, error) {
	if t.tg.timers == nil || t.tg.timers.posix[id] == nil {
		return nil, unix.EINVAL
	}
	return t.tg.timers.posix[id], nil
}

// TimerSettime implements timer_settime(2). With abs, value is a time on
// the timer's clock given by now (the clock's current reading).
func (t *Task) TimerSettime(id int32, abs bool, value, interval time.Duration, now func(clock int32) time.Duration) (oldValue, oldInterval time.Duration, err error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	kt, err := t.posixTimerLocked(id)
	if err != nil {
		return 0, 0, err
	}
	if abs && value != 0 {
		value -= now(kt.clockLocked())
		if value <= 0 {
			value = -1 // expired already
		}
	}
	ov, oi := kt.setLocked(value, interval)
	return ov, oi, nil
}

// clockLocked is the clock a POSIX timer was created on; Ward keeps the
// deadline in Go's monotonic time, so only absolute settings need it.
func (kt *kTimer) clockLocked() int32 { return kt.clock }

// TimerGettime implements timer_gettime(2).
func (t *Task) TimerGettime(id int32) (value, interval time.Duration, err error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	kt, err := t.posixTimerLocked(id)
	if err != nil {
		return 0, 0, err
	}
	v, i := kt.getLocked(time.Now())
	return v, i, nil
}

// TimerGetoverrun implements timer_getoverrun(2): the overrun count of the
// timer's last signal.
func (t *Task) TimerGetoverrun(id int32) (int32, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	kt, err := t.posixTimerLocked(id)
	if err != nil {
		return 0, err
	}
	return int32(kt.overrun), nil
}

// TimerDelete implements timer_delete(2).
func (t *Task) TimerDelete(id int32) error {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	kt, err := t.posixTimerLocked(id)
	if err != nil {
		return err
	}
	kt.stopLocked()
	delete(t.tg.timers.posix, id)
	return nil
}
