package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysMmap, sysMmap, argHex, argPtr, argInt, argHex, argHex, argFD, argHex)
		tb.set(linux.SysMunmap, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.MM().MUnmap(a[0], a[1])
		}, argInt, argPtr, argInt)
		tb.set(linux.SysMprotect, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.MM().MProtect(a[0], a[1], uint32(a[2]))
		}, argInt, argPtr, argInt, argHex)
		tb.set(linux.SysBrk, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			addr, _ := t.MM().Brk(a[0])
			return addr, nil
		}, argHex, argPtr)
		tb.set(linux.SysMremap, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return t.MM().MRemap(a[0], a[1], a[2], int(a[3]), a[4])
		}, argHex, argPtr, argInt, argInt, argHex, argPtr)
		tb.set(linux.SysMadvise, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.MM().MAdvise(a[0], a[1], int(a[2]))
		}, argInt, argPtr, argInt, argInt)
		tb.set(linux.SysMsync, sysMsync, argInt, argPtr, argInt, argHex)
	})
}

func sysMmap(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], uint32(a[2]), int(a[3]), int32(a[4]), uint64(a[5])
	if off%mm.PageSize != 0 {
		return 0, unix.EINVAL
	}
	if prot&^uint32(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC|unix.PROT_GROWSDOWN|unix.PROT_GROWSUP|0x8 /* PROT_SEM */) != 0 {
		return 0, unix.EINVAL
	}
	opts := mm.MMapOpts{
		Addr:   addr,
		Length: length,
		Prot:   platform.Prot(prot & 7),
		Flags:  flags,
		Offset: off,
	}
	if flags&unix.MAP_ANONYMOUS == 0 {
		m, err := fileMappable(t, fd, &opts)
		if err != nil {
			return 0, err
		}
		opts.Mappable = m
	}
	return t.MM().MMap(opts)
}

// sysMsync: with all memory in the kernel's memory file there is no
// backing store to write back to yet; msync checks its arguments and the
// range as Linux does.
func sysMsync(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	addr, flags := a[0], int(a[2])
	if addr%mm.PageSize != 0 || flags&^(unix.MS_ASYNC|unix.MS_SYNC|unix.MS_INVALIDATE) != 0 ||
		(flags&unix.MS_ASYNC != 0 && flags&unix.MS_SYNC != 0) {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// fileMappable returns what backs a file mapping. File-backed mappings
// need the page cache (shared libraries, issue 4); until it exists they
// fail honestly with ENODEV, as for a file that cannot be mapped.
func fileMappable(t *kernel.Task, fd int32, opts *mm.MMapOpts) (mm.Mappable, error) {
	if _, err := getFile(t, fd); err != nil {
		return nil, err
	}
	return nil, unix.ENODEV
}
