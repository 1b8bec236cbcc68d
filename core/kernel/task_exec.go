package kernel

import (
	"path"

	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
)

// Image is a program loaded into a fresh address space, ready to replace
// a process's (see core/loader).
type Image struct {
	MM    *mm.MemoryManager
	Entry uintptr
	Stack uintptr
	// Name is the path the program was exec'd by.
	Name string
	Argv []string
	Envv []string
}

// initialRegs is the register state a new program starts with: zeros, the
// 64-bit user segments and interrupts enabled.
func initialRegs(entry, sp uintptr) platform.Registers {
	return platform.Registers{
		Rip:    uint64(entry),
		Rsp:    uint64(sp),
		Cs:     0x33,
		Ss:     0x2b,
		Eflags: 0x202,
	}
}

// Exec replaces the calling process's program with img (the point of no
// return of execve). The caller has already closed nothing; Exec closes
// close-on-exec files, resets handled signals to their default, releases
// a vfork parent, and sets the registers. The old address space is
// released (or left to a vfork parent that shares it).
//
// Other threads of the process are killed first and Exec waits until
// they are gone (Linux's de_thread): they must not run, or touch the old
// address space, while it is replaced. A thread other than the leader
// that execs takes over the process ID as its thread ID. If the caller
// is itself killed meanwhile (another thread's exit_group or exec, or
// SIGKILL), the image is dropped and the task ends on return.
func (t *Task) Exec(img *Image) {
	k := t.k
	k.mu.Lock()
	tg := t.tg
	if t.killed.Load() || tg.exiting || tg.soleWaiter != nil {
		k.mu.Unlock()
		img.MM.Release()
		return
	}
	if len(tg.tasks) > 1 {
		for _, o := range tg.tasks {
			if o != t {
				o.kill()
			}
		}
		ch := make(chan struct{})
		tg.soleWaiter = ch
		k.mu.Unlock()
		<-ch
		k.mu.Lock()
		if t.killed.Load() || tg.exiting {
			k.mu.Unlock()
			img.MM.Release()
			return
		}
	}
	if tg.leader != t {
		delete(tg.tasks, t.tid)
		delete(k.pids.tasks, t.tid)
		t.tid = tg.tgid
		tg.leader = t
		tg.tasks[t.tid] = t
		k.pids.tasks[t.tid] = t
	}
	// Handled signals revert to the default; ignored ones stay ignored.
	h := tg.handlers.clone()
	for i := range h.act {
		if h.act[i].Handler != SigDfl && h.act[i].Handler != SigIgn {
			h.act[i] = SigAction{}
		}
	}
	tg.handlers = h
	tg.execTimersLocked() // POSIX timers end at exec; alarm survives
	tg.creds.execCaps()
	tg.execName = img.Name
	tg.args = img.Argv
	tg.env = img.Envv
	vforkDone := tg.vforkDone
	tg.vforkDone = nil
	k.mu.Unlock()

	// The robust futexes of the old program die with it.
	t.exitRobustList()
	old := tg.mm.Swap(newMMRef(img.MM))
	if old != nil {
		// The new address space may take over the old one's host
		// resources (platform.Successor) if nothing else uses it: no
		// vfork parent shares it, and the other threads are gone.
		if s, ok := img.MM.AddressSpace().(platform.Successor); ok && old.users.Load() == 1 {
			s.Succeed(old.mm.AddressSpace())
		}
		old.decRef()
	}
	if vforkDone != nil {
		close(vforkDone)
	}
	if res := tg.Resources(); res != nil {
		if c, ok := res.Files.(CloseOnExecer); ok {
			c.CloseOnExec()
		}
	}
	t.SetComm(path.Base(img.Name))
	t.mu.Lock()
	t.clearChildTID = 0
	t.robustList = 0
	t.altStack = SignalStack{}
	t.mu.Unlock()
	t.state = platform.State{Regs: initialRegs(img.Entry, img.Stack)}
}
