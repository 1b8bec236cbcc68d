package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// Extended attributes. No filesystem stores any yet, so every file has
// none: get and remove answer ENODATA, list an empty list, and set
// EOPNOTSUPP, as Linux does for a filesystem without xattr support for the
// name's namespace. The file is still resolved first, so a missing path is
// ENOENT and a bad descriptor EBADF. `ls -l` asks for ACLs and SELinux
// labels this way.

// xattrNameMax is XATTR_NAME_MAX.
const xattrNameMax = 255

func init() {
	register(func(tb *Table) {
		pathGet := func(follow bool) Handler {
			return func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
				if err := xattrPath(t, a[0], a[1], follow); err != nil {
					return 0, err
				}
				return 0, unix.ENODATA
			}
		}
		tb.set(linux.SysGetxattr, pathGet(true), argInt, argPath, argPath, argPtr, argInt)
		tb.set(linux.SysLgetxattr, pathGet(false), argInt, argPath, argPath, argPtr, argInt)
		tb.set(linux.SysFgetxattr, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if err := xattrFD(t, int32(a[0]), a[1]); err != nil {
				return 0, err
			}
			return 0, unix.ENODATA
		}, argInt, argFD, argPath, argPtr, argInt)

		pathList := func(follow bool) Handler {
			return func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
				return 0, xattrPath(t, a[0], 0, follow)
			}
		}
		tb.set(linux.SysListxattr, pathList(true), argInt, argPath, argPtr, argInt)
		tb.set(linux.SysLlistxattr, pathList(false), argInt, argPath, argPtr, argInt)
		tb.set(linux.SysFlistxattr, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, xattrFD(t, int32(a[0]), 0)
		}, argInt, argFD, argPtr, argInt)

		pathSet := func(follow bool, errno unix.Errno) Handler {
			return func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
				if err := xattrPath(t, a[0], a[1], follow); err != nil {
					return 0, err
				}
				return 0, errno
			}
		}
		fdSet := func(errno unix.Errno) Handler {
			return func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
				if err := xattrFD(t, int32(a[0]), a[1]); err != nil {
					return 0, err
				}
				return 0, errno
			}
		}
		tb.set(linux.SysSetxattr, pathSet(true, unix.EOPNOTSUPP), argInt, argPath, argPath, argPtr, argInt, argHex)
		tb.set(linux.SysLsetxattr, pathSet(false, unix.EOPNOTSUPP), argInt, argPath, argPath, argPtr, argInt, argHex)
		tb.set(linux.SysFsetxattr, fdSet(unix.EOPNOTSUPP), argInt, argFD, argPath, argPtr, argInt, argHex)
		tb.set(linux.SysRemovexattr, pathSet(true, unix.ENODATA), argInt, argPath, argPath)
		tb.set(linux.SysLremovexattr, pathSet(false, unix.ENODATA), argInt, argPath, argPath)
		tb.set(linux.SysFremovexattr, fdSet(unix.ENODATA), argInt, argFD, argPath)
	})
}

// xattrPath resolves the path at pathAddr (following a final symlink if
// follow) and checks the attribute name at nameAddr, if not zero.
func xattrPath(t *kernel.Task, pathAddr, nameAddr uintptr, follow bool) error {
	path, err := copyInPath(t, pathAddr, false)
	if err != nil {
		return err
	}
	at, err := startAt(t, atFDCWD, path)
	if err != nil {
		return err
	}
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	if _, err := fsctx(t).VFS.StatAt(vfsCreds(t), at, path, flags); err != nil {
		return err
	}
	return xattrName(t, nameAddr)
}

// xattrFD checks fd (O_PATH is EBADF) and the name at nameAddr, if not zero.
func xattrFD(t *kernel.Task, fd int32, nameAddr uintptr) error {
	f, err := getFile(t, fd)
	if err != nil {
		return err
	}
	path := f.IsPath()
	f.DecRef()
	if path {
		return unix.EBADF
	}
	return xattrName(t, nameAddr)
}

// xattrName checks an attribute name: ERANGE if empty or too long.
func xattrName(t *kernel.Task, addr uintptr) error {
	if addr == 0 {
		return nil
	}
	name, err := t.MM().CopyInString(addr, xattrNameMax+1)
	if err == unix.ENAMETOOLONG || len(name) > xattrNameMax {
		return unix.ERANGE
	}
	if err != nil {
		return err
	}
	if name == "" {
		return unix.ERANGE
	}
	return nil
}
