package kernel

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/seed-a9fb2a21/ward/core/mm"
	"golang.org/x/sys/unix"
)

// futexKey identifies a futex word. Keys are per address space: a futex
// in memory shared between processes (MAP_SHARED) is matched only within
// one process for now; cross-process shared futexes come later.
type futexKey struct {
	mm   *mm.MemoryManager
	addr uintptr
}

type futexWaiter struct {
	bitset uint32
	woken  chan struct{}
}

// futexTable holds the tasks waiting on futex words.
type futexTable struct {
	mu      sync.Mutex
	waiters map[futexKey][]*futexWaiter
}

func (f *futexTable) init() { f.waiters = map[futexKey][]*futexWaiter{} }

// wake wakes up to n waiters of (m, addr) whose bitset intersects mask.
func (f *futexTable) wake(m *mm.MemoryManager, addr uintptr, n int, mask uint32) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := futexKey{m, addr}
	ws := f.waiters[key]
	woken := 0
	kept := ws[:0]
	for _, w := range ws {
		if woken < n && w.bitset&mask != 0 {
			close(w.woken)
			woken++
			continue
		}
		kept = append(kept, w)
	}
	if len(kept) == 0 {
		delete(f.waiters, key)
	} else {
		f.waiters[key] = kept
	}
	return woken
}

// FutexWait implements FUTEX_WAIT and FUTEX_WAIT_BITSET: it sleeps while
// the word at addr holds val, until woken, the deadline passes (zero
// deadline: none) or the task is interrupted.
func (t *Task) FutexWait(addr uintptr, val, bitset uint32, deadline time.Time) error {
	if addr%4 != 0 {
		return unix.EINVAL
	}
	if bitset == 0 {
		return unix.EINVAL
	}
	m := t.MM()
	f := &t.k.futexes
	key := futexKey{m, addr}
	w := &futexWaiter{bitset: bitset, woken: make(chan struct{})}
	f.mu.Lock()
	var buf [4]byte
	if _, err := m.CopyIn(addr, buf[:]); err != nil {
		f.mu.Unlock()
		return unix.EFAULT
	}
	if binary.LittleEndian.Uint32(buf[:]) != val {
		f.mu.Unlock()
		return unix.EAGAIN
	}
	f.waiters[key] = append(f.waiters[key], w)
	f.mu.Unlock()

	remove := func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		ws := f.waiters[key]
		for i, o := range ws {
			if o == w {
				f.waiters[key] = append(ws[:i], ws[i+1:]...)
				if len(f.waiters[key]) == 0 {
					delete(f.waiters, key)
				}
				return true
			}
		}
		return false // already woken
	}
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		select {
		case <-w.woken:
			return nil
		case <-timeout:
			if remove() {
				return unix.ETIMEDOUT
			}
			return nil
		case <-t.intr:
			if t.CheckInterrupt() {
				if remove() {
					return unix.EINTR
				}
				return nil
			}
		}
	}
}

// FutexWake implements FUTEX_WAKE and FUTEX_WAKE_BITSET.
func (t *Task) FutexWake(addr uintptr, n int, bitset uint32) (int, error) {
	if addr%4 != 0 || bitset == 0 {
		return 0, unix.EINVAL
	}
	return t.k.futexes.wake(t.MM(), addr, n, bitset), nil
}
