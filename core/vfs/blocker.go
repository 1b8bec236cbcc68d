package vfs

import (
	"sync"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// Blocker is how a blocking file operation learns that the calling task must
// stop waiting (a signal arrived, the task is being killed).
//
// The contract:
//
//   - An operation that would block waits until it can make progress or
//     until Interrupted's channel is readable (closed or sent on).
//   - If interrupted before transferring anything, it returns
//     linux.ERESTARTSYS. The kernel turns that into EINTR, or restarts the
//     system call when the signal's handler has SA_RESTART, exactly as Linux
//     does. If some bytes were already transferred it returns their count
//     and no error.
//   - A nil Blocker blocks uninterruptibly (kernel-internal and tests).
//   - NonBlocking never blocks: the operation returns EAGAIN instead.
//     FileDescription passes it when the description has O_NONBLOCK.
type Blocker interface {
	Interrupted() <-chan struct{}
}

// NonBlocking is the Blocker of a non-blocking operation.
var NonBlocking Blocker = nonBlocking{}

type nonBlocking struct{}

func (nonBlocking) Interrupted() <-chan struct{} { return nil }

// ErrInterrupted is the error a blocking operation returns when its Blocker
// fires; see Blocker.
const ErrInterrupted = linux.ERESTARTSYS

// Wait blocks until e is notified, following the Blocker contract: it
// returns EAGAIN at once for NonBlocking, ErrInterrupted when b fires, and
// nil when e is notified.
//
// Preconditions: e is registered with the queue that will notify it, and was
// registered before the caller last checked the condition it waits for.
func Wait(b Blocker, e *Entry) error {
	if b == NonBlocking {
		return unix.EAGAIN
	}
	if b == nil {
		<-e.C
		return nil
	}
	select {
	case <-e.C:
		return nil
	case <-b.Interrupted():
		return ErrInterrupted
	}
}

// WaitFor runs try with mu held until it reports done or fails, waiting on q
// for the events in mask (and EventErr, EventHup) in between, following
// the Blocker contract: EAGAIN at once for NonBlocking, ErrInterrupted when
// b fires. A timeout above zero (SO_RCVTIMEO, SO_SNDTIMEO) ends the wait
// with EAGAIN.
func WaitFor(b Blocker, mu sync.Locker, q *Queue, mask uint32, timeout time.Duration, try func() (done bool, err error)) error {
	mu.Lock()
	done, err := try()
	mu.Unlock()
	if done || err != nil {
		return err
	}
	if b == NonBlocking {
		return unix.EAGAIN
	}
	w := NewEntry(mask | EventErr | EventHup)
	q.Register(w)
	defer q.Unregister(w)
	var deadline <-chan time.Time
	if timeout > 0 {
		tm := time.NewTimer(timeout)
		defer tm.Stop()
		deadline = tm.C
	}
	var intr <-chan struct{}
	if b != nil {
		intr = b.Interrupted()
	}
	for {
		mu.Lock()
		done, err := try()
		mu.Unlock()
		if done || err != nil {
			return err
		}
		select {
		case <-w.C:
		case <-intr:
			return ErrInterrupted
		case <-deadline:
			return unix.EAGAIN
		}
	}
}

// Entry is a waiter's registration in a Queue.
type Entry struct {
	// C receives a value when an event in Mask happens. It has a buffer
	// of one, so a notification is never lost and never blocks the
	// notifier.
	C chan struct{}

	// Mask is the set of events (POLLIN, POLLOUT, ...) of interest.
	Mask uint32
}

// NewEntry returns an Entry for the events in mask.
func NewEntry(mask uint32) *Entry {
	return &Entry{C: make(chan struct{}, 1), Mask: mask}
}

// Queue is a set of Entries to notify of readiness events. The zero value is
// an empty queue.
type Queue struct {
	mu      sync.Mutex
	entries map[*Entry]struct{} // protected by mu
}

// Register adds e to q.
func (q *Queue) Register(e *Entry) {
	q.mu.Lock()
	if q.entries == nil {
		q.entries = map[*Entry]struct{}{}
	}
	q.entries[e] = struct{}{}
	q.mu.Unlock()
}

// Unregister removes e from q.
func (q *Queue) Unregister(e *Entry) {
	q.mu.Lock()
	delete(q.entries, e)
	q.mu.Unlock()
}

// Notify wakes every entry interested in one of the events in mask.
func (q *Queue) Notify(mask uint32) {
	q.mu.Lock()
	for e := range q.entries {
		if e.Mask&mask != 0 {
			select {
			case e.C <- struct{}{}:
			default:
			}
		}
	}
	q.mu.Unlock()
}

// Len returns the number of registered entries.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}

// Poll event bits, as in poll(2).
const (
	EventIn  = unix.POLLIN
	EventPri = unix.POLLPRI
	EventOut = unix.POLLOUT
	EventErr = unix.POLLERR
	EventHup = unix.POLLHUP
	EventAll = EventIn | EventPri | EventOut | EventErr | EventHup
)
