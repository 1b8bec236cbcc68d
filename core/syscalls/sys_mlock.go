package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"golang.org/x/sys/unix"
)

// Memory locking. Ward checks the arguments and the range as Linux does
// and answers success, but pins nothing: application memory is the memory
// file's, and the host decides whether its pages are resident. mincore and
// /proc report them as resident regardless.
func init() {
	register(func(tb *Table) {
		lockRange := func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, checkMapped(t, a[0], a[1])
		}
		tb.set(linux.SysMlock, lockRange, argInt, argPtr, argInt)
		tb.set(linux.SysMunlock, lockRange, argInt, argPtr, argInt)
		tb.set(linux.SysMlock2, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if a[2]&^1 != 0 { // MLOCK_ONFAULT
				return 0, unix.EINVAL
			}
			return 0, checkMapped(t, a[0], a[1])
		}, argInt, argPtr, argInt, argHex)
		tb.set(linux.SysMlockall, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			const mclCurrent, mclFuture, mclOnfault = 1, 2, 4
			f := int(a[0])
			if f == 0 || f&^(mclCurrent|mclFuture|mclOnfault) != 0 || f == mclOnfault {
				return 0, unix.EINVAL
			}
			return 0, nil
		}, argInt, argHex)
		tb.set(linux.SysMunlockall, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, nil
		}, argInt)
	})
}

// checkMapped returns ENOMEM unless [addr, addr+length) is entirely
// mapped, as mlock does.
func checkMapped(t *kernel.Task, addr, length uintptr) error {
	start := addr &^ (mm.PageSize - 1)
	end := addr + length
	if end < addr {
		return unix.EINVAL
	}
	for _, v := range t.MM().VMAs() {
		if v.Start <= start && start < v.End {
			start = v.End
			if start >= end {
				return nil
			}
		}
	}
	if start >= end {
		return nil
	}
	return unix.ENOMEM
}
