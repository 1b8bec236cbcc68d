package kernel

import "golang.org/x/sys/unix"

// PID returns the process ID of the task's process; PPID its parent's
// (0 for init).
func (t *Task) PID() int32 { return t.tg.tgid }

// PPID returns the parent's process ID, 0 for init.
func (t *Task) PPID() int32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if t.tg.parent == nil {
		return 0
	}
	return t.tg.parent.tgid
}

// ProcessGroup returns the process group ID of the process pid (0: the
// caller's).
func (t *Task) ProcessGroup(pid int32) (int32, error) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	tg, err := t.lookupLocked(pid)
	if err != nil {
		return 0, err
	}
	return tg.pgid, nil
}

// Session returns the session ID of the process pid (0: the caller's).
func (t *Task) Session(pid int32) (int32, error) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	tg, err := t.lookupLocked(pid)
	if err != nil {
		return 0, err
	}
	return tg.sid, nil
}

// Preconditions: Kernel.mu is held.
func (t *Task) lookupLocked(pid int32) (*ThreadGroup, error) {
	if pid == 0 {
		return t.tg, nil
	}
	tg := t.k.pids.groups[pid]
	if tg == nil || tg.zombie {
		return nil, unix.ESRCH
	}
	return tg, nil
}

// SetProcessGroup implements setpgid(2).
func (t *Task) SetProcessGroup(pid, pgid int32) error {
	if pgid < 0 {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	target, err := t.lookupLocked(pid)
	if err != nil {
		return err
	}
	if target != t.tg && target.parent != t.tg {
		return unix.ESRCH
	}
	if target.sid != t.tg.sid {
		return unix.EPERM
	}
	if target.sid == target.tgid {
		return unix.EPERM // a session leader cannot move
	}
	if pgid == 0 {
		pgid = target.tgid
	}
	if pgid != target.tgid {
		found := false
		for _, g := range k.pids.groups {
			if g.pgid == pgid && !g.zombie && g.sid == t.tg.sid {
				found = true
				break
			}
		}
		if !found {
			return unix.EPERM
		}
	}
	target.pgid = pgid
	return nil
}

// SetSession implements setsid(2).
func (t *Task) SetSession() (int32, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, g := range k.pids.groups {
		if g.pgid == t.tg.tgid && !g.zombie {
			return 0, unix.EPERM
		}
	}
	t.tg.sid = t.tg.tgid
	t.tg.pgid = t.tg.tgid
	return t.tg.sid, nil
}

// FindProcess returns the live process pid.
func (k *Kernel) FindProcess(pid int32) (*ThreadGroup, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := k.pids.groups[pid]
	if tg == nil || tg.zombie {
		return nil, false
	}
	return tg, true
}

// FindTask returns the live task tid.
func (k *Kernel) FindTask(tid int32) (*Task, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t := k.pids.tasks[tid]
	return t, t != nil
}

// ProcessesInGroup returns the live processes of process group pgid.
func (k *Kernel) ProcessesInGroup(pgid int32) []*ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*ThreadGroup
	for _, g := range k.pids.groups {
		if g.pgid == pgid && !g.zombie {
			out = append(out, g)
		}
	}
	return out
}

// AllProcesses returns every live process.
func (k *Kernel) AllProcesses() []*ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*ThreadGroup
	for _, g := range k.pids.groups {
		if !g.zombie {
			out = append(out, g)
		}
	}
	return out
}
