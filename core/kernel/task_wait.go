package kernel

import (
	"time"

	"golang.org/x/sys/unix"
)

// WaitOptions select the children wait4 and waitid look at, and the
// events they report.
type WaitOptions struct {
	// PID is wait4's pid: > 0 that process, -1 any child, 0 any child in
	// the caller's process group, < -1 any child in process group -PID.
	PID int32
	// Exited reports children that ended (wait4 always; waitid's
	// WEXITED), Stopped those stopped by a job-control signal
	// (WUNTRACED, WSTOPPED), Continued those resumed by SIGCONT
	// (WCONTINUED).
	Exited, Stopped, Continued bool
	// NoHang returns at once when no child has ended (WNOHANG).
	NoHang bool
	// NoWait leaves the child waitable: a zombie stays a zombie, a
	// stop or continue stays reportable (WNOWAIT).
	NoWait bool
}

// WaitEvent is what a wait reports about a child.
type WaitEvent int

// The events of WaitResult.Event.
const (
	WaitExited WaitEvent = iota + 1
	WaitStopped
	WaitContinued
)

// The unexported names ThreadGroup.stopReport uses.
const (
	waitStopped   = WaitStopped
	waitContinued = WaitContinued
)

// WaitResult describes a child that changed state.
type WaitResult struct {
	PID int32
	UID uint32
	// Event is what happened: the child exited (Status says how), was
	// stopped by signal StopSignal, or continued.
	Event      WaitEvent
	Status     ExitStatus
	StopSignal int
	// CPU is the child's (and its reaped descendants') running time.
	CPU time.Duration
}

// WaitStatus is the status word wait4 stores (see wait(2)): the exit
// status, 0x7f | sig<<8 for a stop, 0xffff for a continue.
func (r WaitResult) WaitStatus() uint32 {
	switch r.Event {
	case WaitStopped:
		return 0x7f | uint32(r.StopSignal&0xff)<<8
	case WaitContinued:
		return 0xffff
	}
	return r.Status.WaitStatus()
}

// SiginfoCode returns waitid's si_code and si_status for r (CLD_*).
func (r WaitResult) SiginfoCode() (code, status int32) {
	switch r.Event {
	case WaitStopped:
		return 5, int32(r.StopSignal) // CLD_STOPPED
	case WaitContinued:
		return 6, int32(unix.SIGCONT) // CLD_CONTINUED
	}
	if r.Status.Signaled() {
		if r.Status.Core {
			return 3, int32(r.Status.Signo) // CLD_DUMPED
		}
		return 2, int32(r.Status.Signo) // CLD_KILLED
	}
	return 1, int32(r.Status.Code) // CLD_EXITED
}

// Wait implements wait4 and waitid. It returns a zero PID for NoHang with
// nothing to report, ECHILD when there is no matching child, and
// ERESTARTSYS when interrupted (wait4 restarts after an SA_RESTART
// handler, as on Linux).
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
			if c.zombie {
				if !opts.Exited {
					continue
				}
				res := WaitResult{PID: c.tgid, UID: c.creds.RealUID, Event: WaitExited, Status: c.exitStatus, CPU: c.cpu}
				if !opts.NoWait {
					delete(tg.children, c)
					delete(k.pids.groups, c.tgid)
					tg.childCPU += c.cpu + c.childCPU
				}
				k.mu.Unlock()
				return res, nil
			}
			if (c.stopReport == WaitStopped && c.stopped && opts.Stopped) ||
				(c.stopReport == WaitContinued && opts.Continued) {
				res := WaitResult{PID: c.tgid, UID: c.creds.RealUID, Event: c.stopReport, StopSignal: c.stopSig, CPU: c.cpu}
				if !opts.NoWait {
					c.stopReport = 0
				}
				k.mu.Unlock()
				return res, nil
			}
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
			return WaitResult{}, errRestartSys
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
