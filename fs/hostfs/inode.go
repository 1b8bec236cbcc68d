package hostfs

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// inode is a host file, named by its path from the root. An inode may be
// returned by several lookups of its name and used by many tasks at once.
type inode struct {
	fs   *FS
	path string // "" for the root; immutable
	mode uint32 // file type at lookup; immutable

	// attr is what the host last said of the file, nil before it was
	// asked; link is the same for a symbolic link's target. Replaced
	// whole, never modified.
	attr atomic.Pointer[attrs]
	link atomic.Pointer[symlinkTarget]

	// mu protects dents, the lookups a directory remembers.
	mu    sync.Mutex
	dents dentries
}

// newInode returns the inode of path, of the file type in mode's S_IFMT
// bits.
func (fs *FS) newInode(path string, mode uint32) *inode {
	return &inode{fs: fs, path: path, mode: mode & unix.S_IFMT}
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

// Stat implements vfs.Inode. The host is asked only when what it last said
// is stale.
func (in *inode) Stat() (vfs.Stat, error) {
	if a := in.attr.Load(); a != nil && in.fs.fresh(a.at, a.gen) {
		return a.st, nil
	}
	at, gen := now(), in.fs.gen.Load()
	in.fs.hostCalls.Add(1)
	fd, err := in.fs.open(in.path, unix.O_PATH, 0)
	if err != nil {
		return vfs.Stat{}, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return vfs.Stat{}, err
	}
	a := &attrs{st: in.fs.stat(&st), at: at, gen: gen}
	in.attr.Store(a)
	return a.st, nil
}

// Lookup implements vfs.Inode. A directory remembers the children it found
// (not the names it did not: a file the host creates is seen at once), and
// a child remembers the attributes it was found with.
func (in *inode) Lookup(name string) (vfs.Inode, error) {
	if in.mode != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	if c := in.cachedChild(name); c != nil {
		return c, nil
	}
	at, gen := now(), in.fs.gen.Load()
	in.fs.hostCalls.Add(1)
	// Opening the child itself rather than its directory costs a missing
	// name one host call instead of three.
	path := in.child(name)
	fd, err := in.fs.open(path, unix.O_PATH, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	c := in.fs.newInode(path, st.Mode)
	c.attr.Store(&attrs{st: in.fs.stat(&st), at: at, gen: gen})
	in.rememberChild(name, c, at, gen)
	return c, nil
}

// Readlink implements vfs.Inode. The target is remembered as attributes
// are.
func (in *inode) Readlink() (string, error) {
	if in.mode != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	if l := in.link.Load(); l != nil && in.fs.fresh(l.at, l.gen) {
		return l.target, nil
	}
	at, gen := now(), in.fs.gen.Load()
	in.fs.hostCalls.Add(1)
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
	l := &symlinkTarget{target: string(buf[:n]), at: at, gen: gen}
	in.link.Store(l)
	return l.target, nil
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
	defer in.fs.changed()
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
