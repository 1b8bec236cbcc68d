package kernel

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// Exit implements exit(2): the calling thread ends with code; the process
// ends with it if this was its last thread.
func (t *Task) Exit(code int) error {
	t.mu.Lock()
	t.exitCode = code & 0xff
	t.mu.Unlock()
	t.killed.Store(true)
	return ErrExit
}

// ExitGroup implements exit_group(2): every thread of the process ends,
// and the process exits with code.
func (t *Task) ExitGroup(code int) error {
	t.k.mu.Lock()
	t.k.killGroupLocked(t.tg, ExitStatus{Code: code & 0xff})
	t.k.mu.Unlock()
	return ErrExit
}

// exit tears the task down; it runs on the task's goroutine as its last
// act.
func (t *Task) exit() {
	// Futexes the thread still holds get FUTEX_OWNER_DIED.
	t.exitRobustList()
	t.mu.Lock()
	ctid := t.clearChildTID
	code := t.exitCode
	cpu := t.cpu
	t.mu.Unlock()

	// CLONE_CHILD_CLEARTID: zero the TID word and wake a joiner, if the
	// address space lives on in other threads.
	if ctid != 0 {
		if m := t.MM(); m != nil {
			var zero [4]byte
			if _, err := m.CopyOut(ctid, zero[:]); err == nil {
				t.k.futexes.wake(m, ctid, 1, ^uint32(0))
			}
		}
	}

	k := t.k
	k.mu.Lock()
	tg := t.tg
	// The thread's time moves to the process's in the same critical
	// section that removes it, so that no reader counts it twice.
	tg.cpu += cpu
	delete(tg.tasks, t.tid)
	delete(k.pids.tasks, t.tid)
	last := len(tg.tasks) == 0
	if len(tg.tasks) == 1 && tg.soleWaiter != nil {
		// An execve waits for this (task_exec.go).
		close(tg.soleWaiter)
		tg.soleWaiter = nil
	}
	var ref *mmRef
	var res *Resources
	var vforkDone chan struct{}
	if last {
		if !tg.exiting {
			tg.exiting = true
			tg.exitStatus = ExitStatus{Code: code}
		}
		tg.stopTimersLocked()
		ref = tg.mm.Swap(nil)
		res = tg.res.Swap(nil)
		vforkDone, tg.vforkDone = tg.vforkDone, nil
	}
	k.mu.Unlock()

	if !last {
		k.mu.Lock()
		k.taskGoneLocked()
		k.mu.Unlock()
		return
	}
	// Release what the process held before it becomes a zombie, outside
	// Kernel.mu: closing files may block on pipes' other ends' waiters.
	if res != nil {
		if res.Files != nil {
			res.Files.DecRef()
		}
		if res.FS != nil {
			res.FS.DecRef()
		}
	}
	if ref != nil {
		ref.decRef()
	}
	if vforkDone != nil {
		close(vforkDone)
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	tg.zombie = true
	if tg.exitCh != nil {
		close(tg.exitCh) // pidfds
	}
	k.reparentChildrenLocked(tg)
	if tg == k.init {
		k.initExit = tg.exitStatus
		k.done = true
		delete(k.pids.groups, tg.tgid)
		// The sandbox ends with its init: everything else dies.
		for _, other := range k.pids.groups {
			if !other.zombie {
				k.killGroupLocked(other, ExitStatus{Signo: int(unix.SIGKILL)})
			}
		}
	} else {
		k.notifyParentLocked(tg)
	}
	k.taskGoneLocked()
}

// taskGoneLocked counts a task out once it has released everything; the
// kernel is idle when init is gone and no task is left.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) taskGoneLocked() {
	k.tasks--
	if k.done && k.tasks == 0 {
		select {
		case <-k.idle:
		default:
			close(k.idle)
		}
	}
}

// reparentChildrenLocked hands tg's children to init; zombies among them
// that nobody will wait for are reaped at once when init is gone.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) reparentChildrenLocked(tg *ThreadGroup) {
	for c := range tg.children {
		delete(tg.children, c)
		if sig := c.parentDeathSignal; sig != 0 && !c.zombie && !c.exiting {
			// PR_SET_PDEATHSIG: the child asked to hear of its
			// parent's death.
			info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_USER}
			info.SetPID(tg.tgid)
			k.signalGroupLocked(c, sig, &info)
		}
		if k.init == nil || k.init == tg || k.init.zombie {
			c.parent = nil
			if c.zombie {
				delete(k.pids.groups, c.tgid)
			}
			continue
		}
		c.parent = k.init
		k.init.children[c] = struct{}{}
		if c.zombie {
			k.wakeWaitersLocked(k.init)
		}
	}
}

// notifyParentLocked tells tg's parent that tg has ended: it is reaped at
// once if the parent ignores SIGCHLD, else it stays a zombie and the
// parent's waiters wake.
//
// Preconditions: Kernel.mu is held; tg is a zombie.
func (k *Kernel) notifyParentLocked(tg *ThreadGroup) {
	p := tg.parent
	if p == nil {
		delete(k.pids.groups, tg.tgid)
		return
	}
	chld := p.handlers.act[unix.SIGCHLD]
	if tg.exitSignal == int(unix.SIGCHLD) && (chld.Handler == SigIgn || chld.Flags&SANoCldWait != 0) {
		delete(p.children, tg)
		delete(k.pids.groups, tg.tgid)
		k.wakeWaitersLocked(p)
		return
	}
	if tg.exitSignal != 0 && !p.exiting {
		info := linux.Siginfo{Signo: int32(tg.exitSignal), Code: linux.CLD_EXITED}
		info.SetPID(tg.tgid)
		info.SetUID(tg.creds.RealUID)
		if tg.exitStatus.Signaled() {
			info.Code = linux.CLD_KILLED
			if tg.exitStatus.Core {
				info.Code = linux.CLD_DUMPED
			}
			info.SetStatus(int32(tg.exitStatus.Signo))
		} else {
			info.SetStatus(int32(tg.exitStatus.Code))
		}
		k.signalGroupLocked(p, tg.exitSignal, &info)
	}
	k.wakeWaitersLocked(p)
}

// wakeWaitersLocked wakes tg's tasks blocked in wait4.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) wakeWaitersLocked(tg *ThreadGroup) {
	for _, ch := range tg.waiters {
		close(ch)
	}
	tg.waiters = nil
}
