// Package ptrace is the ptrace platform: it runs application threads as
// threads of small stub processes traced by Ward, and uses PTRACE_SYSEMU so
// that every system call an application makes stops in Ward and is never
// executed by the host. It registers itself with core/registry as platform
// "ptrace" (no configuration attributes). It needs Linux on x86-64 and the
// right to ptrace Ward's own children; New fails with an error that says so
// when ptrace is unavailable (seccomp, kernel.yama.ptrace_scope=3).
//
// # Stub processes
//
// An address space is one stub process. Its program is a static ELF image
// built in Go (stub_elf.go: an ELF header, one PT_LOAD of about twenty bytes
// of hand-assembled code, a PT_GNU_STACK), with no libc and no Go runtime. It
// is written once per Platform to a sealed memfd and executed through
// /proc/self/fd/N by syscall.ForkExec with Ptrace set: the child calls
// PTRACE_TRACEME, execs, and stops with SIGTRAP before its first instruction.
// It is put in its own session (no terminal signals reach it) and gets
// PR_SET_PDEATHSIG SIGKILL and PTRACE_O_EXITKILL, so a stub never outlives
// Ward. Before the stub is used, injected system calls give it a scratch
// page, move the host's vDSO and vvar to their fixed place (vdso.go), unmap
// everything else exec gave it (the stack) and close every
// descriptor but its socket (below; stub_prepare.go). Stubs started this way
// are rare: the pool forks new stubs from such a prepared template stub
// (stub_fork.go). The stub's memory is then:
//
//	0x0000_0000_0000 .. 0x0000_0001_0000   never mapped
//	0x0000_0001_0000 .. 0x7fff_ffef_0000   application [MinUserAddress, MaxUserAddress)
//	0x7fff_ffef_0000 .. 0x7fff_ffff_0000   host vDSO and vvar, then nothing
//	0x7fff_ffff_0000 .. 0x7fff_ffff_1000   stub code, r-x (ELF header, then code at +0x100)
//	0x7fff_ffff_1000 .. 0x7fff_ffff_2000   stub scratch, rw- (injected recvmsg arguments)
//	0x7fff_ffff_2000 .. 0x7fff_ffff_f000   never mapped
//
// The host's [vsyscall] page is in the kernel half of the address space and
// cannot be unmapped. The host emulates calls into it itself and ptrace does
// not see them, so each stub also installs a seccomp filter that allows
// system calls only from the stub's own code page. Such a call then stops as
// StopSignal SIGSYS (see stub_seccomp.go). Application system calls never
// reach the filter: PTRACE_SYSEMU stops them first.
//
// The stub's code is an idle loop of pause(2) (where new threads wait), a
// "syscall; int3" slot, a clone slot whose child jumps to the idle loop, and
// a batch slot that runs a table of system calls from the scratch page.
// To inject a system call, a tracer sets the registers of a stopped stub
// thread (rip at a slot, rax the number, the arguments), continues it with
// PTRACE_CONT and waits for the SIGTRAP of the int3; rax then holds the
// result. MapFile and Unmap inject mmap(MAP_SHARED|MAP_FIXED) and munmap
// this way.
//
// # Fast paths
//
// fork and exec each need a new stub, and every page fault, mmap and brk
// changes one, so these are on the hot path of fork+exec+wait:
//
//   - A pool (pool.go) keeps stubs started and set up ahead of time, each
//     with a spare idle thread cloned already. NewAddressSpace takes one
//     without waiting for the master, and a goroutine has the master start
//     a replacement in the background, by forking the template stub
//     (stub_fork.go), which costs less of the master's time than an exec.
//     A pooled stub that died meanwhile is reaped and skipped.
//   - A task goroutine whose OS thread traces a stub thread of the address
//     space (the thread that faulted or called mmap) injects MapFile's and
//     Unmap's system calls into that stopped thread itself, on its own CPU,
//     without a hand-off to the master. The thread's registers are
//     clobbered; the next Switch loads them all. Other callers go through
//     the master and the leader.
//   - Until the first Switch into an address space (a child that fork is
//     filling, an image exec is loading), MapFile and Unmap are queued,
//     adjacent mappings merged, and the first Switch applies the queue from
//     its new stub thread. Only the stub reads its mappings, so this cannot
//     be observed: the kernel reaches application memory through the memory
//     file. A queued MapFile holds a duplicate of Ward's descriptor until
//     then.
//   - The queue is applied in one round trip: the stub's batch slot runs a
//     table of system calls that Ward writes into its scratch page
//     (stub_batch.go).
//   - The address space is a platform.Batcher: core/mm brackets each
//     operation (a fault, fork, mprotect, munmap) with BeginBatch and
//     EndBatch, and the MapFile and Unmap calls in between cost one round
//     trip together.
//   - The first file ever mapped (the kernel's memory file) is installed
//     in each pooled stub when it is started, in the background, so a new
//     address space rarely has to install a descriptor.
//   - exec reuses the old address space's stub when the exec'ing task's
//     thread is its only application thread (succession.go): no new stub
//     thread to seize, no stub to kill, and the new address space's own
//     pooled stub goes back to the pool.
//   - Release kills the stub at once (it can never run again) and reaps its
//     threads on a goroutine of its own; Close waits for every reaper.
//
// Counters of these operations (stats.go) are printed to standard error
// when Ward exits if WARD_PTRACE_STATS is set in Ward's environment.
//
// # Descriptors
//
// MapFile gets a descriptor of Ward's, and the stub needs its own. Each stub
// is started with one end of a datagram socket pair as its fd 0. To install
// a descriptor, Ward sends it with SCM_RIGHTS and injects recvmsg(0, ...) into
// a stub thread. Each file is installed once per stub and cached by the
// file's device, inode and access mode (not by Ward's descriptor number, so
// a number that Ward closed and reused for another file is never taken for
// the first). This works for any kind of file and needs neither /proc nor
// any ptrace right of the stub over Ward.
//
// # Threads
//
// ptrace belongs to a thread, not a process, so each stub thread has one
// tracer thread in Ward:
//
//   - The master goroutine (master.go) is locked to its OS thread for the
//     life of the Platform. That thread forks every stub and traces each
//     stub's leader thread. The leader never runs application code: it only
//     executes system calls that the master injects. NewAddressSpace,
//     MapFile, Unmap and Release may be called from any goroutine; what
//     needs the leader they hand to the master and wait (see Fast paths).
//   - Application code runs in other threads of the stub, one per (address
//     space, tracer OS thread) pair that a Context has run in. The
//     goroutine that calls Context.Switch is locked to its OS thread, and
//     that thread traces the stub threads it runs. On the first Switch into
//     an address space, the stub's spare thread is taken, or the master
//     injects clone(CLONE_VM|CLONE_THREAD|CLONE_UNTRACED|...) into the
//     leader. The new thread starts untraced in the idle loop. The Switch
//     caller attaches it with PTRACE_SEIZE (with EXITKILL) and stops it
//     with PTRACE_INTERRUPT. No signal is sent, so
//     the stub's other threads see no group stop. A Context that moves to
//     another address space (fork, exec) gets a stub thread there and keeps
//     the old one for when it comes back.
//   - Switch loads the registers (PTRACE_SETREGS) and the FP state
//     (PTRACE_SETREGSET NT_X86_XSTATE, skipped if the thread already holds
//     that state), resumes with PTRACE_SYSEMU, and waits for that one
//     thread with wait4(tid, __WALL). A syscall stop is StopSyscall. A
//     SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP that the host raised for
//     an instruction (si_code > 0) is StopFault; for a protection fault
//     (SIGSEGV, SEGV_ACCERR) Stop.Access is guessed from rip, since ptrace
//     does not expose the page-fault error code (faultAccess in thread.go):
//     ProtExec if the address is rip (or the next page, for an instruction
//     that straddles it), ProtWrite otherwise. Interrupt's SIGCHLD, sent
//     by tgkill from Ward, is StopInterrupted. Any other signal is
//     StopSignal. The signal is always suppressed, because the thread is
//     resumed with signal 0, so nothing is ever delivered to a stub. Before
//     resuming, Switch binds the stub thread to the CPU the tracer is on:
//     the two hand control back and forth on every stop, and that is far
//     cheaper on one CPU.
//   - Context.Release, on its own goroutine, makes each stub thread exit by
//     injecting exit(2) into it, and reaps it. AddressSpace.Release kills
//     the stub with SIGKILL. A goroutine then reaps the leader and every
//     thread still alive; any thread of Ward may reap another thread's
//     tracee. The reaping polls with a deadline, so Ward never hangs on a
//     stub. Platform.Close releases every address space and the pool,
//     waits for the reapers and stops the master. No process or zombie is
//     left behind.
//   - If a tracer thread exits while it still traces stub threads (a task
//     goroutine that ends while locked without Context.Release),
//     PTRACE_O_EXITKILL kills those stubs. A stub thread never runs
//     untraced.
//
// Every wait is for one specific thread id, so the platform never consumes
// the status of another child of Ward. The rest of Ward must not call
// wait4(-1) or waitid(P_ALL) either.
//
// # Locks
//
// Lock order:
//
//	addressSpace.mu
//	  Platform.mu
//	    stub.mu
//
// addressSpace.mu serialises the changes to one stub's memory, descriptor
// table, socket and scratch page, and guards its descriptor cache, its queue
// and its map of tracers; it is held across an injection, which may be
// handed to the master (master.do). A function run by the master never takes
// addressSpace.mu and never calls master.do. Platform.mu and stub.mu guard
// small sets (address spaces, the pool; a stub's other threads) and are held
// only briefly, never across master.do. The master goroutine owns each
// stub's leader. stub.mu guards the set of the stub's other threads, which
// task goroutines, the master, the reapers and the watchdog of a slow
// injection all update. A Context's thread map and its stub threads
// belong to the goroutine that uses the Context. Context.Interrupt touches
// only atomics.
//
// # Killed stubs
//
// A stub killed from outside (the OOM killer, an administrator) is an error,
// never a hang. Switch gets the thread's exit from wait4. An injection into
// the leader fails at once with ESRCH, or, if the kill lands during the
// injection, gets the leader's exit. The host reports that exit only after
// every other thread of the stub has been reaped, and a thread whose tracer
// is an idle task goroutine would be reaped by nobody. So while an injection
// takes longer than 50ms, a watchdog reaps the stub's exited threads
// (waitid(WEXITED|WNOHANG), which never consumes a ptrace stop).
//
// # Cost
//
// BenchmarkSyscallRoundTrip measures one application system call: a Switch
// that returns StopSyscall, then the next Switch. On the development VM (2
// vCPUs, Firecracker, AMD EPYC) it takes about 13us when the machine is
// quiet and about 17us under a load of 3. Of that, the ptrace stop itself
// (resume, two context switches, wait) is about 8us. Each of the four
// register requests (set and get, general registers and XSAVE) is about
// 1.5us. Before Switch bound the stub thread to the tracer's CPU, the
// round trip measured 22 to 45us.
//
// A MapFile handed to the master cost 110 to 130us (the hand-off to a locked
// goroutine and back, then an injection into a leader on another CPU); one
// injected directly into the caller's own stub thread costs about 20us. A
// stub took about 0.6ms to start and 1ms to reap. With the pool, the queue,
// direct injection and background reaping, the platform's share of a
// fork+exec+wait of a small static program fell from about 11ms to about
// 2ms, most of it the injected mmaps of page faults (docs/benchmarks.md).
package ptrace
