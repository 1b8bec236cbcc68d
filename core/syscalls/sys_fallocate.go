package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysFallocate, sysFallocate, argInt, argFD, argHex, argInt, argInt)
	})
}

// sysFallocate implements fallocate(2); vfs.FileDescription.Allocate has
// the rules, and the filesystem (memfs: tmpfs and the overlay's upper
// layer) does the work, or answers EOPNOTSUPP.
func sysFallocate(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	return 0, f.Allocate(uint32(a[1]), int64(a[2]), int64(a[3]))
}
