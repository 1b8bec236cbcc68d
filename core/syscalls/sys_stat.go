package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysNewfstatat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, statAt(t, int32(a[0]), a[1], a[2], int(a[3]))
		}, argInt, argFD, argPath, argPtr, argHex)
		tb.set(linux.SysStat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, statAt(t, atFDCWD, a[0], a[1], 0)
		}, argInt, argPath, argPtr)
		tb.set(linux.SysLstat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, statAt(t, atFDCWD, a[0], a[1], unix.AT_SYMLINK_NOFOLLOW)
		}, argInt, argPath, argPtr)
		tb.set(linux.SysFstat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			st, err := fstat(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			return 0, copyOut(t, a[1], &st)
		}, argInt, argFD, argPtr)
		tb.set(linux.SysStatx, sysStatx, argInt, argFD, argPath, argHex, argHex, argPtr)
		tb.set(linux.SysStatfs, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			path, err := copyInPath(t, a[0], false)
			if err != nil {
				return 0, err
			}
			at, err := startAt(t, atFDCWD, path)
			if err != nil {
				return 0, err
			}
			sf, err := fsctx(t).VFS.StatfsAt(vfsCreds(t), at, path, 0)
			if err != nil {
				return 0, err
			}
			return 0, copyOutStatfs(t, a[1], sf)
		}, argInt, argPath, argPtr)
		tb.set(linux.SysFstatfs, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := getFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			loc := f.Location()
			f.DecRef()
			if !loc.Valid() {
				// Pipes and other anonymous files: pipefs-like numbers.
				return 0, copyOutStatfs(t, a[1], vfs.Statfs{Type: 0x50495045, Bsize: 4096, Namelen: 255, Frsize: 4096})
			}
			sf, err := loc.Statfs()
			if err != nil {
				return 0, err
			}
			return 0, copyOutStatfs(t, a[1], sf)
		}, argInt, argFD, argPtr)
		tb.set(linux.SysGetdents64, sysGetdents64, argInt, argFD, argPtr, argInt)
		tb.set(linux.SysReadlinkat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return readlinkAt(t, int32(a[0]), a[1], a[2], int(int32(a[3])))
		}, argInt, argFD, argPath, argOutBuf, argInt)
		tb.set(linux.SysReadlink, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return readlinkAt(t, atFDCWD, a[0], a[1], int(int32(a[2])))
		}, argInt, argPath, argOutBuf, argInt)
		tb.set(linux.SysAccess, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, accessAt(t, atFDCWD, a[0], uint32(a[1]), 0)
		}, argInt, argPath, argOct)
		tb.set(linux.SysFaccessat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, accessAt(t, int32(a[0]), a[1], uint32(a[2]), 0)
		}, argInt, argFD, argPath, argOct)
		tb.set(linux.SysFaccessat2, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, accessAt(t, int32(a[0]), a[1], uint32(a[2]), int(a[3]))
		}, argInt, argFD, argPath, argOct, argHex)
	})
}

// fstat returns the attributes of an open file.
func fstat(t *kernel.Task, fd int32) (linux.Stat, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return linux.Stat{}, err
	}
	defer f.DecRef()
	return f.Stat()
}

// statOf resolves dirfd+path (with AT_EMPTY_PATH meaning the dirfd itself,
// which may be any open file) and returns its attributes.
func statOf(t *kernel.Task, dirfd int32, pathAddr uintptr, flags int) (linux.Stat, error) {
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_NO_AUTOMOUNT|atStatxSyncType) != 0 {
		return linux.Stat{}, unix.EINVAL
	}
	path, err := copyInPath(t, pathAddr, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return linux.Stat{}, err
	}
	if path == "" && dirfd != atFDCWD {
		return fstat(t, dirfd)
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return linux.Stat{}, err
	}
	return fsctx(t).VFS.StatAt(vfsCreds(t), at, path, flags&^atStatxSyncType)
}

func statAt(t *kernel.Task, dirfd int32, pathAddr, statAddr uintptr, flags int) error {
	st, err := statOf(t, dirfd, pathAddr, flags)
	if err != nil {
		return err
	}
	return copyOut(t, statAddr, &st)
}

func sysStatx(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags, mask := int(a[2]), uint32(a[3])
	if mask&unix.STATX__RESERVED != 0 {
		return 0, unix.EINVAL
	}
	st, err := statOf(t, int32(a[0]), a[1], flags)
	if err != nil {
		return 0, err
	}
	sx := linux.Statx{
		Mask:      unix.STATX_BASIC_STATS,
		Blksize:   uint32(st.Blksize),
		Nlink:     uint32(st.Nlink),
		UID:       st.UID,
		GID:       st.GID,
		Mode:      uint16(st.Mode),
		Ino:       st.Ino,
		Size:      uint64(st.Size),
		Blocks:    uint64(st.Blocks),
		Atime:     linux.StatxTimestampFrom(st.Atime),
		Ctime:     linux.StatxTimestampFrom(st.Ctime),
		Mtime:     linux.StatxTimestampFrom(st.Mtime),
		RdevMajor: linux.DevMajor(st.Rdev),
		RdevMinor: linux.DevMinor(st.Rdev),
		DevMajor:  linux.DevMajor(st.Dev),
		DevMinor:  linux.DevMinor(st.Dev),
	}
	return 0, copyOut(t, a[4], &sx)
}

func copyOutStatfs(t *kernel.Task, addr uintptr, sf vfs.Statfs) error {
	ls := linux.Statfs{
		Type: int64(sf.Type), Bsize: sf.Bsize, Blocks: sf.Blocks, Bfree: sf.Bfree, Bavail: sf.Bavail,
		Files: sf.Files, Ffree: sf.Ffree, Fsid: sf.Fsid, Namelen: sf.Namelen, Frsize: sf.Frsize, Flags: sf.Flags,
	}
	return copyOut(t, addr, &ls)
}

func sysGetdents64(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	n := int(int32(a[2]))
	if n < 0 {
		return 0, unix.EINVAL
	}
	if n > ioChunk {
		n = ioChunk
	}
	buf := make([]byte, n)
	got, err := f.Getdents64(buf)
	if err != nil {
		return 0, err
	}
	if _, err := t.MM().CopyOut(a[1], buf[:got]); err != nil {
		return 0, err
	}
	return uintptr(got), nil
}

func readlinkAt(t *kernel.Task, dirfd int32, pathAddr, buf uintptr, size int) (uintptr, error) {
	if size <= 0 {
		return 0, unix.EINVAL
	}
	path, err := copyInPath(t, pathAddr, true)
	if err != nil {
		return 0, err
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return 0, err
	}
	target, err := fsctx(t).VFS.Readlink(vfsCreds(t), at, path)
	if err != nil {
		return 0, err
	}
	if len(target) > size {
		target = target[:size]
	}
	n, err := t.MM().CopyOut(buf, []byte(target))
	return uintptr(n), err
}

func accessAt(t *kernel.Task, dirfd int32, pathAddr uintptr, mode uint32, flags int) error {
	if mode&^7 != 0 || flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_EACCESS) != 0 {
		return unix.EINVAL
	}
	path, err := copyInPath(t, pathAddr, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return err
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return err
	}
	c := t.Credentials()
	creds := &vfs.Credentials{UID: c.RealUID, GID: c.RealGID, Groups: c.Groups}
	if flags&unix.AT_EACCESS != 0 {
		creds = vfsCreds(t)
	}
	return fsctx(t).VFS.Access(creds, at, path, mode, flags&^unix.AT_EACCESS)
}

// atStatxSyncType is AT_STATX_SYNC_TYPE (<linux/fcntl.h>): statx's sync
// hints, meaningless for Ward's filesystems.
const atStatxSyncType = 0x6000
