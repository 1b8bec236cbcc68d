//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// stub is one stub process: the host side of an address space. Its leader
// thread is a child of the master's thread and traced by it; the leader never
// runs application code, it only executes system calls injected by the
// master. Application threads are other threads of the same process (see
// thread.go).
//
// All fields are set by startStub and then owned by the master goroutine.
type stub struct {
	// pid is the stub's process id, which is its leader's thread id.
	pid int32

	// sock is Ward's end of a datagram socket pair; the stub's end is its
	// fd 0. File descriptors reach the stub over it (see stub_fds.go).
	sock int

	// regs is a template for injection: the leader's registers at its
	// first stop, with valid segment selectors and flags.
	regs unix.PtraceRegs

	// dead is set once the stub is known to have died or been reaped.
	dead bool

	// spare is the id of an idle, untraced thread cloned ahead of time
	// (by the pool), or 0; the first Switch into the address space seizes
	// it instead of having the master clone one. Read and taken
	// atomically by anyone.
	spare atomic.Int32

	// preinstalled holds the descriptors the pool installed in the stub
	// before any address space had it (Platform.hot), by file. Set by
	// startPooled.
	preinstalled map[fileKey]int

	// reaping is set by whoever hands the stub to Platform.reap, which
	// must happen once.
	reaping atomic.Bool

	// watchdog runs watch while an injection takes long; injecting is
	// set during an injection. watchdog is set by startStub.
	watchdog  *time.Timer
	injecting atomic.Bool

	// mu guards threads. It is a leaf lock.
	mu sync.Mutex
	// threads holds the ids of the stub's threads other than the leader
	// that have not been reaped. The master adds a thread when it clones
	// it; whoever reaps it removes it.
	threads map[int32]struct{}
}

// stubName is the stub's argv[0] and command name (as ps shows it).
const stubName = "ward-stub"

// errStubDied is wrapped by every error that means the stub is gone.
var errStubDied = errors.New("stub process died")

// newStubOf returns the stub for process pid, whose end of the socket is
// sock, with its watchdog made and stopped.
func newStubOf(pid int32, sock int) *stub {
	s := &stub{pid: pid, sock: sock, threads: make(map[int32]struct{})}
	s.watchdog = time.AfterFunc(time.Hour, s.watch)
	s.watchdog.Stop()
	return s
}

// startStub starts a new stub process from the image memfd and leaves its
// leader stopped, with only the stub's pages mapped.
//
// Preconditions: on the master goroutine.
func startStub(image int) (*stub, error) {
	var lastErr error
	// Exec places the stack at a random address near the top of the
	// address space; very rarely it overlaps the stub's fixed page and the
	// exec fails after its point of no return (the child is killed). Try
	// again in that case.
	for attempt := 0; attempt < 4; attempt++ {
		s, err := tryStartStub(image)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errStubDied) {
			break
		}
	}
	return nil, lastErr
}

func tryStartStub(image int) (*stub, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ptrace: socketpair for stub: %w", err)
	}
	// syscall.ForkExec forks from the calling OS thread (the master's,
	// which is locked), so that thread becomes the stub's parent and, with
	// Ptrace, its tracer: the child calls PTRACE_TRACEME and stops with
	// SIGTRAP when the exec completes. Setsid keeps the stub out of the
	// terminal's process group (no ^C reaches it); Pdeathsig kills it if
	// the master's thread dies.
	pid, err := syscall.ForkExec(fmt.Sprintf("/proc/self/fd/%d", image), []string{stubName}, &syscall.ProcAttr{
		Env:   []string{},
		Files: []uintptr{uintptr(fds[1])},
		Sys: &syscall.SysProcAttr{
			Ptrace:    true,
			Setsid:    true,
			Pdeathsig: syscall.SIGKILL,
		},
	})
	unix.Close(fds[1])
	if err != nil {
		unix.Close(fds[0])
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("ptrace: cannot start a traced stub process (PTRACE_TRACEME or exec denied: %w)", err)
		}
		return nil, fmt.Errorf("ptrace: starting stub process: %w", err)
	}
	s := newStubOf(int32(pid), fds[0])

	ws, _, err := wait(s.pid, 0)
	switch {
	case err != nil:
		s.kill()
		return nil, fmt.Errorf("ptrace: waiting for new stub %d: %w", pid, err)
	case ws.Exited() || ws.Signaled():
		s.dead = true
		unix.Close(s.sock)
		return nil, fmt.Errorf("ptrace: new stub %d ended at exec (%s): %w", pid, describeExit(ws), errStubDied)
	case ws.Stopped() && ws.StopSignal() == unix.SIGSEGV:
		// An exec that failed after its point of no return (the
		// stack placed over the stub's page) gets SIGSEGV, which a
		// traced child reports as a stop: the rare case startStub
		// tries again.
		s.kill()
		return nil, fmt.Errorf("ptrace: new stub %d got SIGSEGV at exec: %w", pid, errStubDied)
	case !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP:
		s.kill()
		return nil, fmt.Errorf("ptrace: new stub %d: unexpected first stop %#x", pid, uint32(ws))
	}

	if err := ptrace(unix.PTRACE_SETOPTIONS, s.pid, 0, ptraceOptions); err != nil {
		s.kill()
		return nil, fmt.Errorf("ptrace: PTRACE_SETOPTIONS on stub %d: %w", pid, err)
	}
	if err := ptraceGetRegs(s.pid, &s.regs); err != nil {
		s.kill()
		return nil, fmt.Errorf("ptrace: PTRACE_GETREGS on stub %d: %w", pid, err)
	}
	if s.regs.Rip != idleLoop {
		s.kill()
		return nil, fmt.Errorf("ptrace: new stub %d stopped at %#x, not at its entry %#x", pid, s.regs.Rip, uint64(idleLoop))
	}

	if err := s.prepare(); err != nil {
		s.kill()
		return nil, fmt.Errorf("ptrace: preparing stub %d: %w", pid, err)
	}
	return s, nil
}

// injector runs injected system calls in one stopped stub thread that the
// calling OS thread traces: the leader, on the master (stub), or the caller's
// own application thread in the stub (direct).
type injector interface {
	// inject makes the thread execute system call nr and returns its
	// result.
	inject(nr uintptr, args ...uintptr) (uintptr, error)

	// batch makes the thread execute calls in one round trip
	// (injectBatch); a *batchError says which call failed.
	batch(calls []call) error

	// tid is the thread, for PTRACE_PEEKDATA and PTRACE_POKEDATA.
	tid() int32
}

func (s *stub) inject(nr uintptr, args ...uintptr) (uintptr, error) { return s.syscall(nr, args...) }
func (s *stub) tid() int32                                          { return s.pid }

// batch is injectBatch into the leader, under the watchdog like syscallAt.
//
// Preconditions: as for syscall.
func (s *stub) batch(calls []call) error {
	if s.dead {
		return fmt.Errorf("ptrace: stub %d: %w", s.pid, errStubDied)
	}
	s.injecting.Store(true)
	s.watchdog.Reset(injectWatchdog)
	err := injectBatch(s.pid, s.pid, &s.regs, calls)
	s.injecting.Store(false)
	s.watchdog.Stop()
	if errors.Is(err, errStubDied) {
		s.dead = true
	}
	return err
}

// direct injects into an application thread of the stub from its own
// tracer, which is the calling OS thread: a task goroutine that is handling a
// stop of that thread (a fault, mmap, brk) changes the thread's address
// space itself, without a hand-off to the master. The thread's registers are
// clobbered, which is harmless: the next Switch loads them all. A thread
// found dead is marked so.
//
// Preconditions: the calling OS thread is t's tracer; t is stopped; the
// caller holds t's address space's mu.
type direct struct {
	t    *thread
	tmpl *unix.PtraceRegs
}

func (d *direct) inject(nr uintptr, args ...uintptr) (uintptr, error) {
	r, err := injectSyscall(d.t.tid, d.tmpl, syscallSlot, syscallTrap, nr, args...)
	d.checkDied(err)
	return r, err
}

func (d *direct) batch(calls []call) error {
	err := injectBatch(d.t.pid, d.t.tid, d.tmpl, calls)
	d.checkDied(err)
	return err
}

// checkDied marks the thread dead if err says it died and it was reaped.
func (d *direct) checkDied(err error) {
	if errors.Is(err, errStubDied) && !d.t.dead {
		if reaped(d.t.tid) {
			d.t.dead = true
			d.t.as.stub.forgetThread(d.t.tid)
		}
	}
}

func (d *direct) tid() int32 { return d.t.tid }

// cloneIdle injects clone(2) into the leader at the clone slot: the new
// thread, not traced, goes to the idle loop. It returns the thread's id.
//
// Preconditions: on the master goroutine.
func (s *stub) cloneIdle() (int32, error) {
	const flags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
		unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_UNTRACED
	// The child gets the leader's stack pointer (newsp 0); the idle
	// loop uses no stack.
	r, err := s.syscallAt(cloneSlot, cloneTrap, unix.SYS_CLONE, flags, 0, 0, 0, 0)
	if err != nil {
		return 0, fmt.Errorf("ptrace: stub %d: injected clone: %w", s.pid, err)
	}
	tid := int32(r)
	s.addThread(tid)
	return tid, nil
}

// syscall injects system call nr into the stub's leader and returns its
// result.
//
// Preconditions: on the master goroutine; the stub is not dead.
func (s *stub) syscall(nr uintptr, args ...uintptr) (uintptr, error) {
	if s.dead {
		return 0, fmt.Errorf("ptrace: stub %d: %w", s.pid, errStubDied)
	}
	return s.syscallAt(syscallSlot, syscallTrap, nr, args...)
}

// syscallAt is syscall at another slot of the stub's code.
//
// Preconditions: as for syscall.
func (s *stub) syscallAt(slot, trap uint64, nr uintptr, args ...uintptr) (uintptr, error) {
	if s.dead {
		return 0, fmt.Errorf("ptrace: stub %d: %w", s.pid, errStubDied)
	}
	// If the stub is killed while the leader runs the call, the host
	// reports the leader's death only once every other thread of the stub
	// has been reaped, and a thread whose tracer is an idle task goroutine
	// is reaped by nobody: the wait below would never return. A watchdog
	// reaps such dead threads while the call takes long.
	s.injecting.Store(true)
	s.watchdog.Reset(injectWatchdog)
	r, err := injectSyscall(s.pid, &s.regs, slot, trap, nr, args...)
	s.injecting.Store(false)
	s.watchdog.Stop()
	if errors.Is(err, errStubDied) {
		s.dead = true
	}
	return r, err
}

// injectSyscall makes the thread tid, which is in a ptrace stop, execute
// system call nr with args at slot, and waits until it traps at trap right
// after the call. regs supplies every register the call does not set. It
// returns the call's result, or its errno as an error.
//
// Preconditions: the calling OS thread is tid's tracer; tid is stopped.
func injectSyscall(tid int32, tmpl *unix.PtraceRegs, slot, trap uint64, nr uintptr, args ...uintptr) (uintptr, error) {
	regs := *tmpl
	regs.Rip = slot
	regs.Rax = uint64(nr)
	var a [6]uintptr
	copy(a[:], args)
	regs.Rdi, regs.Rsi, regs.Rdx = uint64(a[0]), uint64(a[1]), uint64(a[2])
	regs.R10, regs.R8, regs.R9 = uint64(a[3]), uint64(a[4]), uint64(a[5])
	if err := runToTrap(tid, &regs, trap, fmt.Sprintf("injected syscall %d", nr)); err != nil {
		return 0, err
	}
	return errnoResult(regs.Rax)
}

// runToTrap loads regs into the stopped thread tid, continues it and waits
// until it traps (int3) with rip at trap; regs then holds the thread's
// registers there. what names the injection in errors.
//
// Preconditions: the calling OS thread is tid's tracer; tid is stopped.
func runToTrap(tid int32, regs *unix.PtraceRegs, trap uint64, what string) error {
	regs.Orig_rax = ^uint64(0) // no system call to restart
	if err := ptraceSetRegs(tid, regs); err != nil {
		return threadError(tid, "PTRACE_SETREGS", err)
	}
	// Other stops (a signal that was pending) are suppressed and the
	// thread continued; a bound keeps a misbehaving stub from looping.
	for i := 0; i < 100; i++ {
		if err := ptrace(unix.PTRACE_CONT, tid, 0, 0); err != nil {
			return threadError(tid, "PTRACE_CONT", err)
		}
		ws, _, err := wait(tid, 0)
		if err != nil {
			return threadError(tid, "wait4", err)
		}
		if ws.Exited() || ws.Signaled() {
			return fmt.Errorf("ptrace: stub thread %d %s during %s: %w", tid, describeExit(ws), what, errStubDied)
		}
		if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP || event(ws) != 0 {
			continue
		}
		if err := ptraceGetRegs(tid, regs); err != nil {
			return threadError(tid, "PTRACE_GETREGS", err)
		}
		if regs.Rip != trap {
			return fmt.Errorf("ptrace: stub thread %d trapped at %#x after %s, want %#x", tid, regs.Rip, what, trap)
		}
		return nil
	}
	return fmt.Errorf("ptrace: stub thread %d: %s did not complete", tid, what)
}

// injectWatchdog is how long an injected system call may take before the
// watchdog starts reaping dead threads (see syscallAt).
const injectWatchdog = 50 * time.Millisecond

// watch is the watchdog's function: it reaps exited threads, and again
// every injectWatchdog while the injection lasts. A late run after the
// injection is harmless.
func (s *stub) watch() {
	s.reapExited()
	if s.injecting.Load() {
		s.watchdog.Reset(injectWatchdog)
	}
}

// reapExited reaps those of the stub's other threads that have exited. It
// runs on any goroutine and never consumes a stop: only exits.
func (s *stub) reapExited() {
	for _, tid := range s.threadList() {
		if exited(tid) {
			s.forgetThread(tid)
		}
	}
}

// addThread records a new thread of the stub.
func (s *stub) addThread(tid int32) {
	s.mu.Lock()
	s.threads[tid] = struct{}{}
	s.mu.Unlock()
}

// forgetThread removes a reaped thread.
func (s *stub) forgetThread(tid int32) {
	s.mu.Lock()
	delete(s.threads, tid)
	s.mu.Unlock()
}

func (s *stub) threadList() []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	tids := make([]int32, 0, len(s.threads))
	for tid := range s.threads {
		tids = append(tids, tid)
	}
	return tids
}

// threadError wraps the error of a ptrace operation on tid; ESRCH means the
// thread is gone (or not stopped, which for Ward's tracees means dying).
func threadError(tid int32, op string, err error) error {
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("ptrace: %s on stub thread %d: %w: %w", op, tid, err, errStubDied)
	}
	return fmt.Errorf("ptrace: %s on stub thread %d: %w", op, tid, err)
}

func describeExit(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("was killed by %v", ws.Signal())
	}
	return fmt.Sprintf("changed state %#x", uint32(ws))
}

// kill kills the stub and reaps it.
//
// Preconditions: on the master goroutine.
func (s *stub) kill() {
	s.reap()
}

// reap kills the stub and reaps its leader and its other threads. The
// other threads are traced by task goroutines' threads, but any thread of
// Ward may reap a tracee of another thread of Ward; a thread its tracer has
// already reaped reports ECHILD. The leader can be reaped only after all other
// threads, so reaping polls with a deadline rather than block: Ward never
// hangs here, it reports the stub it could not reap.
//
// Preconditions: on the master goroutine.
func (s *stub) reap() error {
	s.watchdog.Stop()
	if s.sock >= 0 {
		unix.Close(s.sock)
		s.sock = -1
	}
	// SIGKILL ends every thread of the stub, also ones in a ptrace stop.
	if err := unix.Kill(int(s.pid), unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("ptrace: killing stub %d: %w", s.pid, err)
	}
	s.dead = true
	pending := s.threadList()
	leader := true
	deadline := time.Now().Add(10 * time.Second)
	for delay := 50 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		left := pending[:0]
		for _, tid := range pending {
			if !reaped(tid) {
				left = append(left, tid)
			}
		}
		pending = left
		if len(pending) == 0 {
			s.mu.Lock()
			clear(s.threads)
			s.mu.Unlock()
		}
		if len(pending) == 0 && leader && reaped(s.pid) {
			leader = false
		}
		if len(pending) == 0 && !leader {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ptrace: stub %d: threads %v (leader unreaped: %v) not reaped 10s after SIGKILL", s.pid, pending, leader)
		}
		time.Sleep(delay)
	}
}

// reaped polls tid once and reports whether it has been reaped, by this call
// or before it. It consumes only an exit, never a stop.
func reaped(tid int32) bool {
	return exited(tid) || errors.Is(waitExited(tid), unix.ECHILD)
}

// exited reaps tid if it has exited, and reports whether it did.
func exited(tid int32) bool {
	return waitExited(tid) == nil
}

// waitExited reaps tid if it has exited: nil if it did, errNotExited if it
// has not, or the error of waitid (ECHILD: not ours, or reaped already).
func waitExited(tid int32) error {
	var si unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, int(tid), &si, unix.WEXITED|unix.WNOHANG|unix.WALL, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return err
		case si.Signo == 0: // WNOHANG and no exit yet
			return errNotExited
		}
		return nil
	}
}

var errNotExited = errors.New("not exited")
