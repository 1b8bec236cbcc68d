package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/unixsock"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysOpenat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return openAt(t, int32(a[0]), a[1], int(a[2]), uint32(a[3]))
		}, argInt, argFD, argPath, argHex, argOct)
		tb.set(linux.SysOpen, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return openAt(t, atFDCWD, a[0], int(a[1]), uint32(a[2]))
		}, argInt, argPath, argHex, argOct)
		tb.set(linux.SysCreat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return openAt(t, atFDCWD, a[0], unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, uint32(a[1]))
		}, argInt, argPath, argOct)
		tb.set(linux.SysClose, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := files(t).Remove(int(int32(a[0])))
			if err != nil {
				return 0, err
			}
			f.DecRef()
			return 0, nil
		}, argInt, argFD)
		tb.set(linux.SysCloseRange, sysCloseRange, argInt, argInt, argInt, argHex)
		tb.set(linux.SysDup, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := getFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			defer f.DecRef()
			fd, err := files(t).New(f, false)
			if err != nil {
				return 0, err
			}
			return uintptr(fd), nil
		}, argInt, argFD)
		tb.set(linux.SysDup2, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if a[0] == a[1] {
				f, err := getFile(t, int32(a[0]))
				if err != nil {
					return 0, err
				}
				f.DecRef()
				return a[1], nil
			}
			return dup3(t, int32(a[0]), int32(a[1]), 0)
		}, argInt, argFD, argFD)
		tb.set(linux.SysDup3, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if a[0] == a[1] {
				return 0, unix.EINVAL
			}
			return dup3(t, int32(a[0]), int32(a[1]), int(a[2]))
		}, argInt, argFD, argFD, argHex)
		tb.set(linux.SysFcntl, sysFcntl, argInt, argFD, argInt, argHex)
		tb.set(linux.SysPipe, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return pipe2(t, a[0], 0)
		}, argInt, argPtr)
		tb.set(linux.SysPipe2, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return pipe2(t, a[0], int(a[1]))
		}, argInt, argPtr, argHex)
		tb.set(linux.SysIoctl, sysIoctl, argInt, argFD, argHex, argHex)
		tb.set(linux.SysFsync, sysFsync, argInt, argFD)
		tb.set(linux.SysFdatasync, sysFsync, argInt, argFD)
		tb.set(linux.SysFtruncate, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if int64(a[1]) < 0 {
				return 0, unix.EINVAL
			}
			f, err := rwFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			defer f.DecRef()
			return 0, f.Truncate(int64(a[1]))
		}, argInt, argFD, argInt)
		tb.set(linux.SysUmask, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return uintptr(fsctx(t).SwapUmask(uint32(a[0]))), nil
		}, argOct, argOct)
	})
}

// openFlags are the open(2) flags Ward knows; others are ignored as Linux
// ignores unknown flags.
func openAt(t *kernel.Task, dirfd int32, pathAddr uintptr, flags int, mode uint32) (uintptr, error) {
	path, err := copyInPath(t, pathAddr, false)
	if err != nil {
		return 0, err
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return 0, err
	}
	fs := fsctx(t)
	mode = mode & 0o7777 &^ fs.Umask()
	var f *vfs.FileDescription
	if flags&unix.O_TMPFILE == unix.O_TMPFILE {
		f, err = fs.VFS.OpenTmpfile(vfsCreds(t), at, path, flags, mode)
	} else {
		f, err = fs.VFS.OpenAtBlocking(t, vfsCreds(t), at, path, flags, mode)
	}
	if err != nil {
		return 0, err
	}
	defer f.DecRef() // the table takes its own reference
	fd, err := files(t).New(f, flags&unix.O_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

func dup3(t *kernel.Task, oldfd, newfd int32, flags int) (uintptr, error) {
	if flags&^unix.O_CLOEXEC != 0 || newfd < 0 {
		if newfd < 0 {
			return 0, unix.EBADF
		}
		return 0, unix.EINVAL
	}
	f, err := getFile(t, oldfd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	old, err := files(t).NewAt(int(newfd), f, flags&unix.O_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	if old != nil {
		old.DecRef()
	}
	return uintptr(newfd), nil
}

func sysCloseRange(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	first, last, flags := uint32(a[0]), uint32(a[1]), uint32(a[2])
	const closeRangeCloexec = 1 << 2
	const closeRangeUnshare = 1 << 1
	if flags&^(closeRangeCloexec|closeRangeUnshare) != 0 || first > last {
		return 0, unix.EINVAL
	}
	tab := files(t)
	for _, fd := range tab.FDs() {
		if uint32(fd) < first || uint32(fd) > last {
			continue
		}
		if flags&closeRangeCloexec != 0 {
			tab.SetCloseOnExec(fd, true)
			continue
		}
		if f, err := tab.Remove(fd); err == nil {
			f.DecRef()
		}
	}
	return 0, nil
}

func sysFcntl(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	fd, cmd, arg := int32(a[0]), int(a[1]), a[2]
	tab := files(t)
	switch cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		if int32(arg) < 0 {
			return 0, unix.EINVAL
		}
		f, err := getFile(t, fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		n, err := tab.NewFrom(int(int32(arg)), f, cmd == unix.F_DUPFD_CLOEXEC)
		if err != nil {
			return 0, err
		}
		return uintptr(n), nil
	case unix.F_GETFD:
		f, cloexec, err := tab.Get(int(fd))
		if err != nil {
			return 0, err
		}
		f.DecRef()
		if cloexec {
			return unix.FD_CLOEXEC, nil
		}
		return 0, nil
	case unix.F_SETFD:
		return 0, tab.SetCloseOnExec(int(fd), arg&unix.FD_CLOEXEC != 0)
	case unix.F_GETFL:
		f, err := getFile(t, fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		return uintptr(f.StatusFlags()), nil
	case unix.F_SETFL:
		f, err := getFile(t, fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		f.SetStatusFlags(int(arg))
		return 0, nil
	case unix.F_GETLK, unix.F_SETLK, unix.F_SETLKW, unix.F_OFD_GETLK, unix.F_OFD_SETLK, unix.F_OFD_SETLKW:
		return fcntlLock(t, fd, cmd, arg)
	case unix.F_GETPIPE_SZ:
		return 65536, nil
	}
	return 0, unix.EINVAL
}

func pipe2(t *kernel.Task, addr uintptr, flags int) (uintptr, error) {
	if flags&^(unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT) != 0 {
		return 0, unix.EINVAL
	}
	r, w := vfs.NewPipe(flags)
	// The table takes its own references.
	defer r.DecRef()
	defer w.DecRef()
	tab := files(t)
	cloexec := flags&unix.O_CLOEXEC != 0
	rfd, err := tab.New(r, cloexec)
	if err != nil {
		return 0, err
	}
	wfd, err := tab.New(w, cloexec)
	if err != nil {
		if f, e := tab.Remove(rfd); e == nil {
			f.DecRef()
		}
		return 0, err
	}
	var buf [8]byte
	le.PutUint32(buf[0:], uint32(rfd))
	le.PutUint32(buf[4:], uint32(wfd))
	if _, err := t.MM().CopyOut(addr, buf[:]); err != nil {
		for _, fd := range []int{rfd, wfd} {
			if f, e := tab.Remove(fd); e == nil {
				f.DecRef()
			}
		}
		return 0, err
	}
	return 0, nil
}

func sysIoctl(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	cmd := uint32(a[1])
	switch cmd {
	case 0x5451: // FIOCLEX
		return 0, files(t).SetCloseOnExec(int(int32(a[0])), true)
	case 0x5450: // FIONCLEX
		return 0, files(t).SetCloseOnExec(int(int32(a[0])), false)
	case 0x5421: // FIONBIO
		var b [4]byte
		if _, err := t.MM().CopyIn(a[2], b[:]); err != nil {
			return 0, err
		}
		fl := f.StatusFlags() &^ unix.O_NONBLOCK
		if le.Uint32(b[:]) != 0 {
			fl |= unix.O_NONBLOCK
		}
		f.SetStatusFlags(fl)
		return 0, nil
	}
	if _, ok := f.Impl().(*unixsock.Socket); ok {
		// The interface ioctls work on any socket, as on Linux, where
		// they go to the network devices: glibc's if_nametoindex asks
		// through an AF_UNIX socket.
		var ifs []inet.Interface
		if s := t.Kernel().Network(); s != nil {
			ifs = s.Interfaces()
		}
		if ret, err, ok := inet.InterfaceIoctl(ifs, t.MM(), cmd, a[2]); ok {
			return ret, err
		}
	}
	return f.Ioctl(t, t.MM(), cmd, a[2])
}

func sysFsync(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	return 0, f.Sync()
}
