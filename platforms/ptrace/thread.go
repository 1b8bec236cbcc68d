//go:build linux && amd64

package ptrace

import (
	"bytes"
	"fmt"
	"time"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// interruptSignal is the signal Context.Interrupt sends to a running stub
// thread. A stub has no children, so it never gets a SIGCHLD from the host
// kernel; one sent by Ward with tgkill (si_code SI_TKILL, si_pid Ward's pid)
// is recognised, suppressed and reported as StopInterrupted. SIGCHLD is not
// queued, so at most one stale interrupt is ever pending.
const interruptSignal = unix.SIGCHLD

// siTkill is the si_code of a signal sent with tkill or tgkill.
const siTkill = -6

// User-mode segment selectors of x86-64 Linux (__USER_CS, __USER_DS).
const (
	userCS = 0x33
	userSS = 0x2b
)

// wardPid is Ward's own process id, the si_pid of its interrupts.
var wardPid = int32(unix.Getpid())

// thread is one stub thread that runs application code: a thread of an
// address space's stub process, traced by one OS thread of Ward (the thread
// of the task goroutine that created it by calling Switch).
//
// A thread is used only on its tracer's OS thread, by the goroutine of the
// Context that owns it; its fields need no lock.
type thread struct {
	as     *addressSpace
	pid    int32 // the stub's pid (thread group id)
	tid    int32
	tracer int32 // Ward's OS thread that traces tid

	// fp holds the thread's FP state as last loaded into or read from
	// the host thread (valid when fpValid).
	fp      []byte
	fpValid bool

	// dead is set once tid has been reaped.
	dead bool

	// cpu is the CPU tid is bound to; -1 before the first bind,
	// noBinding if binding failed (a cpuset that forbids it).
	cpu int

	// regs and si are buffers for ptrace, kept here to stay off the
	// Go stack.
	regs unix.PtraceRegs
	si   siginfo
}

// newThread creates a stub thread in a and makes the calling OS thread its
// tracer: the stub's spare thread is taken, or the master clones a thread
// (either is idle and untraced), then this thread seizes it with
// PTRACE_SEIZE and stops it with PTRACE_INTERRUPT.
// Seizing sends no signal, so no group stop disturbs the stub's other
// threads.
//
// Preconditions: the caller is locked to its OS thread, whose id is tracer.
func newThread(a *addressSpace, tracer int32) (*thread, error) {
	tid, err := a.cloneThread()
	if err != nil {
		return nil, err
	}
	t := &thread{as: a, pid: a.stub.pid, tid: tid, tracer: tracer, fp: make([]byte, a.p.xsize), cpu: -1}
	// On failure the new thread is left idle in the stub; it is killed
	// and reaped with the stub.
	if err := ptrace(unix.PTRACE_SEIZE, tid, 0, ptraceOptions); err != nil {
		return nil, threadError(tid, "PTRACE_SEIZE", err)
	}
	if err := ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); err != nil {
		return nil, threadError(tid, "PTRACE_INTERRUPT", err)
	}
	for i := 0; i < 100; i++ {
		ws, _, err := wait(tid, 0)
		if err != nil {
			return nil, threadError(tid, "wait4", err)
		}
		if ws.Exited() || ws.Signaled() {
			t.reaped()
			return nil, fmt.Errorf("ptrace: new stub thread %d %s: %w", tid, describeExit(ws), errStubDied)
		}
		if event(ws) == unix.PTRACE_EVENT_STOP {
			a.addTracer(t)
			return t, nil
		}
		// A signal-delivery stop came first: suppress it and go on to
		// the interrupt's stop.
		if err := ptrace(unix.PTRACE_CONT, tid, 0, 0); err != nil {
			return nil, threadError(tid, "PTRACE_CONT", err)
		}
	}
	return nil, fmt.Errorf("ptrace: new stub thread %d never stopped for its tracer", tid)
}

// reaped records that tid has been reaped.
func (t *thread) reaped() {
	t.dead = true
	t.as.stub.forgetThread(t.tid)
}

// noBinding is thread.cpu when the thread cannot be bound.
const noBinding = -2

// follow binds the thread to the CPU its tracer runs on now. A tracer and
// its tracee hand control to each other on every stop; on one CPU that is a
// plain context switch, across CPUs it is a cross-CPU wakeup each way, which
// in a virtual machine costs several times more (measured here: ~8us against
// 10-45us per system call). The tracer itself is never pinned: its thread
// goes where the host scheduler puts it, and the stub thread follows.
func (t *thread) follow() {
	if t.cpu == noBinding {
		return
	}
	cpu := getcpu()
	if cpu < 0 || cpu == t.cpu {
		return
	}
	if err := bindToCPU(t.tid, cpu); err != nil {
		t.cpu = noBinding
		return
	}
	t.cpu = cpu
}

// run is Context.Switch for this thread: load st, run until a stop that
// concerns the kernel, save st.
//
// Preconditions: on t's tracer thread; t is stopped and not dead.
func (t *thread) run(c *context, st *platform.State) (platform.Stop, error) {
	if err := t.load(st); err != nil {
		return platform.Stop{}, err
	}
	c.running.Store(t)
	// Checked after publishing t, so that an Interrupt either sees t and
	// signals it, or is seen here.
	if c.interrupt.Swap(false) {
		c.running.Store(nil)
		return platform.Stop{Reason: platform.StopInterrupted}, nil
	}
	t.follow()
	stop, err := t.wait(c)
	c.running.Store(nil)
	if err != nil {
		return platform.Stop{}, err
	}
	err = t.save(st)
	if stop.Reason == platform.StopFault {
		stop.Access = faultAccess(stop, st.Regs.Rip)
	}
	return stop, err
}

// segvAccErr is SEGV_ACCERR, the si_code of a protection fault.
const segvAccErr = 2

// faultAccess guesses the access of a fault from its stop and the thread's
// instruction pointer: ptrace does not expose the page-fault error code.
// Only protection faults (SIGSEGV with SEGV_ACCERR) are classified: a read
// of a mapped page never faults on x86-64, so such a fault is an
// instruction fetch if the address is the instruction's own (rip, or the
// start of the next page for an instruction that straddles it) and a
// write otherwise. Other faults report zero (unknown).
func faultAccess(stop platform.Stop, rip uint64) platform.Prot {
	if stop.Signo != int(unix.SIGSEGV) || stop.Code != segvAccErr {
		return 0
	}
	const pageSize, maxInsnLen = 4096, 15
	addr := uint64(stop.Addr)
	nextPage := (rip + pageSize) &^ (pageSize - 1)
	if addr == rip || (addr == nextPage && addr-rip < maxInsnLen) {
		return platform.ProtExec
	}
	return platform.ProtWrite
}

// wait resumes the thread with PTRACE_SYSEMU until it stops for a reason to
// report, and classifies the stop.
func (t *thread) wait(c *context) (platform.Stop, error) {
	for {
		// Restarting with signal 0 suppresses the signal of a
		// signal-delivery stop: no signal is ever delivered to a stub.
		if err := ptrace(unix.PTRACE_SYSEMU, t.tid, 0, 0); err != nil {
			return platform.Stop{}, t.fail("PTRACE_SYSEMU", err)
		}
		ws, _, err := wait(t.tid, 0)
		if err != nil {
			return platform.Stop{}, t.fail("wait4", err)
		}
		if ws.Exited() || ws.Signaled() {
			t.reaped()
			return platform.Stop{}, fmt.Errorf("ptrace: stub thread %d (stub %d) %s: %w", t.tid, t.pid, describeExit(ws), errStubDied)
		}
		if !ws.Stopped() {
			continue
		}
		if event(ws) != 0 {
			// A group stop or PTRACE_INTERRUPT stop (someone sent the
			// stub SIGSTOP): not the kernel's business, resume.
			continue
		}
		sig := ws.StopSignal()
		if sig == syscallStopSignal {
			stats.syscallStops.Add(1)
			return platform.Stop{Reason: platform.StopSyscall}, nil
		}
		if err := ptraceGetSiginfo(t.tid, &t.si); err != nil {
			return platform.Stop{}, t.fail("PTRACE_GETSIGINFO", err)
		}
		switch {
		case sig == interruptSignal && t.si.Code == siTkill && t.si.pid() == wardPid:
			if c.interrupt.Swap(false) {
				return platform.Stop{Reason: platform.StopInterrupted}, nil
			}
			// A stale interrupt, already reported by an earlier Switch.
			continue
		case isFault(sig) && t.si.Code > 0:
			// Sent by the host kernel for an instruction of the thread
			// (si_code > 0; kill and tgkill have si_code <= 0).
			stats.faultStops.Add(1)
			return platform.Stop{Reason: platform.StopFault, Signo: int(sig), Code: t.si.Code, Addr: uintptr(t.si.Union)}, nil
		case sig == unix.SIGSYS:
			// From the stub's seccomp filter (stub_seccomp.go): Addr
			// is si_call_addr.
			return platform.Stop{Reason: platform.StopSignal, Signo: int(sig), Code: t.si.Code, Addr: uintptr(t.si.Union)}, nil
		default:
			return platform.Stop{Reason: platform.StopSignal, Signo: int(sig), Code: t.si.Code}, nil
		}
	}
}

func isFault(sig unix.Signal) bool {
	switch sig {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP:
		return true
	}
	return false
}

// fail wraps the error of a ptrace operation; if the thread is gone it is
// reaped if possible and marked dead.
func (t *thread) fail(op string, err error) error {
	err = threadError(t.tid, op, err)
	if reaped(t.tid) {
		t.reaped()
	}
	return err
}

// load puts st into the host thread. Cs and Ss are forced to the 64-bit user
// selectors and invalid data selectors to 0 (the host refuses others), and
// Orig_rax to -1 so that the host never restarts a system call on resume.
func (t *thread) load(st *platform.State) error {
	t.regs = st.Regs
	t.regs.Orig_rax = ^uint64(0)
	t.regs.Cs, t.regs.Ss = userCS, userSS
	for _, sel := range []*uint64{&t.regs.Ds, &t.regs.Es, &t.regs.Fs, &t.regs.Gs} {
		if *sel != 0 && *sel&3 != 3 {
			*sel = 0
		}
	}
	if err := ptraceSetRegs(t.tid, &t.regs); err != nil {
		return t.fail("PTRACE_SETREGS", err)
	}
	fp := st.FP
	if fp == nil {
		fp = t.as.p.initFP
	}
	if t.fpValid && bytes.Equal(fp, t.fp) {
		return nil // the host thread holds this state already
	}
	t.fpValid = false
	t.as.p.fillFP(t.fp, fp)
	if err := ptraceSetXstate(t.tid, t.fp); err != nil {
		return t.fail("PTRACE_SETREGSET(NT_X86_XSTATE)", err)
	}
	t.fpValid = true
	return nil
}

// save reads the host thread's state into st. st.FP is replaced by a slice
// of the full XSAVE size if it has another length.
func (t *thread) save(st *platform.State) error {
	if err := ptraceGetRegs(t.tid, &st.Regs); err != nil {
		return t.fail("PTRACE_GETREGS", err)
	}
	n, err := ptraceGetXstate(t.tid, t.fp)
	if err != nil {
		t.fpValid = false
		return t.fail("PTRACE_GETREGSET(NT_X86_XSTATE)", err)
	}
	t.fpValid = n == len(t.fp)
	if len(st.FP) != n {
		st.FP = make([]byte, n)
	}
	copy(st.FP, t.fp[:n])
	return nil
}

// exit ends the thread by injecting exit(2) into it, and reaps it. A thread
// that cannot be made to exit stays in its address space's set, to be killed
// and reaped by the address space's Release.
//
// Preconditions: on t's tracer thread.
func (t *thread) exit() {
	if t.dead {
		return
	}
	t.dead = true // never to be run again, whatever happens below
	defer stats.threadExits.add(time.Now())
	if t.injectExit() || reaped(t.tid) {
		t.as.stub.forgetThread(t.tid)
	}
}

// injectExit reports whether the thread exited and was reaped, here or by
// the address space's Release.
func (t *thread) injectExit() bool {
	if err := ptraceGetRegs(t.tid, &t.regs); err != nil {
		return false
	}
	t.regs.Rip = syscallSlot
	t.regs.Rax = unix.SYS_EXIT
	t.regs.Rdi = 0
	t.regs.Orig_rax = ^uint64(0)
	if err := ptraceSetRegs(t.tid, &t.regs); err != nil {
		return false
	}
	for i := 0; i < 100; i++ {
		if err := ptrace(unix.PTRACE_CONT, t.tid, 0, 0); err != nil {
			return false
		}
		ws, _, err := wait(t.tid, 0)
		if err != nil {
			return err == unix.ECHILD
		}
		if ws.Exited() || ws.Signaled() {
			return true
		}
	}
	return false
}
