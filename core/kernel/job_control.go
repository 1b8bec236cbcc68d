package kernel

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// Job control on terminals: a process in a background process group that
// reads its controlling terminal gets SIGTTIN, and one that writes it
// (with TOSTOP set) or changes its settings gets SIGTTOU, so that the job
// stops until the shell brings it to the foreground, as Linux's
// tty_check_change does. The terminals (core/vfs's host terminal, fs/dev's
// ptys) know their foreground group and whether they are the caller's
// controlling terminal; the kernel knows the caller.

// errRestartNoIntr is ERESTARTNOINTR: the system call restarts once the
// signal has been dealt with, whatever its disposition (here: after the job
// is continued).
const errRestartNoIntr = unix.Errno(513)

// ProcessGroupID returns the task's process group.
func (t *Task) ProcessGroupID() int32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.pgid
}

// SessionID returns the task's session.
func (t *Task) SessionID() int32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.sid
}

// TerminalAccess decides whether t may use its controlling terminal, whose
// foreground process group is fg: sig is SIGTTIN for a read, SIGTTOU for a
// write under TOSTOP or a change of the terminal's settings. It returns
// nil when t may go on (it is in the foreground, or, for SIGTTOU, ignores
// or blocks it), EIO when it may not and cannot be stopped (its process
// group is orphaned, or it ignores or blocks SIGTTIN), and otherwise sends
// sig to t's process group and returns an error that restarts the call
// once the job has been continued (or, if t handles sig, after the handler
// when it has SA_RESTART).
func (t *Task) TerminalAccess(fg int32, sig int) error {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	pg := t.tg.pgid
	if fg <= 0 || pg == fg {
		return nil
	}
	refused := t.tg.handlers.act[sig].Handler == SigIgn || t.sigmask&sigBit(sig) != 0
	switch {
	case sig == int(unix.SIGTTOU) && refused:
		return nil
	case refused || k.orphanedPgrpLocked(pg):
		return unix.EIO
	}
	info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_KERNEL}
	for _, g := range k.pids.groups {
		if g.pgid == pg && !g.zombie {
			k.signalGroupLocked(g, sig, &info)
		}
	}
	if t.tg.handlers.act[sig].Handler != SigDfl {
		// A handler runs: the call restarts after it only with
		// SA_RESTART (ERESTARTSYS), as on Linux.
		return errRestartSys
	}
	return errRestartNoIntr
}
