package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// openat2(2): openat with a struct open_how { u64 flags; u64 mode; u64
// resolve; } that may grow. The extensible-struct rules are Linux's: a
// size below the first version is EINVAL, above a page E2BIG, and bytes
// beyond the fields Ward knows must be zero (E2BIG otherwise). Unlike
// openat, unknown flags are EINVAL, and so is a mode without O_CREAT or
// O_TMPFILE.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysOpenat2, sysOpenat2, argInt, argFD, argPath, argPtr, argInt)
	})
}

// openHowSizeVer0 is sizeof(struct open_how) in its first version.
const openHowSizeVer0 = 24

// openat2Flags are the open flags openat2 accepts.
const openat2Flags = unix.O_ACCMODE | unix.O_CREAT | unix.O_EXCL | unix.O_NOCTTY | unix.O_TRUNC |
	unix.O_APPEND | unix.O_NONBLOCK | unix.O_DSYNC | unix.O_ASYNC | unix.O_DIRECT | unix.O_LARGEFILE |
	unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NOATIME | unix.O_CLOEXEC | unix.O_PATH | unix.O_SYNC | unix.O_TMPFILE

func sysOpenat2(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	dirfd, pathAddr, howAddr, size := int32(a[0]), a[1], a[2], a[3]
	if size < openHowSizeVer0 {
		return 0, unix.EINVAL
	}
	if size > mm.PageSize {
		return 0, unix.E2BIG
	}
	buf := make([]byte, size)
	if _, err := t.MM().CopyIn(howAddr, buf); err != nil {
		return 0, err
	}
	for _, b := range buf[openHowSizeVer0:] {
		if b != 0 {
			return 0, unix.E2BIG
		}
	}
	flags, mode, resolve := le.Uint64(buf[0:]), le.Uint64(buf[8:]), le.Uint64(buf[16:])
	if flags&^uint64(openat2Flags) != 0 || resolve&^vfs.ResolveAll != 0 {
		return 0, unix.EINVAL
	}
	tmpfile := flags&unix.O_TMPFILE == unix.O_TMPFILE
	if flags&unix.O_CREAT != 0 || tmpfile {
		if mode&^0o7777 != 0 {
			return 0, unix.EINVAL
		}
	} else if mode != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.O_PATH != 0 && flags&^uint64(unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC) != 0 {
		return 0, unix.EINVAL
	}
	if resolve&(vfs.ResolveBeneath|vfs.ResolveInRoot) == vfs.ResolveBeneath|vfs.ResolveInRoot {
		return 0, unix.EINVAL
	}
	path, err := copyInPath(t, pathAddr, false)
	if err != nil {
		return 0, err
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return 0, err
	}
	if resolve&(vfs.ResolveBeneath|vfs.ResolveInRoot) != 0 && path[0] == '/' {
		// startAt ignores the dirfd for an absolute path, but these
		// flags resolve it against the dirfd.
		if at, err = dirLocation(t, dirfd); err != nil {
			return 0, err
		}
	}
	fs := fsctx(t)
	m := uint32(mode) &^ fs.Umask()
	f, err := fs.VFS.OpenHow(t, vfsCreds(t), at, path, int(flags), m, resolve)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := files(t).New(f, flags&unix.O_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

// dirLocation returns the location of dirfd (the cwd for AT_FDCWD).
func dirLocation(t *kernel.Task, dirfd int32) (vfs.Location, error) {
	if dirfd == atFDCWD {
		return fsctx(t).Cwd(), nil
	}
	f, err := getFile(t, dirfd)
	if err != nil {
		return vfs.Location{}, err
	}
	defer f.DecRef()
	loc := f.Location()
	if !loc.IsDir() {
		return vfs.Location{}, unix.ENOTDIR
	}
	return loc, nil
}
