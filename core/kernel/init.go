package kernel

import (
	"fmt"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"time"

	"golang.org/x/sys/unix"
)

// InitSpec describes the sandbox's first process.
type InitSpec struct {
	Credentials Credentials
	Limits      Limits
	Resources   *Resources
}

// CreateInit creates process 1 without starting it. The caller loads its
// program (Task.Exec with an Image built in the task's context) and then
// calls Start.
func (k *Kernel) CreateInit(spec InitSpec) (*Task, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.init != nil {
		return nil, fmt.Errorf("kernel: init already exists")
	}
	tid := k.pids.allocate()
	t := &Task{k: k, tid: tid, intr: make(chan struct{}, 1), comm: "init"}
	tg := &ThreadGroup{
		k:          k,
		tgid:       tid,
		leader:     t,
		tasks:      map[int32]*Task{tid: t},
		children:   map[*ThreadGroup]struct{}{},
		pgid:       tid,
		sid:        tid,
		exitSignal: int(unix.SIGCHLD),
		creds:      spec.Credentials.clone(),
		limits:     spec.Limits,
		handlers:   &sigHandlers{},
		startTime:  time.Now(),
	}
	tg.res.Store(spec.Resources)
	t.tg = tg
	k.init = tg
	k.pids.tasks[tid] = t
	k.pids.groups[tid] = tg
	k.tasks++
	return t, nil
}

// Start runs a task created by CreateInit.
func (t *Task) Start() { t.start() }

// Abandon undoes CreateInit when the init program could not be loaded;
// the kernel is then done with status st.
func (t *Task) Abandon(st ExitStatus) {
	k := t.k
	k.mu.Lock()
	delete(k.pids.tasks, t.tid)
	delete(k.pids.groups, t.tg.tgid)
	k.tasks--
	k.initExit = st
	k.done = true
	res := t.tg.res.Swap(nil)
	ref := t.tg.mm.Swap(nil)
	close(k.idle)
	k.mu.Unlock()
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
}

// SignalInit sends sig to the init process (host signals to ward are
// forwarded this way). As for Linux's init, a signal init has not asked
// for (handler left at default) would be ignored; ward forwards SIGINT,
// SIGTERM and SIGHUP as fatal so that stopping ward stops the sandbox.
func (k *Kernel) SignalInit(sig int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.init == nil || k.init.exiting {
		return
	}
	info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_KERNEL}
	k.signalGroupLocked(k.init, sig, &info)
}

// KillAll ends every process (when ward itself must stop).
func (k *Kernel) KillAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, tg := range k.pids.groups {
		if !tg.zombie {
			k.killGroupLocked(tg, ExitStatus{Signo: int(unix.SIGKILL)})
		}
	}
}
