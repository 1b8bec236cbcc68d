package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		id := func(f func(c *kernel.Credentials) uint32) Handler {
			return func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
				c := t.Credentials()
				return uintptr(f(&c)), nil
			}
		}
		tb.set(linux.SysGetuid, id(func(c *kernel.Credentials) uint32 { return c.RealUID }), argInt)
		tb.set(linux.SysGeteuid, id(func(c *kernel.Credentials) uint32 { return c.EffectiveUID }), argInt)
		tb.set(linux.SysGetgid, id(func(c *kernel.Credentials) uint32 { return c.RealGID }), argInt)
		tb.set(linux.SysGetegid, id(func(c *kernel.Credentials) uint32 { return c.EffectiveGID }), argInt)
		tb.set(linux.SysGetresuid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			c := t.Credentials()
			return 0, copyOutIDs(t, a, c.RealUID, c.EffectiveUID, c.SavedUID)
		}, argInt, argPtr, argPtr, argPtr)
		tb.set(linux.SysGetresgid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			c := t.Credentials()
			return 0, copyOutIDs(t, a, c.RealGID, c.EffectiveGID, c.SavedGID)
		}, argInt, argPtr, argPtr, argPtr)
		tb.set(linux.SysSetuid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SetUID(uint32(a[0]))
		}, argInt, argInt)
		tb.set(linux.SysSetgid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SetGID(uint32(a[0]))
		}, argInt, argInt)
		tb.set(linux.SysSetreuid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SetResUID(uint32(a[0]), uint32(a[1]), ^uint32(0))
		}, argInt, argInt, argInt)
		tb.set(linux.SysSetregid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SetResGID(uint32(a[0]), uint32(a[1]), ^uint32(0))
		}, argInt, argInt, argInt)
		tb.set(linux.SysSetresuid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SetResUID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
		}, argInt, argInt, argInt, argInt)
		tb.set(linux.SysSetresgid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SetResGID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
		}, argInt, argInt, argInt, argInt)
		tb.set(linux.SysSetfsuid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			// Without capabilities the filesystem UID follows the
			// effective UID; report it and change nothing.
			c := t.Credentials()
			return uintptr(c.FilesystemUID), nil
		}, argInt, argInt)
		tb.set(linux.SysSetfsgid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			c := t.Credentials()
			return uintptr(c.FilesystemGID), nil
		}, argInt, argInt)
		tb.set(linux.SysGetgroups, sysGetgroups, argInt, argInt, argPtr)
		tb.set(linux.SysSetgroups, sysSetgroups, argInt, argInt, argPtr)
	})
}

func copyOutIDs(t *kernel.Task, a *kernel.SyscallArgs, ids ...uint32) error {
	for i, v := range ids {
		if err := copyOutUint32(t, a[i], v); err != nil {
			return err
		}
	}
	return nil
}

const ngroupsMax = 65536

func sysGetgroups(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	size := int32(a[0])
	if size < 0 {
		return 0, unix.EINVAL
	}
	c := t.Credentials()
	if size == 0 {
		return uintptr(len(c.Groups)), nil
	}
	if int(size) < len(c.Groups) {
		return 0, unix.EINVAL
	}
	buf := make([]byte, 4*len(c.Groups))
	for i, g := range c.Groups {
		le.PutUint32(buf[4*i:], g)
	}
	if _, err := t.MM().CopyOut(a[1], buf); err != nil {
		return 0, err
	}
	return uintptr(len(c.Groups)), nil
}

func sysSetgroups(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	size := int(int32(a[0]))
	if size < 0 || size > ngroupsMax {
		return 0, unix.EINVAL
	}
	buf := make([]byte, 4*size)
	if _, err := t.MM().CopyIn(a[1], buf); err != nil {
		return 0, err
	}
	groups := make([]uint32, size)
	for i := range groups {
		groups[i] = le.Uint32(buf[4*i:])
	}
	return 0, t.SetGroups(groups)
}
