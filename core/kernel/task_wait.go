package kernel

import (
	"time"

	"golang.org/x/sys/unix"
)

// WaitOptions select the children wait4 and waitid look at.
type WaitOptions struct {
	// PID is wait4's pid: > 0 that process, -1 any child, 0 any child in
	// the caller's process group, < -1 any child in process group -PID.
	PID int32
	// NoHang returns at once when no child has ended (WNOHANG).
	NoHang bool
	// NoWait leaves the child a zombie (WNOWAIT).
	NoWait bool
}

// WaitResult describes a child that ended.
type WaitResult struct {
	PID    int32
	UID    uint32
	Status ExitStatus
	// CPU is the child's (and its reaped descendants') running time.
	CPU time.Duration
}

// Wait implements the exit part of wait4 and waitid. It returns a zero
// PID for NoHang with nothing to report, ECHILD when there is no matching
// child, and EINTR when interrupted.
func (t *Task) Wait(opts WaitOptions) (WaitResult, error) {
	k := t.k
	for {
		k.mu.Lock()
		tg := t.tg
		matched := false
		for c := range tg.children {
			if !waitMatches(tg, c, opts.PID) {
				continue
			}
			matched = true
			if !c.zombie {
				continue
			}
			res := WaitResult{PID: c.tgid, UID: c.creds.RealUID, Status: c.exitStatus, CPU: c.cpu}
			if !opts.NoWait {
				delete(tg.children, c)
				delete(k.pids.groups, c.tgid)
				tg.cpu += c.cpu
			}
			k.mu.Unlock()
			return res, nil
		}
		if !matched {
			k.mu.Unlock()
			return WaitResult{}, unix.ECHILD
		}
		if opts.NoHang {
			k.mu.Unlock()
			return WaitResult{}, nil
		}
		if t.killed.Load() || t.hasDeliverableLocked() {
			k.mu.Unlock()
			return WaitResult{}, unix.EINTR
		}
		ch := make(chan struct{})
		tg.waiters = append(tg.waiters, ch)
		k.mu.Unlock()
		select {
		case <-ch:
		case <-t.intr:
			k.mu.Lock()
			for i, w := range tg.waiters {
				if w == ch {
					tg.waiters = append(tg.waiters[:i], tg.waiters[i+1:]...)
					break
				}
			}
			k.mu.Unlock()
		}
	}
}

func waitMatches(tg, c *ThreadGroup, pid int32) bool {
	switch {
	case pid > 0:
		return c.tgid == pid
	case pid == -1:
		return true
	case pid == 0:
		return c.pgid == tg.pgid
	default:
		return c.pgid == -pid
	}
}
