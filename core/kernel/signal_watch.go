package kernel

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
)

// Signal watchers are how a signalfd learns that a signal became pending
// for a process: the kernel calls each watcher, with Kernel.mu held, when
// it makes a signal pending for the process or one of its threads. A
// watcher must not block or call back into the kernel (it typically pokes
// a wait queue).

// AddSignalWatcher registers fn and returns the function that removes it.
func (tg *ThreadGroup) AddSignalWatcher(fn func()) (remove func()) {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	w := &fn
	if tg.signalWatchers == nil {
		tg.signalWatchers = map[*func()]struct{}{}
	}
	tg.signalWatchers[w] = struct{}{}
	return func() {
		k.mu.Lock()
		delete(tg.signalWatchers, w)
		k.mu.Unlock()
	}
}

// notifySignalWatchersLocked calls the process's signal watchers.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) notifySignalWatchersLocked() {
	for w := range tg.signalWatchers {
		(*w)()
	}
}

// DequeueSignal takes the lowest pending signal of set for the task (its
// own before its process's), as a signalfd read does; ok is false when
// none is pending.
func (t *Task) DequeueSignal(set uint64) (info linux.Siginfo, ok bool) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.dequeueLocked(sigSet(set) &^ unblockable)
}

// PendingIn reports whether a signal of set is pending for the task or its
// process (signalfd readiness).
func (t *Task) PendingIn(set uint64) bool {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return (t.pending.set|t.tg.pending.set)&sigSet(set) != 0
}
