package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		// getsockname and getpeername answer for any socket; any other
		// descriptor answers ENOTSOCK, as Linux does for a non-socket
		// (shells ask getpeername of stdin at start-up).
		tb.set(linux.SysGetpeername, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, s, err := getSocket(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			defer f.DecRef()
			name, err := s.PeerName(caller(t, f, 0))
			if err != nil {
				return 0, err
			}
			return 0, copyOutSockAddrChecked(t, a[1], a[2], name)
		}, argInt, argFD, argPtr, argPtr)
		tb.set(linux.SysGetsockname, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, s, err := getSocket(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			defer f.DecRef()
			name, err := s.SockName(caller(t, f, 0))
			if err != nil {
				return 0, err
			}
			return 0, copyOutSockAddrChecked(t, a[1], a[2], name)
		}, argInt, argFD, argPtr, argPtr)
	})
}

// copyOutSockAddrChecked is copyOutSockAddr for the calls where a NULL
// address is EFAULT.
func copyOutSockAddrChecked(t *kernel.Task, addr, lenAddr uintptr, b []byte) error {
	if lenAddr == 0 {
		return errFault
	}
	var lb [4]byte
	if _, err := t.MM().CopyIn(lenAddr, lb[:]); err != nil {
		return err
	}
	if int32(le.Uint32(lb[:])) < 0 {
		return errInval
	}
	n := min(int(le.Uint32(lb[:])), len(b))
	if n > 0 {
		if _, err := t.MM().CopyOut(addr, b[:n]); err != nil {
			return err
		}
	}
	return copyOutUint32(t, lenAddr, uint32(len(b)))
}

var (
	errFault = unix.EFAULT
	errInval = unix.EINVAL
)
