package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysEventfd, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return eventfd2(t, uint32(a[0]), 0)
		}, argFD, argInt)
		tb.set(linux.SysEventfd2, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return eventfd2(t, uint32(a[0]), int(a[1]))
		}, argFD, argInt, argHex)
	})
}

// eventfd2 implements eventfd2(2) (eventfd is flags 0).
func eventfd2(t *kernel.Task, initval uint32, flags int) (uintptr, error) {
	if flags&^(unix.EFD_CLOEXEC|unix.EFD_NONBLOCK|unix.EFD_SEMAPHORE) != 0 {
		return 0, unix.EINVAL
	}
	return installFile(t, vfs.NewEventFD(uint64(initval), flags), flags&unix.EFD_CLOEXEC != 0)
}

// installFile maps the lowest free descriptor to a new description f
// (dropping the creator's reference) and returns it.
func installFile(t *kernel.Task, f *vfs.FileDescription, cloexec bool) (uintptr, error) {
	defer f.DecRef()
	fd, err := files(t).New(f, cloexec)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}
