package kernel

import (
	"runtime"
	"slices"
	"sync"
)

// Task goroutines and their OS threads.
//
// A task's goroutine is locked to an OS thread for the task's life: on the
// ptrace platform that thread traces the task's stub threads. Starting an
// OS thread and ending it cost about 50 µs (measured: a locked goroutine
// that exits, 80 µs; a hand-off to an idle locked one, 30 µs per round
// trip), and fork+exec+wait paid it once per child. So a goroutine whose
// task has ended waits, still locked, for the next task to start, and
// runs it on the same thread; at most maxIdleRunners wait. A waiting
// goroutine traces nothing: the task's platform Context was released,
// which ends the stub threads it traced (or their stubs were killed).
// Idle runners end when the kernel does (Kernel.idle).
//
// The thread is never unlocked: if a runner's goroutine ends while locked,
// Go ends the OS thread too, and with it any tracee it still had.

// maxIdleRunners is how many OS threads wait for a new task.
const maxIdleRunners = 4

// runners holds the idle runners' hand-off channels.
type runners struct {
	mu   sync.Mutex
	idle []chan *Task
}

// start runs the task's goroutine: on an idle runner's thread, or a new
// one.
func (t *Task) start() {
	k := t.k
	k.runners.mu.Lock()
	if n := len(k.runners.idle); n > 0 {
		ch := k.runners.idle[n-1]
		k.runners.idle = k.runners.idle[:n-1]
		k.runners.mu.Unlock()
		ch <- t // buffered: never blocks
		return
	}
	k.runners.mu.Unlock()
	go k.runner(t)
}

// runner runs t, then the tasks handed to it while it waits idle.
func (k *Kernel) runner(t *Task) {
	runtime.LockOSThread()
	ch := make(chan *Task, 1)
	for t != nil {
		t.run()
		t = k.waitForTask(ch)
	}
}

// waitForTask puts the runner in the idle list and returns the next task
// handed to it, or nil if it should end.
func (k *Kernel) waitForTask(ch chan *Task) *Task {
	k.runners.mu.Lock()
	if len(k.runners.idle) >= maxIdleRunners {
		k.runners.mu.Unlock()
		return nil
	}
	k.runners.idle = append(k.runners.idle, ch)
	k.runners.mu.Unlock()
	select {
	case t := <-ch:
		return t
	case <-k.idle:
	}
	k.runners.mu.Lock()
	defer k.runners.mu.Unlock()
	if i := slices.Index(k.runners.idle, ch); i >= 0 {
		k.runners.idle = slices.Delete(k.runners.idle, i, i+1)
		return nil
	}
	// Taken from the list just before: a task is on its way.
	return <-ch
}
