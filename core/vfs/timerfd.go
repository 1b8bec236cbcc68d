package vfs

import (
	"encoding/binary"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Clock reads a clock (CLOCK_REALTIME, CLOCK_MONOTONIC, ...) in
// nanoseconds. The kernel supplies it: the VFS knows no clocks.
type Clock func() int64

// TimerFD is the FileImpl of a timerfd (timerfd_create(2)): a timer on a
// clock whose expirations are counted and read as a 64-bit integer.
//
// Expirations are computed from the clock when the file is read or
// polled, so none is lost however late a waiter runs; a Go timer only
// wakes the waiters at the next expiration.
type TimerFD struct {
	clock Clock // immutable

	mu sync.Mutex
	// next is the clock time of the next expiration, 0 when disarmed;
	// interval is the period (0: one-shot). Protected by mu.
	next     int64
	interval int64
	// count is the number of expirations not yet read. Protected by mu.
	count uint64
	// wake fires at next to notify waiters. Protected by mu.
	wake *time.Timer

	q Queue
}

// NewTimerFD returns the description of a new, disarmed timerfd on
// clock. flags may hold O_NONBLOCK (TFD_NONBLOCK); TFD_CLOEXEC is the
// caller's.
func NewTimerFD(clock Clock, flags int) *FileDescription {
	t := &TimerFD{clock: clock}
	return NewDescription(t, DescriptionOptions{Flags: unix.O_RDWR | flags&unix.O_NONBLOCK, Stream: true})
}

// updateLocked counts the expirations that have passed.
//
// Preconditions: t.mu is held.
func (t *TimerFD) updateLocked(now int64) {
	if t.next == 0 || now < t.next {
		return
	}
	if t.interval == 0 {
		t.count++
		t.next = 0
		return
	}
	n := (now-t.next)/t.interval + 1
	t.count += uint64(n)
	t.next += n * t.interval
}

// scheduleLocked starts the Go timer that wakes waiters at the next
// expiration, if the timer is armed and nothing is readable yet.
//
// Preconditions: t.mu is held.
func (t *TimerFD) scheduleLocked(now int64) {
	if t.wake != nil {
		t.wake.Stop()
		t.wake = nil
	}
	if t.next == 0 || t.count > 0 {
		return
	}
	t.wake = time.AfterFunc(time.Duration(t.next-now), t.fire)
}

// fire runs on the Go timer's goroutine.
func (t *TimerFD) fire() {
	t.mu.Lock()
	now := t.clock()
	t.updateLocked(now)
	ready := t.count > 0
	if !ready {
		t.scheduleLocked(now) // early: the clock and Go's timer disagree
	} else {
		t.wake = nil
	}
	t.mu.Unlock()
	if ready {
		t.q.Notify(EventIn)
	}
}

// SetTime implements timerfd_settime: it arms the timer to expire at
// value (absolute on the timer's clock when abs, else relative to now) and
// then every interval (0: once); value 0 disarms it. It returns the
// previous setting as GetTime would. The expiration count is reset.
func (t *TimerFD) SetTime(value, interval time.Duration, abs bool) (oldValue, oldInterval time.Duration) {
	t.mu.Lock()
	now := t.clock()
	oldValue, oldInterval = t.getLocked(now)
	t.count = 0
	t.interval = int64(interval)
	switch {
	case value == 0:
		t.next, t.interval = 0, 0
	case abs:
		t.next = int64(value)
		if t.next <= 0 {
			t.next = 1 // already passed, yet armed
		}
	default:
		t.next = now + int64(value)
	}
	t.updateLocked(now)
	t.scheduleLocked(now)
	ready := t.count > 0
	t.mu.Unlock()
	if ready {
		t.q.Notify(EventIn)
	}
	return oldValue, oldInterval
}

// GetTime implements timerfd_gettime: the time until the next expiration
// (0 when disarmed) and the interval.
func (t *TimerFD) GetTime() (value, interval time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.getLocked(t.clock())
}

// Preconditions: t.mu is held.
func (t *TimerFD) getLocked(now int64) (value, interval time.Duration) {
	t.updateLocked(now)
	if t.next == 0 {
		return 0, time.Duration(t.interval)
	}
	left := t.next - now
	if left <= 0 {
		left = 1
	}
	return time.Duration(left), time.Duration(t.interval)
}

// Read implements FileImpl.Read: it waits for an expiration and returns
// the number of expirations since the last read (8 bytes; a smaller
// buffer is EINVAL).
func (t *TimerFD) Read(b Blocker, dst []byte, _ int64) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	var w *Entry
	defer func() {
		if w != nil {
			t.q.Unregister(w)
		}
	}()
	for {
		t.mu.Lock()
		now := t.clock()
		t.updateLocked(now)
		if t.count > 0 {
			n := t.count
			t.count = 0
			t.scheduleLocked(now)
			t.mu.Unlock()
			binary.LittleEndian.PutUint64(dst, n)
			return 8, nil
		}
		if w == nil {
			w = NewEntry(EventIn)
			t.q.Register(w)
			t.mu.Unlock()
			continue
		}
		t.mu.Unlock()
		if err := Wait(b, w); err != nil {
			return 0, err
		}
	}
}

// Write implements FileImpl.Write: timerfds are not writable.
func (t *TimerFD) Write(Blocker, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Stat implements FileImpl.Stat.
func (t *TimerFD) Stat() (Stat, error) { return anonStat(), nil }

// Release implements FileImpl.Release: the timer stops.
func (t *TimerFD) Release() {
	t.mu.Lock()
	if t.wake != nil {
		t.wake.Stop()
		t.wake = nil
	}
	t.next = 0
	t.mu.Unlock()
}

// Readiness implements Waitable: readable once the timer has expired.
func (t *TimerFD) Readiness(mask uint32) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.updateLocked(t.clock())
	if t.count > 0 {
		return EventIn & mask
	}
	return 0
}

// EventRegister implements Waitable.
func (t *TimerFD) EventRegister(w *Entry) { t.q.Register(w) }

// EventUnregister implements Waitable.
func (t *TimerFD) EventUnregister(w *Entry) { t.q.Unregister(w) }
