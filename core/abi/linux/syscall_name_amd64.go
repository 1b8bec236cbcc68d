package linux

import "strconv"

// SyscallName returns the Linux name of system call number nr ("openat"), or
// "syscall_N" for a number that is not a system call, as strace prints it.
func SyscallName(nr uintptr) string {
	if nr < NumSyscalls && SyscallNames[nr] != "" {
		return SyscallNames[nr]
	}
	return "syscall_" + strconv.FormatUint(uint64(nr), 10)
}
