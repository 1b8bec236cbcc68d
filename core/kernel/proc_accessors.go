package kernel

// This file holds what /proc (fs/proc) needs from the kernel: read-only
// snapshots of processes, and the registry of host threads that tells
// /proc/self which task is asking.
//
// # Lock order
//
// hostThreads.mu is a leaf lock, below everything in the package doc's
// order: it may be taken with or without Kernel.mu held, and nothing is
// taken while it is held.

import (
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// hostThreads maps the host thread ID of each running task's goroutine to
// the task. Every task goroutine is locked to its OS thread for its whole
// life (see the package doc), so the host thread ID identifies the task
// whose system call is being served. The map is global rather than per
// Kernel because a host thread runs one task at a time whatever kernel it
// belongs to; TaskForCurrentThread checks the kernel.
var hostThreads = struct {
	mu sync.Mutex
	m  map[int]*Task // protected by mu
}{m: map[int]*Task{}}

// registerThread records that t runs on the calling OS thread.
//
// Preconditions: called on t's goroutine, after runtime.LockOSThread.
func (k *Kernel) registerThread(t *Task) {
	tid := unix.Gettid()
	hostThreads.mu.Lock()
	hostThreads.m[tid] = t
	hostThreads.mu.Unlock()
}

// unregisterThread forgets the calling OS thread's task.
//
// Preconditions: called on t's goroutine (still locked to its thread).
func (k *Kernel) unregisterThread(t *Task) {
	tid := unix.Gettid()
	hostThreads.mu.Lock()
	if hostThreads.m[tid] == t {
		delete(hostThreads.m, tid)
	}
	hostThreads.mu.Unlock()
}

// TaskForCurrentThread returns the task of k whose goroutine is the
// caller: the task whose system call is being served. It is false on any
// other goroutine (boot, tests, a filesystem's helper goroutines).
func (k *Kernel) TaskForCurrentThread() (*Task, bool) {
	tid := unix.Gettid()
	hostThreads.mu.Lock()
	t := hostThreads.m[tid]
	hostThreads.mu.Unlock()
	if t == nil || t.k != k {
		return nil, false
	}
	return t, true
}

// ProcessInfo is a consistent snapshot of a process, for /proc.
type ProcessInfo struct {
	PID, PPID, PGID, SID int32
	Credentials          Credentials
	// Threads are the live tasks in TID order.
	Threads    []*Task
	StartTime  time.Time
	ExitSignal int
	// Exiting is set once the process has begun to die.
	Exiting bool
	// ExitedCPU is the time the process's exited threads ran.
	ExitedCPU time.Duration
	// ChildrenCPU is the time its reaped children (and theirs) ran.
	ChildrenCPU time.Duration
}

// Info returns a snapshot of tg.
func (tg *ThreadGroup) Info() ProcessInfo {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	in := ProcessInfo{
		PID:         tg.tgid,
		PGID:        tg.pgid,
		SID:         tg.sid,
		Credentials: tg.creds.clone(),
		StartTime:   tg.startTime,
		ExitSignal:  tg.exitSignal,
		Exiting:     tg.exiting,
		ExitedCPU:   tg.cpu,
		ChildrenCPU: tg.childCPU,
	}
	if tg.parent != nil {
		in.PPID = tg.parent.tgid
	}
	in.Threads = make([]*Task, 0, len(tg.tasks))
	for _, t := range tg.tasks {
		in.Threads = append(in.Threads, t)
	}
	sort.Slice(in.Threads, func(i, j int) bool { return in.Threads[i].tid < in.Threads[j].tid })
	return in
}

// LastPID returns the most recently allocated process or thread ID.
func (k *Kernel) LastPID() int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pids.last
}

// MaxPID returns the bound on process IDs (/proc/sys/kernel/pid_max).
func (k *Kernel) MaxPID() int32 { return maxPID }

// Limits returns a snapshot of the process's resource limits, for
// /proc/[pid]/limits.
func (tg *ThreadGroup) Limits() Limits {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.limits
}
