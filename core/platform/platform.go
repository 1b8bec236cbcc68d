// Package platform defines how Ward runs application code: how an address
// space is built and how an application thread is run until it makes a
// system call, faults, receives a signal or is interrupted.
//
// The package holds interfaces only. Implementations live under platforms/
// (platforms/ptrace first) and register themselves with core/registry under
// kind "platform"; their constructor returns a Platform.
//
// The model: all application memory lives in the kernel's memory file. An
// AddressSpace is a set of windows of that file (or of any file descriptor
// the kernel owns) mapped at fixed application addresses; the platform
// reflects them into whatever really executes the code (for ptrace, a stub
// process). A Context is one application thread's execution vehicle; the
// kernel's task goroutine calls Switch with the thread's register state and
// gets back the reason the thread stopped.
package platform

import "golang.org/x/sys/unix"

// Registers is the general-purpose register state of an x86-64 thread, in
// the layout of struct user_regs_struct (<sys/user.h>).
type Registers = unix.PtraceRegs

// State is everything of an application thread that a Context runs.
type State struct {
	// Regs are the general-purpose registers, including fs_base/gs_base.
	Regs Registers

	// FP is the thread's x87/SSE/AVX state in XSAVE layout (at least the
	// 512-byte legacy FXSAVE area). A nil FP means "the initial state";
	// Switch fills it in on return so that the thread can continue on a
	// different host thread or address space (fork, exec).
	FP []byte
}

// Prot is a set of access permissions for a mapping.
type Prot uint32

// Access permissions; they match PROT_READ, PROT_WRITE and PROT_EXEC.
const (
	ProtRead  Prot = 0x1
	ProtWrite Prot = 0x2
	ProtExec  Prot = 0x4
)

// Platform creates address spaces and contexts.
type Platform interface {
	// NewAddressSpace returns a new, empty address space.
	NewAddressSpace() (AddressSpace, error)

	// NewContext returns a context for one new application thread.
	NewContext() (Context, error)

	// MinUserAddress and MaxUserAddress bound the addresses applications
	// may map: [MinUserAddress, MaxUserAddress). The platform keeps its own
	// pages (the stub) outside that range.
	MinUserAddress() uintptr
	MaxUserAddress() uintptr

	// Close releases everything the platform holds.
	Close() error
}

// AddressSpace is an application address space: windows of files mapped at
// fixed addresses. Addresses, offsets and lengths are page-aligned.
type AddressSpace interface {
	// MapFile maps [offset, offset+length) of the file fd at addr with the
	// given permissions, shared (writes go to the file), replacing whatever
	// was mapped there. The caller keeps ownership of fd.
	MapFile(addr uintptr, fd int, offset int64, length uintptr, prot Prot) error

	// Unmap removes every mapping in [addr, addr+length).
	Unmap(addr, length uintptr) error

	// Release destroys the address space. It must not be in use by any
	// Context.
	Release()
}

// Batcher is implemented by an AddressSpace whose MapFile and Unmap each
// cost a round trip to something outside Ward (on the ptrace platform, a
// system call injected into a stub process) and that can apply several
// at once more cheaply. Between BeginBatch and EndBatch, MapFile and Unmap
// only validate their arguments and queue the change; EndBatch applies the
// queue in order and returns the first error. A failed EndBatch leaves the
// address space unusable, as a failed MapFile may.
//
// The caller must call EndBatch before anything may rely on the changes:
// core/mm brackets one operation with them while it holds its lock, so
// that an application thread of the address space sees the changes no
// later than when the operation returns, as without batching. Batches do
// not nest.
type Batcher interface {
	BeginBatch()
	EndBatch() error
}

// StableFiles is implemented by a Platform that can remember what it learns
// about a descriptor passed to MapFile. The kernel maps nothing but its
// memory file, and declares it once, so that the platform need not ask
// the host about the descriptor on every MapFile (on ptrace, two system
// calls each).
type StableFiles interface {
	// DeclareStableFile says that fd stays open, naming the same open
	// file, until the platform is closed.
	DeclareStableFile(fd int) error
}

// Successor is implemented by an AddressSpace that, before it has ever
// run, can take over the host resources of another one that is about to be
// released: exec replaces a process's address space with a new one, and
// the old one's resources (on the ptrace platform, a stub process with a
// thread that the exec'ing task already traces) cost less to reuse than new
// ones cost to make.
type Successor interface {
	// Succeed makes the receiver take over old's host resources if it
	// can, and reports whether it did. It is called by the goroutine
	// that will run the receiver next, after exec's point of no return;
	// old must not be used again but to be released, and nothing may run
	// in it meanwhile. Whatever old mapped is unmapped before anything
	// runs in the receiver.
	Succeed(old AddressSpace) bool
}

// StopReason says why Switch returned.
type StopReason int

// Reasons for Switch to return.
const (
	// StopSyscall: the thread made a system call; the number is in
	// Regs.Orig_rax and the arguments in Rdi, Rsi, Rdx, R10, R8, R9. The
	// host did not execute it. Regs.Rip already points after the syscall
	// instruction; the kernel puts the result in Regs.Rax.
	StopSyscall StopReason = iota

	// StopFault: the thread took a synchronous fault (SIGSEGV, SIGBUS,
	// SIGFPE, SIGILL, SIGTRAP); Signo, Code and Addr describe it.
	StopFault

	// StopSignal: an asynchronous host signal arrived for the thread
	// (Signo); the kernel decides what it means.
	StopSignal

	// StopInterrupted: Interrupt was called.
	StopInterrupted
)

func (r StopReason) String() string {
	switch r {
	case StopSyscall:
		return "syscall"
	case StopFault:
		return "fault"
	case StopSignal:
		return "signal"
	case StopInterrupted:
		return "interrupted"
	}
	return "unknown"
}

// Stop describes why a thread stopped.
type Stop struct {
	Reason StopReason

	// Signo, Code and Addr are the signal number, si_code and si_addr of a
	// fault or signal.
	Signo int
	Code  int32
	Addr  uintptr

	// Access is the access that caused a fault (StopFault), as far as
	// the platform can tell: ProtRead, ProtWrite or ProtExec, or zero if
	// it does not know. A platform that reports SIGSEGV with SEGV_ACCERR
	// (a protection fault on a mapped page) sets it to ProtExec when the
	// fault was an instruction fetch and to ProtWrite otherwise (a read
	// of a mapped page never faults on x86-64), so that the kernel can
	// tell writes to copy-on-write pages, which it resolves, from real
	// violations; a guess is enough (see mm.HandleFault).
	Access Prot
}

// Context runs one application thread.
//
// Preconditions: a Context is used by one goroutine at a time, and that
// goroutine is locked to its OS thread (runtime.LockOSThread) for the whole
// life of the Context, because a tracer owns its tracees per host thread.
// Interrupt alone may be called from any goroutine.
type Context interface {
	// Switch runs the thread with state st in address space as until it
	// stops, and returns why; st then holds the thread's current state.
	// A non-nil error means the platform itself failed (the thread cannot
	// continue), never that the application misbehaved.
	Switch(as AddressSpace, st *State) (Stop, error)

	// Interrupt makes a running Switch return StopInterrupted promptly, or
	// the next Switch return it at once. It may be called from any
	// goroutine.
	Interrupt()

	// Release frees the context's host resources.
	Release()
}

// VDSOProvider is a Platform whose address spaces all have a vDSO (code
// that reads the clocks without a system call) mapped at the same place,
// above MaxUserAddress, where the kernel's memory manager never maps. The
// kernel passes the address to programs as AT_SYSINFO_EHDR.
type VDSOProvider interface {
	// VDSO returns the address of the vDSO's ELF image and every region
	// of the vDSO block (for /proc/[pid]/maps), or 0 and nil if there is
	// none.
	VDSO() (uintptr, []VDSORegion)
}

// VDSORegion is one mapping of a vDSO block.
type VDSORegion struct {
	Name       string // "[vvar]", "[vdso]", ...
	Start, End uintptr
}
