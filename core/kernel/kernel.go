// Package kernel is Ward's kernel proper: the Kernel, its tasks (threads)
// and thread groups (processes), the PID namespace, process groups and
// sessions, credentials, resource limits, signals, futexes, and the loop
// that runs each task on the platform and dispatches its system calls.
//
// # Tasks and goroutines
//
// Every task is one goroutine, locked to its OS thread for the task's
// whole life because the platform's tracer owns its threads per OS thread
// (see core/platform). The goroutine creates the task's platform.Context,
// loops on Context.Switch, and serves each stop: a system call goes to the
// SyscallTable the kernel was built with (core/syscalls), a fault to the
// memory manager or a signal. Blocking system calls block that goroutine;
// they wait on channels and select on Task.Interrupted, so a signal or a
// kill wakes them.
//
// # Lock order
//
//	Kernel.mu          the task tree: PIDs, parents and children, process
//	                   groups, sessions, zombies and waiters, signal
//	                   dispositions and pending signals, exit state
//	  Task.mu          a task's own small state (robust list, names)
//	    futex table mu
//	hostThreads.mu     (proc_accessors.go) a leaf: host thread → task
//
// Kernel.mu is one coarse lock: sandboxes are small, the tree changes
// rarely, and one lock makes exit, wait and signal delivery easy to get
// right. Nothing calls into the platform, the memory manager or a file
// while holding it, except Task.Interrupt (which only touches atomics).
package kernel

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
)

// SyscallTable serves system calls. core/syscalls provides the real one.
type SyscallTable interface {
	// Call executes system call sysno for t with the raw arguments and
	// returns the value for Rax (a negative errno is encoded by the
	// caller from err).
	Call(t *Task, sysno uintptr, args *SyscallArgs) (uintptr, error)
}

// SyscallArgs are the six raw argument registers of a system call.
type SyscallArgs [6]uintptr

// Config is what a Kernel is built from.
type Config struct {
	Platform platform.Platform
	MemFile  *memfile.File
	Syscalls SyscallTable

	// Hostname is the UTS node name.
	Hostname string

	// Log receives the kernel's events (unimplemented system calls, fatal
	// signals). Nil discards them.
	Log *slog.Logger

	// Strace, when not nil, receives one line per system call.
	Strace io.Writer

	// MaxTasks is the most tasks (threads) the sandbox may have alive at
	// once, its threads-max, whatever the cgroup limits say; zero means
	// DefaultMaxTasks. Every task holds one of Ward's OS threads, and the
	// caller must let the Go runtime have that many (debug.SetMaxThreads):
	// past its limit the runtime kills Ward.
	MaxTasks int

	// Network is the sandbox's network stack (network.go); nil serves
	// no family but the kernel's own AF_UNIX.
	Network inet.Stack

	// Limits are the sandbox's cgroup limits; zero where no controller
	// set one. The memory limit is enforced by the memory file (the
	// caller gives it the limit); the kernel enforces the task and CPU
	// limits.
	Limits cgroup.Limits
}

// Kernel is one sandbox's kernel.
type Kernel struct {
	cfg      Config
	platform platform.Platform
	memfile  *memfile.File
	syscalls SyscallTable
	log      *slog.Logger
	strace   io.Writer
	straceMu sync.Mutex

	bootTime time.Time

	futexes futexTable

	// oom is the out-of-memory killer's state (oom.go).
	oom oomState

	// cpuBW is the CPU bandwidth account, nil without a CPU limit
	// (cpu_bandwidth.go).
	cpuBW *cpuBandwidth

	// mu guards everything below; see the package doc.
	mu       sync.Mutex
	hostname string
	pids     *pidNamespace
	init     *ThreadGroup
	tasks    int // live tasks
	// idle is closed when the last task has exited after init did.
	idle chan struct{}

	// runners are the OS threads waiting for a task (task_runner.go).
	runners  runners
	done     bool
	initExit ExitStatus
	// fgPgrp is the terminal's foreground process group as the sandbox
	// last set it (SetForegroundGroup); 0 until then.
	fgPgrp int32

	unimplemented unimplementedCounter

	// warnedHandler is set once the kernel has logged that a signal
	// handler was not delivered. Guarded by mu.
	warnedHandler bool
}

// New builds a kernel. It starts no task; see StartInit.
func New(cfg Config) (*Kernel, error) {
	if cfg.Platform == nil || cfg.MemFile == nil || cfg.Syscalls == nil {
		return nil, fmt.Errorf("kernel: Platform, MemFile and Syscalls are required")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	k := &Kernel{
		cfg:      cfg,
		platform: cfg.Platform,
		memfile:  cfg.MemFile,
		syscalls: cfg.Syscalls,
		log:      log,
		strace:   cfg.Strace,
		bootTime: time.Now(),
		hostname: cfg.Hostname,
		pids:     newPIDNamespace(),
		idle:     make(chan struct{}),
		cpuBW:    newCPUBandwidth(cfg.Limits.CPUMilli, cfg.Limits.CPUPeriodMicros),
	}
	k.futexes.init()
	k.unimplemented.log = log
	if s, ok := cfg.Platform.(platform.StableFiles); ok {
		// The memory file outlives the platform (core/sandbox closes
		// the platform first).
		if err := s.DeclareStableFile(cfg.MemFile.FD()); err != nil {
			return nil, fmt.Errorf("kernel: declaring the memory file to the platform: %w", err)
		}
	}
	return k, nil
}

// Platform returns the kernel's platform.
func (k *Kernel) Platform() platform.Platform { return k.platform }

// MemoryFile returns the kernel's memory file.
func (k *Kernel) MemoryFile() *memfile.File { return k.memfile }

// Log returns the kernel's logger.
func (k *Kernel) Log() *slog.Logger { return k.log }

// BootTime is when the kernel was built; uptime counts from it.
func (k *Kernel) BootTime() time.Time { return k.bootTime }

// Hostname returns the UTS node name.
func (k *Kernel) Hostname() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.hostname
}

// SetHostname changes the UTS node name.
func (k *Kernel) SetHostname(h string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.hostname = h
}

// Strace reports whether system-call tracing is on, and writes a line.
func (k *Kernel) Strace() io.Writer { return k.strace }

// StraceLine writes one trace line atomically.
func (k *Kernel) StraceLine(line string) {
	if k.strace == nil {
		return
	}
	k.straceMu.Lock()
	io.WriteString(k.strace, line)
	k.straceMu.Unlock()
}

// Wait blocks until init has exited and every task is gone, and returns
// init's exit status.
//
// Every task is killed when init exits, so the wait after that is short;
// if tasks are still there lingerReport later, the kernel logs them (a
// task that does not die is a kernel bug, and this names it).
func (k *Kernel) Wait() ExitStatus {
	for waiting := true; waiting; {
		select {
		case <-k.idle:
			waiting = false
		case <-time.After(lingerReport):
			k.reportLingering()
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.initExit
}

// lingerReport is how often Wait reports tasks that outlive init.
const lingerReport = 10 * time.Second

// reportLingering logs the tasks left after init has exited.
func (k *Kernel) reportLingering() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.done {
		return
	}
	var left []string
	for tid, t := range k.pids.tasks {
		left = append(left, fmt.Sprintf("%d (pid %d, killed %v)", tid, t.tg.tgid, t.killed.Load()))
	}
	sort.Strings(left)
	k.log.Error("kernel bug: init has exited but tasks do not end", "count", k.tasks, "tasks", strings.Join(left, ", "))
}

// NumTasks returns the number of live tasks.
func (k *Kernel) NumTasks() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tasks
}

// DefaultMaxTasks is Config.MaxTasks when it is zero.
const DefaultMaxTasks = 16384

// MaxTasks returns the most tasks the sandbox may have alive at once
// (/proc/sys/kernel/threads-max).
func (k *Kernel) MaxTasks() int {
	if k.cfg.MaxTasks > 0 {
		return k.cfg.MaxTasks
	}
	return DefaultMaxTasks
}

// Limits returns the sandbox's cgroup limits.
func (k *Kernel) Limits() cgroup.Limits { return k.cfg.Limits }

// Unimplemented records that a system call is not implemented; the first
// call of each number is logged.
func (k *Kernel) Unimplemented(t *Task, sysno uintptr, name string) {
	k.unimplemented.record(t, sysno, name)
}

type unimplementedCounter struct {
	mu   sync.Mutex
	log  *slog.Logger
	seen map[uintptr]uint64
}

func (u *unimplementedCounter) record(t *Task, sysno uintptr, name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.seen == nil {
		u.seen = map[uintptr]uint64{}
	}
	u.seen[sysno]++
	if u.seen[sysno] == 1 {
		u.log.Warn("unimplemented system call", "sysno", sysno, "name", name, "pid", t.tg.tgid, "comm", t.Comm())
	}
}

// UnimplementedCounts returns how often each unimplemented system call was
// made.
func (k *Kernel) UnimplementedCounts() map[uintptr]uint64 {
	k.unimplemented.mu.Lock()
	defer k.unimplemented.mu.Unlock()
	out := make(map[uintptr]uint64, len(k.unimplemented.seen))
	for n, c := range k.unimplemented.seen {
		out[n] = c
	}
	return out
}
