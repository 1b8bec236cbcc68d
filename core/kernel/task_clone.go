package kernel

import (
	"encoding/binary"
	"time"

	"github.com/seed-a9fb2a21/ward/core/mm"
	"golang.org/x/sys/unix"
)

// CloneOptions are the arguments of clone and clone3.
type CloneOptions struct {
	Flags      uint64
	Stack      uintptr
	ParentTID  uintptr
	ChildTID   uintptr
	TLS        uintptr
	ExitSignal int
}

// cloneSupported are the flags Clone honours. Namespaces, CLONE_PIDFD and
// the rest are refused with EINVAL rather than silently ignored.
const cloneSupported = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_VFORK | unix.CLONE_PARENT | unix.CLONE_SETTLS |
	unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_SETTID | unix.CLONE_CHILD_CLEARTID |
	unix.CLONE_SYSVSEM | unix.CLONE_DETACHED | unix.CLONE_UNTRACED | unix.CLONE_PTRACE | unix.CLONE_IO

// NewMemoryManager returns an empty address space on the kernel's
// platform, for exec.
func (k *Kernel) NewMemoryManager() (*mm.MemoryManager, error) {
	as, err := k.platform.NewAddressSpace()
	if err != nil {
		return nil, err
	}
	m, err := mm.New(mm.Config{
		MemoryFile:   k.memfile,
		AddressSpace: as,
		MinAddr:      k.platform.MinUserAddress(),
		MaxAddr:      k.platform.MaxUserAddress(),
	})
	if err != nil {
		as.Release()
		return nil, err
	}
	return m, nil
}

// Clone implements clone(2), fork(2) and vfork(2): it creates a new task
// (a thread of the caller's process with CLONE_THREAD, else a new process)
// and returns its ID in the caller's namespace.
func (t *Task) Clone(opts CloneOptions) (int32, error) {
	f := opts.Flags
	switch {
	case f&^cloneSupported != 0:
		return 0, unix.EINVAL
	case f&unix.CLONE_THREAD != 0 && f&unix.CLONE_SIGHAND == 0:
		return 0, unix.EINVAL
	case f&unix.CLONE_SIGHAND != 0 && f&unix.CLONE_VM == 0:
		return 0, unix.EINVAL
	case f&unix.CLONE_THREAD != 0 && opts.ExitSignal != 0:
		return 0, unix.EINVAL
	case opts.ExitSignal < 0 || opts.ExitSignal > NumSignals:
		return 0, unix.EINVAL
	}

	// The address space: shared or copied.
	parentRef := t.tg.mm.Load()
	var ref *mmRef
	if f&unix.CLONE_VM != 0 {
		parentRef.incRef()
		ref = parentRef
	} else {
		as, err := t.k.platform.NewAddressSpace()
		if err != nil {
			t.k.log.Error("fork: cannot create an address space", "err", err)
			return 0, unix.ENOMEM
		}
		child, err := parentRef.mm.Fork(as)
		if err != nil {
			as.Release()
			if errno, ok := err.(unix.Errno); ok {
				return 0, errno
			}
			t.k.log.Error("fork: cannot copy the address space", "err", err)
			return 0, unix.ENOMEM
		}
		ref = newMMRef(child)
	}

	// Files and filesystem context: shared or copied.
	var res *Resources
	if pr := t.tg.Resources(); pr != nil {
		res = &Resources{}
		if pr.Files != nil {
			if f&unix.CLONE_FILES != 0 {
				pr.Files.IncRef()
				res.Files = pr.Files
			} else {
				res.Files = pr.Files.Fork()
			}
		}
		if pr.FS != nil {
			if f&unix.CLONE_FS != 0 {
				pr.FS.IncRef()
				res.FS = pr.FS
			} else {
				res.FS = pr.FS.Fork()
			}
		}
	}
	undo := func() {
		ref.decRef()
		if res != nil {
			if res.Files != nil {
				res.Files.DecRef()
			}
			if res.FS != nil {
				res.FS.DecRef()
			}
		}
	}

	child := &Task{k: t.k, intr: make(chan struct{}, 1), comm: t.Comm()}
	child.state.Regs = t.state.Regs
	child.state.FP = append([]byte(nil), t.state.FP...)
	child.state.Regs.Rax = 0
	if opts.Stack != 0 {
		child.state.Regs.Rsp = uint64(opts.Stack)
	}
	if f&unix.CLONE_SETTLS != 0 {
		child.state.Regs.Fs_base = uint64(opts.TLS)
	}
	if f&unix.CLONE_CHILD_CLEARTID != 0 {
		child.clearChildTID = opts.ChildTID
	}

	k := t.k
	k.mu.Lock()
	if t.killed.Load() || t.tg.exiting || k.done {
		// A dying process makes no children (Linux fails the fork on a
		// pending fatal signal), or a fork bomb's members, killed when
		// the sandbox ends, would go on making new ones nobody kills.
		k.mu.Unlock()
		undo()
		return 0, unix.EINTR
	}
	tid := k.pids.allocate()
	overLimit := (k.cfg.Limits.Tasks > 0 && k.tasks >= k.cfg.Limits.Tasks) || // the pids cgroup
		k.tasks >= k.MaxTasks() // threads-max: every task holds an OS thread of Ward's
	if tid == 0 || overLimit || (f&unix.CLONE_THREAD == 0 && k.countProcessesLocked(t.tg.creds.RealUID) >= int(t.tg.limits[unix.RLIMIT_NPROC].Cur) && !t.tg.creds.Privileged()) {
		k.mu.Unlock()
		undo()
		return 0, unix.EAGAIN
	}
	child.tid = tid
	child.sigmask = t.sigmask
	child.memPolicy = t.MemPolicy()
	if f&unix.CLONE_THREAD != 0 {
		child.tg = t.tg
		if t.tg.exiting {
			k.mu.Unlock()
			undo()
			return 0, unix.EINTR
		}
	} else {
		parent := t.tg
		if f&unix.CLONE_PARENT != 0 && t.tg.parent != nil {
			parent = t.tg.parent
		}
		tg := &ThreadGroup{
			k:          k,
			tgid:       tid,
			leader:     child,
			tasks:      map[int32]*Task{},
			parent:     parent,
			children:   map[*ThreadGroup]struct{}{},
			pgid:       t.tg.pgid,
			sid:        t.tg.sid,
			exitSignal: opts.ExitSignal,
			creds:      t.tg.creds.clone(),
			limits:     t.tg.limits,
			execName:   t.tg.execName,
			args:       t.tg.args,
			env:        t.tg.env,
			startTime:  time.Now(),
		}
		if f&unix.CLONE_SIGHAND != 0 {
			tg.handlers = t.tg.handlers
		} else {
			tg.handlers = t.tg.handlers.clone()
		}
		if f&unix.CLONE_VFORK != 0 {
			tg.vforkDone = make(chan struct{})
		}
		tg.mm.Store(ref)
		tg.res.Store(res)
		parent.children[tg] = struct{}{}
		k.pids.groups[tid] = tg
		child.tg = tg
	}
	if f&unix.CLONE_THREAD != 0 {
		// Threads share the process's address space and resources;
		// the references taken above are not needed.
		ref.decRef()
		if res != nil {
			if res.Files != nil {
				res.Files.DecRef()
			}
			if res.FS != nil {
				res.FS.DecRef()
			}
		}
	}
	child.tg.tasks[tid] = child
	k.pids.tasks[tid] = child
	k.tasks++
	vforkDone := child.tg.vforkDone
	k.mu.Unlock()

	var buf [4]byte
	binary.LittleEndian.PutUint32(buf[:], uint32(tid))
	if f&unix.CLONE_PARENT_SETTID != 0 {
		t.MM().CopyOut(opts.ParentTID, buf[:])
	}
	if f&unix.CLONE_CHILD_SETTID != 0 {
		child.tg.MM().CopyOut(opts.ChildTID, buf[:])
	}
	child.start()

	if f&unix.CLONE_VFORK != 0 && vforkDone != nil {
		// The parent sleeps until the child execs or exits (only a
		// kill ends the wait early, as in Linux).
		for {
			select {
			case <-vforkDone:
				return tid, nil
			case <-t.intr:
				if t.killed.Load() {
					return tid, nil
				}
			}
		}
	}
	return tid, nil
}

// countProcessesLocked counts the processes of real user uid, for
// RLIMIT_NPROC.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) countProcessesLocked(uid uint32) int {
	n := 0
	for _, tg := range k.pids.groups {
		if !tg.zombie && tg.creds.RealUID == uid {
			n++
		}
	}
	return n
}
