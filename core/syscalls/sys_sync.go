package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// sync and syncfs. Ward's writable filesystems are in memory (tmpfs, the
// overlay's upper layer) and its host layers are read-only, so there is
// nothing to flush: both succeed once their argument is checked.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysSync, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, nil
		}, argInt)
		tb.set(linux.SysSyncfs, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := getFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			defer f.DecRef()
			if f.IsPath() {
				return 0, unix.EBADF
			}
			return 0, nil
		}, argInt, argFD)
	})
}
