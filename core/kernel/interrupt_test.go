package kernel

import "testing"

// TestDrainInterrupt: at the start of a system call a stale interruption
// token is dropped, but one whose cause is still there (a kill) is kept,
// so that a blocking call made by that system call is interrupted: a kill
// that came between the system call's stop and its dispatch once left a
// futex wait asleep for ever.
func TestDrainInterrupt(t *testing.T) {
	k := &Kernel{}
	tg := &ThreadGroup{k: k, handlers: &sigHandlers{}}
	task := &Task{k: k, tg: tg, intr: make(chan struct{}, 1)}

	task.Interrupt() // stale: nothing is pending
	task.drainInterrupt()
	select {
	case <-task.intr:
		t.Error("a stale token survived")
	default:
	}

	task.kill()
	task.drainInterrupt()
	select {
	case <-task.intr:
	default:
		t.Error("the token of a kill was dropped")
	}

	task.drainInterrupt() // no token, but killed: a token again
	select {
	case <-task.intr:
	default:
		t.Error("a killed task's system call starts without a token")
	}
}
