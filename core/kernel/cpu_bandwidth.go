package kernel

import (
	"sync"
	"time"
)

// CPU bandwidth: the cpu cgroup controller's limit (core/cgroup
// Limits.CPUMilli), like cgroup v2's cpu.max. In every period the sandbox's
// tasks together may run quota = CPUs × period of application time; a task
// that wants to run when the period's quota is used up waits for the next
// period ("throttled"), and while a quota is set each Switch is bounded by
// what the period has left, so that a thread computing without stops is
// interrupted and charged (as with the CPU timers, cpu_timers.go).
//
// What is charged is the time tasks spend in Context.Switch: application
// time, measured by the wall clock, so time the host took the thread away
// is charged too (a loaded host makes the sandbox's share smaller, never
// larger). Time the kernel spends serving system calls is not charged.
// Overuse (a Switch that ran past its bound before the interrupt took
// effect) is carried into the next periods, so the long-run share is right.
//
// cpuBandwidth.mu is a leaf lock.

// cpuBandwidth is the sandbox's CPU bandwidth account.
type cpuBandwidth struct {
	quota, period time.Duration

	mu sync.Mutex
	// start is the start of the current period; used is the time charged
	// in it (more than quota if tasks overran).
	start time.Time
	used  time.Duration
	// throttled counts the waits and their total length (cpu.stat's
	// nr_throttled and throttled_usec).
	throttled   time.Duration
	nrThrottled int64
	// usage is all time charged (cpu.stat's usage_usec).
	usage time.Duration
}

func newCPUBandwidth(milli, periodMicros uint64) *cpuBandwidth {
	if milli == 0 {
		return nil
	}
	period := time.Duration(periodMicros) * time.Microsecond
	if period <= 0 {
		period = 100 * time.Millisecond
	}
	return &cpuBandwidth{
		period: period,
		quota:  time.Duration(milli) * period / 1000,
		start:  time.Now(),
	}
}

// rollLocked moves the account to the period that contains now, paying
// each period's quota off what was used.
//
// Preconditions: b.mu is held.
func (b *cpuBandwidth) rollLocked(now time.Time) {
	if n := now.Sub(b.start) / b.period; n > 0 {
		b.start = b.start.Add(n * b.period)
		if b.used > n*b.quota {
			b.used -= n * b.quota
		} else {
			b.used = 0
		}
	}
}

// admit returns how much application time the sandbox has left in the
// current period, waiting for a new period while it has none. It returns
// false if t was killed while it waited.
func (b *cpuBandwidth) admit(t *Task) (time.Duration, bool) {
	var waitStart time.Time
	for {
		b.mu.Lock()
		now := time.Now()
		b.rollLocked(now)
		if b.used < b.quota {
			left := b.quota - b.used
			if !waitStart.IsZero() {
				b.throttled += now.Sub(waitStart)
				b.nrThrottled++
			}
			b.mu.Unlock()
			return left, true
		}
		next := b.start.Add(b.period).Sub(now)
		b.mu.Unlock()
		if waitStart.IsZero() {
			waitStart = now
		}
		timer := time.NewTimer(next)
		select {
		case <-timer.C:
		case <-t.intr:
			// Only a kill ends the wait: a throttled task runs no
			// application code, signal handlers included.
			timer.Stop()
			if t.killed.Load() {
				return 0, false
			}
		}
	}
}

// charge adds d of application time.
func (b *cpuBandwidth) charge(d time.Duration) {
	b.mu.Lock()
	b.rollLocked(time.Now())
	b.used += d
	b.usage += d
	b.mu.Unlock()
}

// CPUStat is the sandbox's CPU bandwidth accounting (cgroup v2 cpu.stat).
type CPUStat struct {
	Usage       time.Duration
	NrThrottled int64
	Throttled   time.Duration
}

// CPUStat returns the CPU bandwidth accounting; all zero without a limit.
func (k *Kernel) CPUStat() CPUStat {
	b := k.cpuBW
	if b == nil {
		return CPUStat{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return CPUStat{Usage: b.usage, NrThrottled: b.nrThrottled, Throttled: b.throttled}
}
