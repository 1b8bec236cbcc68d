package kernel

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// Task is one application thread.
type Task struct {
	k   *Kernel
	tg  *ThreadGroup
	tid int32

	// ctx and state belong to the task's goroutine.
	ctx   platform.Context
	state platform.State

	// ctxReady is set once ctx exists, so Interrupt can reach it.
	ctxReady atomic.Bool

	// intr carries one token per interruption; blocking calls select on
	// it (Interrupted).
	intr chan struct{}

	// killed is set when the task must exit at the next opportunity.
	killed atomic.Bool

	// Guarded by Kernel.mu.
	sigmask sigSet
	pending sigPending
	// savedMask is the mask to restore after rt_sigsuspend, when
	// hasSavedMask is set.
	savedMask    sigSet
	hasSavedMask bool
	// sigWaitSet holds the signals the task waits for in
	// rt_sigtimedwait (signal_wait.go): making one pending wakes it even
	// when blocked.
	sigWaitSet sigSet

	mu            sync.Mutex
	comm          string
	clearChildTID uintptr
	robustList    uintptr
	altStack      SignalStack
	memPolicy     MemPolicy

	// exitCode is the status of a task that called exit (not
	// exit_group): a thread's own exit.
	exitCode int

	// cpu is the time the task has spent running application code.
	cpu time.Duration

	// syscallName is set while strace is on, for the result line.
	straceEnter string
}

// TID returns the thread ID.
func (t *Task) TID() int32 { return t.tid }

// ThreadGroup returns the task's process.
func (t *Task) ThreadGroup() *ThreadGroup { return t.tg }

// Kernel returns the task's kernel.
func (t *Task) Kernel() *Kernel { return t.k }

// MM returns the task's memory manager.
func (t *Task) MM() *mm.MemoryManager { return t.tg.MM() }

// Regs returns the task's registers; only the task's goroutine (that is,
// system call handlers) may use them.
func (t *Task) Regs() *platform.Registers { return &t.state.Regs }

// State returns the task's full register state (for exec and clone).
func (t *Task) State() *platform.State { return &t.state }

// Comm returns the task's name (/proc/pid/comm, PR_GET_NAME).
func (t *Task) Comm() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.comm
}

// SetComm sets the task's name, truncated to 15 bytes as Linux does.
func (t *Task) SetComm(name string) {
	if len(name) > 15 {
		name = name[:15]
	}
	t.mu.Lock()
	t.comm = name
	t.mu.Unlock()
}

// CPUTime is how long the task has run application code.
func (t *Task) CPUTime() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cpu
}

// SetClearChildTID implements set_tid_address.
func (t *Task) SetClearChildTID(addr uintptr) {
	t.mu.Lock()
	t.clearChildTID = addr
	t.mu.Unlock()
}

// SetRobustList implements set_robust_list.
func (t *Task) SetRobustList(addr uintptr) {
	t.mu.Lock()
	t.robustList = addr
	t.mu.Unlock()
}

// RobustList implements get_robust_list for the task itself.
func (t *Task) RobustList() uintptr {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.robustList
}

// SigAltStack implements sigaltstack: returns the old stack (with
// SS_ONSTACK while the thread runs on it) and installs ss if not nil.
//
// Preconditions: called on the task's goroutine (it reads the stack
// pointer).
func (t *Task) SigAltStack(ss *SignalStack) (SignalStack, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.altStack
	sp := t.state.Regs.Rsp
	onStack := old.Size != 0 && sp > old.Sp && sp <= old.Sp+old.Size
	switch {
	case old.Size == 0:
		old.Flags = SSDisable
	case onStack:
		old.Flags = SSOnStack
	}
	if ss != nil && onStack {
		return old, unix.EPERM // not while running on it
	}
	if ss != nil {
		if ss.Flags&^(SSDisable|SSAutoDisarm) != 0 {
			return old, unix.EINVAL
		}
		if ss.Flags&SSDisable == 0 && ss.Size < MinSigStackSize {
			return old, unix.ENOMEM
		}
		t.altStack = *ss
		if ss.Flags&SSDisable != 0 {
			t.altStack = SignalStack{}
		}
	}
	return old, nil
}

// SignalStack is stack_t, the alternate signal stack.
type SignalStack struct {
	Sp    uint64
	Flags uint32
	Size  uint64
}

// Alternate signal stack flags and limits (<linux/signal.h>, <asm/signal.h>).
const (
	SSOnStack       = 1
	SSDisable       = 2
	SSAutoDisarm    = 1 << 31
	MinSigStackSize = 2048
)

// Interrupted returns the channel a blocking operation selects on: it
// receives when the task must stop blocking (a signal, a kill).
func (t *Task) Interrupted() <-chan struct{} { return t.intr }

// Interrupt wakes the task from a blocking call or from running
// application code. It may be called from any goroutine.
func (t *Task) Interrupt() {
	select {
	case t.intr <- struct{}{}:
	default:
	}
	if t.ctxReady.Load() {
		t.ctx.Interrupt()
	}
}

// kill makes the task exit at its next opportunity.
func (t *Task) kill() {
	t.killed.Store(true)
	t.Interrupt()
}

// Killed reports whether the task has been told to exit; blocking calls
// that cannot select on Interrupted poll it.
func (t *Task) Killed() bool { return t.killed.Load() }

// CheckInterrupt reports, at the start of a blocking call, whether the
// call must return at once with EINTR because a signal is waiting to act.
func (t *Task) CheckInterrupt() bool {
	if t.killed.Load() {
		return true
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.hasDeliverableLocked()
}

// drainInterrupt drops a stale interruption token before a new system
// call (one whose cause was dealt with when the last step ended), so that
// a blocking call does not return early for nothing. A token whose cause
// is still there (the task was killed, or a signal waits to act) is kept:
// a kill or signal that came after the system call stopped the thread
// must interrupt the call it makes, and not every blocking call checks
// the state before it waits (a futex wait killed this way never woke).
func (t *Task) drainInterrupt() {
	select {
	case <-t.intr:
	default:
		if !t.killed.Load() {
			return
		}
	}
	if t.CheckInterrupt() {
		select {
		case t.intr <- struct{}{}:
		default:
		}
	}
}

// Sleep blocks for d or until interrupted; it returns the time left and
// EINTR when interrupted.
func (t *Task) Sleep(d time.Duration) (time.Duration, error) {
	if d <= 0 {
		return 0, nil
	}
	if t.CheckInterrupt() {
		return d, unix.EINTR
	}
	start := time.Now()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return 0, nil
		case <-t.intr:
			if t.CheckInterrupt() {
				left := d - time.Since(start)
				if left < 0 {
					left = 0
				}
				return left, unix.EINTR
			}
		}
	}
}

var errExitTask = errors.New("task exited")

// run is the task's goroutine: it owns the OS thread, the platform context
// and the register state.
//
// Preconditions: on a runner's goroutine, locked to its OS thread
// (task_runner.go).
func (t *Task) run() {
	t.k.registerThread(t)
	defer t.k.unregisterThread(t)
	ctx, err := t.k.platform.NewContext()
	if err != nil {
		t.k.log.Error("cannot create a platform context", "tid", t.tid, "err", err)
		t.k.mu.Lock()
		t.k.killGroupLocked(t.tg, ExitStatus{Signo: int(unix.SIGKILL)})
		t.k.mu.Unlock()
		t.exit()
		return
	}
	t.ctx = ctx
	t.ctxReady.Store(true)
	defer ctx.Release()
	for !t.killed.Load() {
		if err := t.step(); err != nil {
			if err != errExitTask {
				t.k.log.Error("task failed", "tid", t.tid, "pid", t.tg.tgid, "err", err)
				t.k.mu.Lock()
				t.k.killGroupLocked(t.tg, ExitStatus{Signo: int(unix.SIGKILL)})
				t.k.mu.Unlock()
			}
			break
		}
	}
	t.exit()
}

// step runs application code until it stops, and serves the stop.
func (t *Task) step() error {
	// A job-control stop parks the task here, before it runs
	// application code again; signals that came meanwhile are delivered
	// once it continues.
	for t.waitWhileStopped() {
		t.handleSignals()
	}
	if t.killed.Load() {
		return errExitTask
	}
	m := t.MM()
	if m == nil {
		return fmt.Errorf("task has no address space")
	}
	// Interrupt a thread that computes past a CPU timer's expiry
	// (cpu_timers.go) or past the sandbox's CPU bandwidth
	// (cpu_bandwidth.go).
	bound, bounded := t.cpuTimerDeadline()
	if bw := t.k.cpuBW; bw != nil {
		left, ok := bw.admit(t)
		if !ok {
			return errExitTask
		}
		if !bounded || left < bound {
			bound, bounded = left, true
		}
	}
	begin := time.Now()
	var cpuTimer *time.Timer
	if bounded {
		cpuTimer = time.AfterFunc(bound, t.ctx.Interrupt)
	}
	stop, err := t.ctx.Switch(m.AddressSpace(), &t.state)
	ran := time.Since(begin)
	if cpuTimer != nil {
		cpuTimer.Stop()
	}
	if bw := t.k.cpuBW; bw != nil {
		bw.charge(ran)
	}
	t.mu.Lock()
	t.cpu += ran
	t.mu.Unlock()
	if err != nil {
		if t.killed.Load() {
			return errExitTask
		}
		return fmt.Errorf("platform: %w", err)
	}
	switch stop.Reason {
	case platform.StopSyscall:
		if err := t.doSyscall(); err != nil {
			return err
		}
	case platform.StopFault:
		t.handleFault(m, stop)
	case platform.StopSignal:
		t.handleHostSignal(stop)
	case platform.StopInterrupted:
	}
	// The step's time goes to the CPU timers before the signals are
	// delivered, so that an expiry's signal is too.
	t.chargeCPU(ran, time.Since(begin)-ran)
	t.handleSignals()
	return nil
}

// handleFault resolves a page fault or turns the fault into a signal.
func (t *Task) handleFault(m *mm.MemoryManager, stop platform.Stop) {
	// SEGV_MAPERR: maybe just not populated. SEGV_ACCERR: maybe a write to
	// a page shared copy-on-write after fork. mm decides; only its
	// FaultError becomes a signal.
	if stop.Signo == int(unix.SIGSEGV) && (stop.Code == mm.SegvMapErr || stop.Code == mm.SegvAccErr) {
		at := platform.Prot(0)
		if stop.Code == mm.SegvAccErr {
			at = stop.Access
			if at == 0 {
				// The platform cannot tell: a protection fault on
				// a mapped page is a write unless it is an
				// instruction fetch.
				at = platform.ProtWrite
			}
		}
		err := m.HandleFault(stop.Addr, at)
		if t.k.strace != nil {
			result := "ok"
			if err != nil {
				result = err.Error()
			}
			t.k.StraceLine(fmt.Sprintf("[%d] page fault at %#x (rip %#x, code %d, access %v): %s\n",
				t.tid, stop.Addr, t.state.Regs.Rip, stop.Code, at, result))
		}
		if err == nil {
			return
		}
		var fe *mm.FaultError
		if errors.As(err, &fe) {
			t.forceFault(int(fe.Signo), fe.Code, fe.Addr)
			return
		}
		if err == unix.ENOMEM {
			// The OOM killer frees memory; the instruction
			// faults again when the task resumes (oom.go).
			t.outOfMemory()
			return
		}
		t.k.log.Error("page fault failed", "pid", t.tg.tgid, "err", err)
		t.forceSignal(int(unix.SIGKILL))
		return
	}
	t.forceFault(stop.Signo, stop.Code, stop.Addr)
}

// handleHostSignal handles an asynchronous host signal that stopped the
// thread. SIGSYS is the stub's refusal of a vsyscall-page call.
func (t *Task) handleHostSignal(stop platform.Stop) {
	switch unix.Signal(stop.Signo) {
	case unix.SIGSYS:
		t.forceSignal(int(unix.SIGSEGV))
	default:
		// Other host signals have no meaning for the application.
	}
}

// forceSignal delivers a synchronous signal (a fault): the application
// cannot ignore or block it; with no handler delivery yet, it kills the
// process with the signal's default action.
func (t *Task) forceSignal(sig int) {
	t.forceFault(sig, 0, 0)
}

// forceFault delivers a synchronous signal (a fault) with its code and
// address: to the handler when one is installed and the signal is not
// blocked, else by killing the process (Linux's force_sig: a blocked or
// ignored fault is fatal).
func (t *Task) forceFault(sig int, code int32, addr uintptr) {
	t.k.mu.Lock()
	act := t.tg.handlers.act[sig]
	blocked := t.sigmask&sigBit(sig) != 0
	oldMask := t.sigmask
	if act.Handler == SigDfl || act.Handler == SigIgn || blocked || sig == int(unix.SIGKILL) {
		t.k.killGroupLocked(t.tg, ExitStatus{Signo: sig, Core: defaultActionOf(sig) == actCore})
		t.k.mu.Unlock()
		return
	}
	t.k.mu.Unlock()
	info := linux.Siginfo{Signo: int32(sig), Code: code}
	info.SetAddr(uint64(addr))
	if !t.deliverSignal(sig, act, &info, oldMask) {
		t.k.mu.Lock()
		t.k.killGroupLocked(t.tg, ExitStatus{Signo: int(unix.SIGSEGV), Core: true})
		t.k.mu.Unlock()
	}
}

// doSyscall dispatches the system call the thread stopped at.
func (t *Task) doSyscall() error {
	r := &t.state.Regs
	if r.Cs == 0x23 {
		// A 32-bit int 0x80 call: there is no 32-bit ABI here.
		r.Rax = errnoRax(unix.ENOSYS)
		return nil
	}
	sysno := uintptr(r.Orig_rax)
	args := SyscallArgs{uintptr(r.Rdi), uintptr(r.Rsi), uintptr(r.Rdx), uintptr(r.R10), uintptr(r.R8), uintptr(r.R9)}
	t.drainInterrupt()
	ret, err := t.k.syscalls.Call(t, sysno, &args)
	if err == errExitTask {
		return err
	}
	if err == ErrNoReturn {
		// The handler set the registers itself (execve, rt_sigreturn).
		return nil
	}
	if err != nil {
		var errno unix.Errno
		if !errors.As(err, &errno) {
			t.k.log.Error("system call failed inside the kernel", "sysno", sysno, "pid", t.tg.tgid, "err", err)
			errno = unix.EIO
		}
		if errno == errRestartNoIntr {
			// Always restarted (terminal job control).
			r.Rax = r.Orig_rax
			r.Rip -= 2
			return nil
		}
		if errno == errRestartSys {
			// Interrupted by a signal: the handler's SA_RESTART says
			// whether the call runs again after it, else EINTR.
			if t.restartSyscall() {
				r.Rax = r.Orig_rax
				r.Rip -= 2 // back onto the syscall instruction
				return nil
			}
			errno = unix.EINTR
		}
		r.Rax = errnoRax(errno)
		return nil
	}
	r.Rax = uint64(ret)
	return nil
}

// ErrNoReturn is returned by a system call handler that replaced the
// task's registers (execve): the kernel must not store a result in Rax.
var ErrNoReturn = errors.New("system call set the registers")

// ErrExit is returned by exit and exit_group: the task is done.
var ErrExit = errExitTask

// errnoRax is the Rax value of a system call that failed with e.
func errnoRax(e unix.Errno) uint64 { return uint64(-int64(e)) }

// errRestartSys is ERESTARTSYS, what interrupted blocking file operations
// return (see core/vfs Blocker).
const errRestartSys = unix.Errno(512)
