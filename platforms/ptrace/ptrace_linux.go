//go:build linux && amd64

package ptrace

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Thin wrappers over the host system calls the platform makes. Pointers are
// converted to uintptr inside the call to unix.RawSyscall6 itself, the one
// place where the compiler keeps the object alive and unmoved.
//
// ptrace(2) requests never block, so they use RawSyscall6 (no scheduler
// hand-off); wait4 blocks and goes through unix.Wait4.

// ptraceOptions are set on every stub thread: the tracee is killed if its
// tracer thread exits (so stubs die with Ward, and a stub thread never runs
// untraced), and syscall stops are marked with 0x80.
const ptraceOptions = unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACESYSGOOD

// syscallStopSignal is WSTOPSIG of a syscall stop under PTRACE_O_TRACESYSGOOD.
const syscallStopSignal = unix.SIGTRAP | 0x80

func ptrace(req int, tid int32, addr, data uintptr) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func ptraceGetRegs(tid int32, regs *unix.PtraceRegs) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGS, uintptr(tid), 0, uintptr(unsafe.Pointer(regs)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func ptraceSetRegs(tid int32, regs *unix.PtraceRegs) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_SETREGS, uintptr(tid), 0, uintptr(unsafe.Pointer(regs)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// ptraceGetXstate reads tid's XSAVE area into buf and returns its size.
func ptraceGetXstate(tid int32, buf []byte) (int, error) {
	iov := unix.Iovec{Base: &buf[0], Len: uint64(len(buf))}
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(tid), unix.NT_X86_XSTATE, uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(iov.Len), nil
}

// ptraceSetXstate loads buf, a whole XSAVE area of the size
// ptraceGetXstate returns, into tid.
func ptraceSetXstate(tid int32, buf []byte) error {
	iov := unix.Iovec{Base: &buf[0], Len: uint64(len(buf))}
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_SETREGSET, uintptr(tid), unix.NT_X86_XSTATE, uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// siginfo is the part of siginfo_t (x86-64) that the platform reads.
type siginfo struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	// Union is si_addr for SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP, and
	// si_pid (low 32 bits), si_uid (high 32 bits) for kill and tgkill.
	Union uint64
	_     [104]byte
}

func (si *siginfo) pid() int32 { return int32(uint32(si.Union)) }

func ptraceGetSiginfo(tid int32, si *siginfo) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(si)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// wait waits for a state change of tid, which must be a tracee of the
// calling thread or, for reaping only, of another thread of Ward. It retries
// on EINTR (Go's own signals interrupt it).
func wait(tid int32, options int) (unix.WaitStatus, int, error) {
	var ws unix.WaitStatus
	for {
		got, err := unix.Wait4(int(tid), &ws, unix.WALL|options, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return ws, got, err
	}
}

// event returns the PTRACE_EVENT_* of a stopped status, or 0.
func event(ws unix.WaitStatus) int { return int(ws>>16) & 0xff }

func tgkill(pid, tid int32, sig unix.Signal) error {
	_, _, e := unix.RawSyscall(unix.SYS_TGKILL, uintptr(pid), uintptr(tid), uintptr(sig))
	if e != 0 {
		return e
	}
	return nil
}

// errnoResult turns the rax of an injected system call into a value or an
// errno, the way the C library does.
func errnoResult(rax uint64) (uintptr, error) {
	if int64(rax) < 0 && int64(rax) >= -4095 {
		return 0, unix.Errno(-int64(rax))
	}
	return uintptr(rax), nil
}

// getcpu returns the CPU the calling thread runs on.
func getcpu() int {
	var cpu uint32
	_, _, e := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	if e != 0 {
		return -1
	}
	return int(cpu)
}

// bindToCPU restricts thread tid to cpu.
func bindToCPU(tid int32, cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(int(tid), &set)
}
