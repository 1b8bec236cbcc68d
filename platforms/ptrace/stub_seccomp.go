//go:build linux && amd64

package ptrace

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// The stub's seccomp filter.
//
// Under PTRACE_SYSEMU an application's system calls stop in Ward before
// seccomp would see them (the host runs ptrace's syscall-entry work first, and
// SYSEMU skips the rest). One path still leads into the host without a
// syscall stop: a call into the legacy [vsyscall] page, which the host
// emulates (time, gettimeofday, getcpu) and reports to seccomp but not to
// ptrace. Every stub therefore installs a filter that allows a system call
// only from the stub's own code page, and answers any other with
// SECCOMP_RET_TRAP. The thread then gets a SIGSYS, which Switch reports as
// StopSignal with Signo SIGSYS, Code SYS_SECCOMP and Addr the address of the
// call. The host has already returned the thread to its caller, with Rax
// holding the vsyscall's system call number (seccomp rolls the call back).
// So the invariant is: the host executes only the system calls that Ward
// injects into stub code.

// stubFilter is the classic BPF program:
//
//	ld  [instruction_pointer high]  ; seccomp_data.instruction_pointer at 8
//	jne stubStart>>32, trap
//	ld  [instruction_pointer low]
//	and ~(pageSize-1)
//	jeq stubStart&0xffffffff, allow
//	trap: ret SECCOMP_RET_TRAP
//	allow: ret SECCOMP_RET_ALLOW
var stubFilter = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 12},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: stubStart >> 32},
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 8},
	{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: ^uint32(pageSize - 1)},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, Jf: 0, K: stubStart & 0xffff_ffff},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_TRAP},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
}

// filterProgram returns stubFilter as a struct sock_fprog followed by the
// program, for the scratch page at offset off.
func filterProgram(off uintptr) []byte {
	const progOff = 16
	b := make([]byte, progOff+8*len(stubFilter))
	le := binary.LittleEndian
	le.PutUint16(b[0:], uint16(len(stubFilter)))         // sock_fprog.len
	le.PutUint64(b[8:], uint64(stubScratch+off+progOff)) // sock_fprog.filter
	for i, f := range stubFilter {
		o := progOff + 8*i
		le.PutUint16(b[o:], f.Code)
		b[o+2], b[o+3] = f.Jt, f.Jf
		le.PutUint32(b[o+4:], f.K)
	}
	return b
}
