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

// SignalInit forwards a signal ward received to the sandbox (see
// core/sandbox). SIGINT, SIGQUIT and SIGHUP are what a terminal sends to
// its foreground process group (^C, ^\, hangup), so they go to every
// process of the foreground group (SetForegroundGroup; init's group until
// one is set) and to init; other signals (SIGTERM) go to init alone.
func (k *Kernel) SignalInit(sig int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.init == nil || k.init.exiting {
		return
	}
	info := linux.Siginfo{Signo: int32(sig), Code: linux.SI_KERNEL}
	switch unix.Signal(sig) {
	case unix.SIGINT, unix.SIGQUIT, unix.SIGHUP:
		fg := k.fgPgrp
		if fg == 0 {
			fg = k.init.pgid
		}
		for _, tg := range k.pids.groups {
			if tg.pgid == fg && tg != k.init && !tg.zombie && !tg.exiting {
				k.signalGroupLocked(tg, sig, &info)
			}
		}
	}
	k.signalGroupLocked(k.init, sig, &info)
}

// SetForegroundGroup records the sandbox terminal's foreground process
// group (tcsetpgrp), which SignalInit signals; 0 means init's group.
func (k *Kernel) SetForegroundGroup(pgid int32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fgPgrp = pgid
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
