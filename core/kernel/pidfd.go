package kernel

// Support for process file descriptors (pidfd_open, CLONE_PIDFD): a pidfd
// names one process, not a PID that may be reused, and becomes readable when
// that process exits. core/syscalls makes the file; the kernel tells it
// when the process is gone.

// closedChan is returned by Exited for a process that has already exited.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Exited returns a channel that is closed once every thread of tg has
// exited (the process is a zombie, or reaped).
func (tg *ThreadGroup) Exited() <-chan struct{} {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if tg.zombie {
		return closedChan
	}
	if tg.exitCh == nil {
		tg.exitCh = make(chan struct{})
	}
	return tg.exitCh
}

// Reaped reports whether tg's exit has been collected by wait (or was
// never to be): its PID may name another process now.
func (tg *ThreadGroup) Reaped() bool {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pids.groups[tg.tgid] != tg
}

// ProcessByPID returns process pid, live or a zombie not yet reaped. It
// reports isThread when pid names a thread that is not a process's leader.
func (k *Kernel) ProcessByPID(pid int32) (tg *ThreadGroup, isThread bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tg := k.pids.groups[pid]; tg != nil {
		return tg, false
	}
	return nil, k.pids.tasks[pid] != nil
}
