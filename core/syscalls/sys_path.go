package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysGetcwd, sysGetcwd, argInt, argOutBuf, argInt)
		tb.set(linux.SysChdir, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			path, err := copyInPath(t, a[0], false)
			if err != nil {
				return 0, err
			}
			fs := fsctx(t)
			at, err := startAt(t, atFDCWD, path)
			if err != nil {
				return 0, err
			}
			loc, err := fs.VFS.Chdir(vfsCreds(t), at, path)
			if err != nil {
				return 0, err
			}
			fs.SetCwd(loc)
			return 0, nil
		}, argInt, argPath)
		tb.set(linux.SysFchdir, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := getFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			loc := f.Location()
			f.DecRef()
			if !loc.Valid() || !loc.IsDir() {
				return 0, unix.ENOTDIR
			}
			fs := fsctx(t)
			loc, err = fs.VFS.Chdir(vfsCreds(t), loc, ".")
			if err != nil {
				return 0, err
			}
			fs.SetCwd(loc)
			return 0, nil
		}, argInt, argFD)
		tb.set(linux.SysMkdirat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, mkdirAt(t, int32(a[0]), a[1], uint32(a[2]))
		}, argInt, argFD, argPath, argOct)
		tb.set(linux.SysMkdir, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, mkdirAt(t, atFDCWD, a[0], uint32(a[1]))
		}, argInt, argPath, argOct)
		tb.set(linux.SysMknodat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, mknodAt(t, int32(a[0]), a[1], uint32(a[2]), uint64(a[3]))
		}, argInt, argFD, argPath, argOct, argHex)
		tb.set(linux.SysMknod, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, mknodAt(t, atFDCWD, a[0], uint32(a[1]), uint64(a[2]))
		}, argInt, argPath, argOct, argHex)
		tb.set(linux.SysUnlinkat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, withPath(t, int32(a[0]), a[1], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.UnlinkAt(c, at, p, int(a[2]))
			})
		}, argInt, argFD, argPath, argHex)
		tb.set(linux.SysUnlink, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, withPath(t, atFDCWD, a[0], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Unlink(c, at, p)
			})
		}, argInt, argPath)
		tb.set(linux.SysRmdir, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, withPath(t, atFDCWD, a[0], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Rmdir(c, at, p)
			})
		}, argInt, argPath)
		tb.set(linux.SysRenameat2, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, renameAt(t, int32(a[0]), a[1], int32(a[2]), a[3], uint32(a[4]))
		}, argInt, argFD, argPath, argFD, argPath, argHex)
		tb.set(linux.SysRenameat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, renameAt(t, int32(a[0]), a[1], int32(a[2]), a[3], 0)
		}, argInt, argFD, argPath, argFD, argPath)
		tb.set(linux.SysRename, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, renameAt(t, atFDCWD, a[0], atFDCWD, a[1], 0)
		}, argInt, argPath, argPath)
		tb.set(linux.SysLinkat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, linkAt(t, int32(a[0]), a[1], int32(a[2]), a[3], int(a[4]))
		}, argInt, argFD, argPath, argFD, argPath, argHex)
		tb.set(linux.SysLink, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, linkAt(t, atFDCWD, a[0], atFDCWD, a[1], 0)
		}, argInt, argPath, argPath)
		tb.set(linux.SysSymlinkat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, symlinkAt(t, a[0], int32(a[1]), a[2])
		}, argInt, argPath, argFD, argPath)
		tb.set(linux.SysSymlink, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, symlinkAt(t, a[0], atFDCWD, a[1])
		}, argInt, argPath, argPath)
		tb.set(linux.SysFchmodat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, withPath(t, int32(a[0]), a[1], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Chmod(c, at, p, uint32(a[2]), 0)
			})
		}, argInt, argFD, argPath, argOct)
		tb.set(linux.SysChmod, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, withPath(t, atFDCWD, a[0], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Chmod(c, at, p, uint32(a[1]), 0)
			})
		}, argInt, argPath, argOct)
		tb.set(linux.SysFchmod, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, onFD(t, int32(a[0]), func(c *vfs.Credentials, v *vfs.VFS, loc vfs.Location) error {
				return v.Chmod(c, loc, "", uint32(a[1]), unix.AT_EMPTY_PATH)
			})
		}, argInt, argFD, argOct)
		tb.set(linux.SysFchownat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			flags := int(a[4])
			if flags&unix.AT_EMPTY_PATH != 0 {
				if s, _ := t.MM().CopyInString(a[1], 1); s == "" {
					return 0, onFD(t, int32(a[0]), func(c *vfs.Credentials, v *vfs.VFS, loc vfs.Location) error {
						return v.Chown(c, loc, "", int64(int32(a[2])), int64(int32(a[3])), unix.AT_EMPTY_PATH)
					})
				}
			}
			return 0, withPath(t, int32(a[0]), a[1], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Chown(c, at, p, int64(int32(a[2])), int64(int32(a[3])), flags)
			})
		}, argInt, argFD, argPath, argInt, argInt, argHex)
		tb.set(linux.SysChown, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, withPath(t, atFDCWD, a[0], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Chown(c, at, p, int64(int32(a[1])), int64(int32(a[2])), 0)
			})
		}, argInt, argPath, argInt, argInt)
		tb.set(linux.SysLchown, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, withPath(t, atFDCWD, a[0], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Chown(c, at, p, int64(int32(a[1])), int64(int32(a[2])), unix.AT_SYMLINK_NOFOLLOW)
			})
		}, argInt, argPath, argInt, argInt)
		tb.set(linux.SysFchown, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, onFD(t, int32(a[0]), func(c *vfs.Credentials, v *vfs.VFS, loc vfs.Location) error {
				return v.Chown(c, loc, "", int64(int32(a[1])), int64(int32(a[2])), unix.AT_EMPTY_PATH)
			})
		}, argInt, argFD, argInt, argInt)
		tb.set(linux.SysUtimensat, sysUtimensat, argInt, argFD, argPath, argPtr, argHex)
		tb.set(linux.SysTruncate, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if int64(a[1]) < 0 {
				return 0, unix.EINVAL
			}
			return 0, withPath(t, atFDCWD, a[0], func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
				return v.Truncate(c, at, p, int64(a[1]))
			})
		}, argInt, argPath, argInt)
	})
}

// withPath reads a path argument and runs op with where it starts.
func withPath(t *kernel.Task, dirfd int32, pathAddr uintptr, op func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, path string) error) error {
	path, err := copyInPath(t, pathAddr, false)
	if err != nil {
		return err
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return err
	}
	return op(vfsCreds(t), fsctx(t).VFS, at, path)
}

// onFD runs op on an open file's location (fchmod, fchown).
func onFD(t *kernel.Task, fd int32, op func(c *vfs.Credentials, v *vfs.VFS, loc vfs.Location) error) error {
	f, err := getFile(t, fd)
	if err != nil {
		return err
	}
	loc := f.Location()
	f.DecRef()
	if !loc.Valid() {
		// Pipes and other anonymous files have no inode to change.
		return unix.EINVAL
	}
	return op(vfsCreds(t), fsctx(t).VFS, loc)
}

func sysGetcwd(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	fs := fsctx(t)
	p, err := fs.VFS.PathOf(fs.Cwd())
	if err != nil {
		return 0, err
	}
	b := append([]byte(p), 0)
	if int(a[1]) < len(b) {
		return 0, unix.ERANGE
	}
	if _, err := t.MM().CopyOut(a[0], b); err != nil {
		return 0, err
	}
	return uintptr(len(b)), nil
}

func mkdirAt(t *kernel.Task, dirfd int32, pathAddr uintptr, mode uint32) error {
	return withPath(t, dirfd, pathAddr, func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
		return v.Mkdir(c, at, p, mode&0o7777&^fsctx(t).Umask())
	})
}

func mknodAt(t *kernel.Task, dirfd int32, pathAddr uintptr, mode uint32, dev uint64) error {
	return withPath(t, dirfd, pathAddr, func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
		perm := mode & 0o7777 &^ fsctx(t).Umask()
		typ := mode & unix.S_IFMT
		if typ == 0 {
			typ = unix.S_IFREG
		}
		return v.Mknod(c, at, p, typ|perm, dev)
	})
}

// pathPair is the two paths of rename and link, each with where it starts.
type pathPair struct {
	oldAt, newAt     vfs.Location
	oldPath, newPath string
}

// twoPaths reads the old and new path arguments of rename and link.
func twoPaths(t *kernel.Task, olddirfd int32, oldAddr uintptr, oldMayBeEmpty bool, newdirfd int32, newAddr uintptr) (pathPair, error) {
	var p pathPair
	var err error
	if p.oldPath, err = copyInPath(t, oldAddr, oldMayBeEmpty); err != nil {
		return p, err
	}
	if p.newPath, err = copyInPath(t, newAddr, false); err != nil {
		return p, err
	}
	if p.oldAt, err = startAt(t, olddirfd, p.oldPath); err != nil {
		return p, err
	}
	p.newAt, err = startAt(t, newdirfd, p.newPath)
	return p, err
}

func renameAt(t *kernel.Task, olddirfd int32, oldAddr uintptr, newdirfd int32, newAddr uintptr, flags uint32) error {
	p, err := twoPaths(t, olddirfd, oldAddr, false, newdirfd, newAddr)
	if err != nil {
		return err
	}
	return fsctx(t).VFS.Rename(vfsCreds(t), p.oldAt, p.oldPath, p.newAt, p.newPath, flags)
}

func linkAt(t *kernel.Task, olddirfd int32, oldAddr uintptr, newdirfd int32, newAddr uintptr, flags int) error {
	p, err := twoPaths(t, olddirfd, oldAddr, flags&unix.AT_EMPTY_PATH != 0, newdirfd, newAddr)
	if err != nil {
		return err
	}
	return fsctx(t).VFS.Link(vfsCreds(t), p.oldAt, p.oldPath, p.newAt, p.newPath, flags)
}

func symlinkAt(t *kernel.Task, targetAddr uintptr, dirfd int32, pathAddr uintptr) error {
	target, err := copyInPath(t, targetAddr, false)
	if err != nil {
		return err
	}
	return withPath(t, dirfd, pathAddr, func(c *vfs.Credentials, v *vfs.VFS, at vfs.Location, p string) error {
		return v.Symlink(c, target, at, p)
	})
}

func sysUtimensat(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	dirfd, flags := int32(a[0]), int(a[3])
	var times *[2]vfs.Timespec
	if a[2] != 0 {
		var ts [2]linux.Timespec
		for i := range ts {
			if err := copyIn(t, a[2]+uintptr(i*linux.SizeofTimespec), &ts[i]); err != nil {
				return 0, err
			}
		}
		times = &[2]vfs.Timespec{ts[0], ts[1]}
	}
	if a[1] == 0 {
		// utimensat(fd, NULL, ...): the file fd itself (futimens).
		return 0, onFD(t, dirfd, func(c *vfs.Credentials, v *vfs.VFS, loc vfs.Location) error {
			return v.Utimens(c, loc, "", times, flags|unix.AT_EMPTY_PATH)
		})
	}
	path, err := copyInPath(t, a[1], flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	if path == "" {
		return 0, onFD(t, dirfd, func(c *vfs.Credentials, v *vfs.VFS, loc vfs.Location) error {
			return v.Utimens(c, loc, "", times, flags)
		})
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return 0, err
	}
	return 0, fsctx(t).VFS.Utimens(vfsCreds(t), at, path, times, flags)
}
