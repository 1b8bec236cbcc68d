package vfs

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"
)

// eventfdMax is the largest value an eventfd counter may hold
// (0xfffffffffffffffe); a write that would pass it blocks.
const eventfdMax = ^uint64(0) - 1

// anonDev is the device number anonymous files (eventfd, timerfd, epoll)
// report, as Linux's anon_inodefs.
const anonDev = 0xe

// EventFD is the FileImpl of an eventfd (eventfd(2)): a 64-bit counter
// that writes add to and reads take.
type EventFD struct {
	// semaphore is EFD_SEMAPHORE: a read takes 1 instead of the whole
	// counter. Immutable.
	semaphore bool

	mu sync.Mutex
	// count is the counter. Protected by mu.
	count uint64

	// q wakes readers (EventIn) and writers (EventOut).
	q Queue
}

// NewEventFD returns the description of a new eventfd with counter
// initval. flags are eventfd2's: EFD_SEMAPHORE, EFD_NONBLOCK (the
// description's O_NONBLOCK); EFD_CLOEXEC is the caller's.
func NewEventFD(initval uint64, flags int) *FileDescription {
	e := &EventFD{count: initval, semaphore: flags&unix.EFD_SEMAPHORE != 0}
	return NewDescription(e, DescriptionOptions{Flags: unix.O_RDWR | flags&unix.O_NONBLOCK, Stream: true})
}

// Read implements FileImpl.Read: dst must hold 8 bytes (else EINVAL); it
// waits while the counter is zero.
func (e *EventFD) Read(b Blocker, dst []byte, _ int64) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	var w *Entry
	defer func() {
		if w != nil {
			e.q.Unregister(w)
		}
	}()
	for {
		e.mu.Lock()
		if e.count > 0 {
			v := e.count
			if e.semaphore {
				v = 1
			}
			e.count -= v
			e.mu.Unlock()
			binary.LittleEndian.PutUint64(dst, v)
			e.q.Notify(EventOut)
			return 8, nil
		}
		if w == nil {
			w = NewEntry(EventIn)
			e.q.Register(w)
			e.mu.Unlock()
			continue // re-check after registering
		}
		e.mu.Unlock()
		if err := Wait(b, w); err != nil {
			return 0, err
		}
	}
}

// Write implements FileImpl.Write: src must hold 8 bytes (else EINVAL),
// the value all ones is EINVAL; it waits while adding would pass
// eventfdMax.
func (e *EventFD) Write(b Blocker, src []byte, _ int64) (int, error) {
	if len(src) < 8 {
		return 0, unix.EINVAL
	}
	v := binary.LittleEndian.Uint64(src)
	if v == ^uint64(0) {
		return 0, unix.EINVAL
	}
	var w *Entry
	defer func() {
		if w != nil {
			e.q.Unregister(w)
		}
	}()
	for {
		e.mu.Lock()
		if eventfdMax-e.count >= v {
			e.count += v
			e.mu.Unlock()
			if v > 0 {
				e.q.Notify(EventIn)
			}
			return 8, nil
		}
		if w == nil {
			w = NewEntry(EventOut)
			e.q.Register(w)
			e.mu.Unlock()
			continue
		}
		e.mu.Unlock()
		if err := Wait(b, w); err != nil {
			return 0, err
		}
	}
}

// Count returns the counter (for /proc fdinfo and tests).
func (e *EventFD) Count() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}

// Stat implements FileImpl.Stat: an anonymous inode.
func (e *EventFD) Stat() (Stat, error) { return anonStat(), nil }

// Release implements FileImpl.Release.
func (e *EventFD) Release() {}

// Readiness implements Waitable.
func (e *EventFD) Readiness(mask uint32) uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var r uint32
	if e.count > 0 {
		r |= EventIn
	}
	if e.count < eventfdMax {
		r |= EventOut
	}
	return r & mask
}

// EventRegister implements Waitable.
func (e *EventFD) EventRegister(w *Entry) { e.q.Register(w) }

// EventUnregister implements Waitable.
func (e *EventFD) EventUnregister(w *Entry) { e.q.Unregister(w) }

// anonStat is what fstat reports for an anonymous file: mode 0600 without
// a file type, as anon_inode files have.
func anonStat() Stat {
	return Stat{Dev: anonDev, Ino: 1, Nlink: 1, Mode: 0o600, Blksize: 4096}
}
