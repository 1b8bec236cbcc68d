package hostfs

import (
	"strconv"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// inode is a host file, named by its path from the root.
type inode struct {
	fs   *FS
	path string // "" for the root; immutable
	mode uint32 // file type at lookup; immutable
}

func (in *inode) child(name string) string {
	if in.path == "" {
		return name
	}
	return in.path + "/" + name
}

// split returns the parent path and the last component of in.
func (in *inode) split() (string, string) {
	for i := len(in.path) - 1; i >= 0; i-- {
		if in.path[i] == '/' {
			return in.path[:i], in.path[i+1:]
		}
	}
	return "", in.path
}

// withParent calls fn with an O_PATH descriptor of in's parent directory
// and in's name. The root has no parent: EBUSY.
func (in *inode) withParent(fn func(dirfd int, name string) error) error {
	if in.path == "" {
		return unix.EBUSY
	}
	dir, name := in.split()
	fd, err := in.fs.open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return fn(fd, name)
}

// withDir calls fn with an O_PATH descriptor of in, a directory.
func (in *inode) withDir(fn func(dirfd int) error) error {
	fd, err := in.fs.open(in.path, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return fn(fd)
}

// Stat implements vfs.Inode.
func (in *inode) Stat() (vfs.Stat, error) {
	fd, err := in.fs.open(in.path, unix.O_PATH, 0)
	if err != nil {
		return vfs.Stat{}, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return vfs.Stat{}, err
	}
	return in.fs.stat(&st), nil
}

// Lookup implements vfs.Inode.
func (in *inode) Lookup(name string) (vfs.Inode, error) {
	if in.mode != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	var st unix.Stat_t
	err := in.withDir(func(dirfd int) error {
		return unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return nil, err
	}
	return &inode{fs: in.fs, path: in.child(name), mode: st.Mode & unix.S_IFMT}, nil
}

// Readlink implements vfs.Inode.
func (in *inode) Readlink() (string, error) {
	if in.mode != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	fd, err := in.fs.open(in.path, unix.O_PATH, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	buf := make([]byte, vfs.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// Open implements vfs.Inode. Only regular files and directories open:
// host devices, FIFOs and sockets are not the sandbox's to use (ENXIO).
func (in *inode) Open(flags int) (vfs.FileImpl, error) {
	acc := flags & unix.O_ACCMODE
	write := acc != unix.O_RDONLY
	if write && in.fs.readonly {
		return nil, unix.EROFS
	}
	switch in.mode {
	case unix.S_IFREG:
		fd, err := in.fs.open(in.path, acc, 0)
		if err != nil {
			return nil, err
		}
		return &regFile{fs: in.fs, fd: fd}, nil
	case unix.S_IFDIR:
		fd, err := in.fs.open(in.path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return nil, err
		}
		return &dirFile{fs: in.fs, fd: fd}, nil
	}
	return nil, unix.ENXIO
}

// SetStat implements vfs.Inode.
func (in *inode) SetStat(s *vfs.SetStat) error {
	if in.fs.readonly {
		return unix.EROFS
	}
	if s.Mask&vfs.SetSize != 0 {
		switch in.mode {
		case unix.S_IFREG:
		case unix.S_IFDIR:
			return unix.EISDIR
		default:
			return unix.EINVAL
		}
		fd, err := in.fs.open(in.path, unix.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = unix.Ftruncate(fd, s.Size)
		unix.Close(fd)
		if err != nil {
			return err
		}
	}
	if s.Mask&(vfs.SetMode|vfs.SetUID|vfs.SetGID) != 0 {
		fd, err := in.fs.open(in.path, unix.O_PATH, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if s.Mask&vfs.SetMode != 0 {
			if in.mode == unix.S_IFLNK {
				return unix.EOPNOTSUPP
			}
			// chmod through the descriptor: never through a path the
			// host could swap for a symlink.
			if err := unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), s.Mode&07777); err != nil {
				return err
			}
		}
		if s.Mask&(vfs.SetUID|vfs.SetGID) != 0 {
			uid, gid := -1, -1
			if s.Mask&vfs.SetUID != 0 {
				uid = int(s.UID)
			}
			if s.Mask&vfs.SetGID != 0 {
				gid = int(s.GID)
			}
			if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
		}
	}
	if s.Mask&(vfs.SetAtime|vfs.SetMtime) != 0 {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if s.Mask&vfs.SetAtime != 0 {
			ts[0] = unix.Timespec{Sec: s.Atime.Sec, Nsec: s.Atime.Nsec}
		}
		if s.Mask&vfs.SetMtime != 0 {
			ts[1] = unix.Timespec{Sec: s.Mtime.Sec, Nsec: s.Mtime.Nsec}
		}
		if in.path == "" {
			return unix.UtimesNanoAt(in.fs.rootFD, ".", ts, 0)
		}
		return in.withParent(func(dirfd int, name string) error {
			return unix.UtimesNanoAt(dirfd, name, ts, unix.AT_SYMLINK_NOFOLLOW)
		})
	}
	return nil
}
