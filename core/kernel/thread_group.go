package kernel

import (
	"sync/atomic"
	"time"

	"github.com/seed-a9fb2a21/ward/core/mm"
)

// ThreadGroup is a process: the tasks that share a PID, an address space,
// signal dispositions and (usually) a file table.
type ThreadGroup struct {
	k *Kernel

	// tgid is the process ID; it never changes.
	tgid int32

	// The fields below are guarded by Kernel.mu.

	leader   *Task
	tasks    map[int32]*Task
	parent   *ThreadGroup // nil for init
	children map[*ThreadGroup]struct{}
	pgid     int32
	sid      int32

	// exitSignal is sent to the parent when the process ends (SIGCHLD,
	// or the low byte of clone's flags).
	exitSignal int

	// signalWatchers are called when a signal becomes pending (signalfd;
	// see signal_watch.go).
	signalWatchers map[*func()]struct{}

	// parentDeathSignal is sent to this process when its parent ends
	// (prctl PR_SET_PDEATHSIG; 0 for none). Cleared by fork and by exec
	// of a set-ID program (Ward has none).
	parentDeathSignal int

	creds  Credentials
	limits Limits

	handlers *sigHandlers
	// pending holds process-directed signals not yet delivered, with
	// their information (signal_queue.go).
	pending sigPending

	// timers are the process's alarm, interval and POSIX timers
	// (timers.go); nil until it sets one. Guarded by Kernel.mu.
	timers *processTimers

	// exiting is set once the process has begun to die; exitStatus is
	// then final.
	exiting    bool
	exitStatus ExitStatus
	// zombie is set when every task has exited; the process waits to be
	// reaped by its parent.
	zombie bool

	// stopped is set while a job-control stop holds the process
	// (signals.go); stopSig is the signal that stopped it, and contCh is
	// closed when it continues or is killed. stopReport is the stop or
	// continue event not yet reported to a waiting parent (WUNTRACED,
	// WCONTINUED), or zero.
	stopped    bool
	stopSig    int
	contCh     chan struct{}
	stopReport WaitEvent

	// soleWaiter, when not nil, is closed once the process has a single
	// task left: execve from a multi-threaded process waits on it for
	// the other threads to die (task_exec.go).
	soleWaiter chan struct{}

	// waiters are channels of this process's tasks blocked in wait4;
	// they are closed when a child changes state.
	waiters []chan struct{}

	// vforkDone, when not nil, is closed when this process (created by
	// vfork) execs or exits, releasing its parent.
	vforkDone chan struct{}

	// execName is the path the process last exec'd; comm is in Task.
	execName string
	args     []string
	env      []string

	startTime time.Time

	// cpuTimersArmed says whether ITIMER_VIRTUAL or ITIMER_PROF is
	// armed, so that tasks need not take Kernel.mu to find out.
	cpuTimersArmed atomic.Bool

	// cpu accumulates the time the process's exited threads ran;
	// childCPU the time of its reaped children (and theirs), as Linux
	// counts RUSAGE_CHILDREN. Guarded by Kernel.mu.
	cpu      time.Duration
	childCPU time.Duration

	// exitCh, made on demand by Exited, is closed when the process
	// becomes a zombie. Guarded by Kernel.mu.
	exitCh chan struct{}

	// mm is the address space; it is replaced by exec and may be shared
	// with a vfork child or parent.
	mm atomic.Pointer[mmRef]

	// res holds the per-process resources that are not the kernel's own
	// (files, the working directory); the syscall layer owns them.
	res atomic.Pointer[Resources]
}

// Resources are the per-process resources the syscall layer manages (the
// file table, the working directory, umask). The kernel copies or shares
// them on clone and drops them on exit through these hooks.
type Resources struct {
	// Files is the file table and FS the filesystem context; both opaque
	// to the kernel.
	Files Shareable
	FS    Shareable
}

// Shareable is a resource that clone either shares (CLONE_FILES, CLONE_FS)
// or copies, and that exec and exit update.
type Shareable interface {
	// Fork returns a copy for a new process.
	Fork() Shareable
	// IncRef and DecRef count sharers; the last DecRef releases it.
	IncRef()
	DecRef()
}

// CloseOnExecer is implemented by a file table that closes its
// close-on-exec descriptors at exec.
type CloseOnExecer interface {
	CloseOnExec()
}

// mmRef counts the processes sharing an address space (vfork).
type mmRef struct {
	mm    *mm.MemoryManager
	users atomic.Int32
}

func newMMRef(m *mm.MemoryManager) *mmRef {
	r := &mmRef{mm: m}
	r.users.Store(1)
	return r
}

func (r *mmRef) incRef() { r.users.Add(1) }

func (r *mmRef) decRef() {
	if r.users.Add(-1) == 0 {
		r.mm.Release()
	}
}

// TGID returns the process ID.
func (tg *ThreadGroup) TGID() int32 { return tg.tgid }

// MM returns the process's memory manager.
func (tg *ThreadGroup) MM() *mm.MemoryManager {
	if r := tg.mm.Load(); r != nil {
		return r.mm
	}
	return nil
}

// Resources returns the process's file table and filesystem context.
func (tg *ThreadGroup) Resources() *Resources { return tg.res.Load() }

// SetResources replaces them (used once, when the init process is set up).
func (tg *ThreadGroup) SetResources(r *Resources) { tg.res.Store(r) }

// Leader returns the thread group leader.
func (tg *ThreadGroup) Leader() *Task {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.leader
}

// Args returns the process's argv and envp as of its last exec.
func (tg *ThreadGroup) Args() (argv, envv []string) {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.args, tg.env
}

// ExecName returns the path of the program the process runs.
func (tg *ThreadGroup) ExecName() string {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.execName
}

// SetParentDeathSignal implements prctl(PR_SET_PDEATHSIG).
func (tg *ThreadGroup) SetParentDeathSignal(sig int) {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	tg.parentDeathSignal = sig
}

// ParentDeathSignal implements prctl(PR_GET_PDEATHSIG).
func (tg *ThreadGroup) ParentDeathSignal() int {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.parentDeathSignal
}
