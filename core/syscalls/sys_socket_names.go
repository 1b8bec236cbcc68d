package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		// Until sockets exist, no descriptor is a socket: a valid fd
		// answers ENOTSOCK, as Linux does for a non-socket (shells ask
		// getpeername of stdin at start-up).
		notSocket := func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := getFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			f.DecRef()
			return 0, unix.ENOTSOCK
		}
		tb.set(linux.SysGetpeername, notSocket, argInt, argFD, argPtr, argPtr)
		tb.set(linux.SysGetsockname, notSocket, argInt, argFD, argPtr, argPtr)
	})
}
