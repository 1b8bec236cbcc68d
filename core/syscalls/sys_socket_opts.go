package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// getsockopt and setsockopt: the option's value crosses inet.Socket as
// bytes; each socket family decodes the options it knows.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysSetsockopt, sysSetsockopt, argInt, argFD, argInt, argInt, argPtr, argInt)
		tb.set(linux.SysGetsockopt, sysGetsockopt, argInt, argFD, argInt, argInt, argPtr, argPtr)
	})
}

func sysSetsockopt(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	level, name, optlen := int(int32(a[1])), int(int32(a[2])), int(int32(a[4]))
	if optlen < 0 {
		return 0, unix.EINVAL
	}
	val := make([]byte, min(optlen, inet.OptMax))
	if len(val) > 0 {
		if _, err := t.MM().CopyIn(a[3], val); err != nil {
			return 0, err
		}
	}
	return 0, s.SetSockOpt(caller(t, f, 0), level, name, val)
}

func sysGetsockopt(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	level, name := int(int32(a[1])), int(int32(a[2]))
	var lb [4]byte
	if _, err := t.MM().CopyIn(a[4], lb[:]); err != nil {
		return 0, err
	}
	optlen := int(int32(le.Uint32(lb[:])))
	if optlen < 0 {
		return 0, unix.EINVAL
	}
	val, err := s.GetSockOpt(caller(t, f, 0), level, name, optlen)
	if err != nil {
		return 0, err
	}
	n := min(optlen, len(val))
	if _, err := t.MM().CopyOut(a[3], val[:n]); err != nil {
		return 0, err
	}
	return 0, copyOutUint32(t, a[4], uint32(n))
}
