package memfs

import (
	"github.com/google/btree"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// inode is a memfs file. Every field but fs and ino is protected by fs.mu.
type inode struct {
	fs  *FS
	ino uint64

	mode  uint32
	uid   uint32
	gid   uint32
	rdev  uint64
	nlink uint64
	atime vfs.Timespec
	mtime vfs.Timespec
	ctime vfs.Timespec

	// opens counts open descriptions; data is freed when both it and
	// nlink are zero.
	opens int

	// freed is set once the inode's data has been freed.
	freed bool

	// Regular files: data blocks (nil entries are holes) and size.
	blocks []*block
	size   int64

	// Directories: children by name, and in creation order (the readdir
	// cookie is the serial).
	children   map[string]*entry
	order      *btree.BTreeG[*entry]
	nextSerial int64

	// Symbolic links.
	target string
}

// entry is a name in a directory.
type entry struct {
	name   string
	serial int64
	inode  *inode
}

func (in *inode) isDir() bool { return in.mode&unix.S_IFMT == unix.S_IFDIR }

// Stat implements vfs.Inode.
func (in *inode) Stat() (vfs.Stat, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	return in.statLocked(), nil
}

func (in *inode) statLocked() vfs.Stat {
	st := vfs.Stat{
		Ino: in.ino, Nlink: in.nlink, Mode: in.mode, UID: in.uid, GID: in.gid, Rdev: in.rdev,
		Blksize: blockSize, Atime: in.atime, Mtime: in.mtime, Ctime: in.ctime,
	}
	switch in.mode & unix.S_IFMT {
	case unix.S_IFREG:
		st.Size = in.size
		for _, b := range in.blocks {
			if b != nil {
				st.Blocks += blockSize / 512
			}
		}
	case unix.S_IFDIR:
		st.Size = blockSize
	case unix.S_IFLNK:
		st.Size = int64(len(in.target))
	}
	return st
}

// SetStat implements vfs.Inode.
func (in *inode) SetStat(s *vfs.SetStat) error {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if s.Mask&vfs.SetSize != 0 {
		switch in.mode & unix.S_IFMT {
		case unix.S_IFREG:
		case unix.S_IFDIR:
			return unix.EISDIR
		default:
			return unix.EINVAL
		}
		if err := in.truncateLocked(s.Size); err != nil {
			return err
		}
	}
	if s.Mask&vfs.SetMode != 0 {
		in.mode = in.mode&unix.S_IFMT | s.Mode&07777
	}
	if s.Mask&vfs.SetUID != 0 {
		in.uid = s.UID
	}
	if s.Mask&vfs.SetGID != 0 {
		in.gid = s.GID
	}
	if s.Mask&vfs.SetAtime != 0 {
		in.atime = s.Atime
	}
	if s.Mask&vfs.SetMtime != 0 {
		in.mtime = s.Mtime
	}
	if s.Mask&vfs.SetCtime != 0 {
		in.ctime = s.Ctime
	}
	return nil
}

// Readlink implements vfs.Inode.
func (in *inode) Readlink() (string, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if in.mode&unix.S_IFMT != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	return in.target, nil
}

// Open implements vfs.Inode.
func (in *inode) Open(flags int) (vfs.FileImpl, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	switch in.mode & unix.S_IFMT {
	case unix.S_IFREG:
		in.opens++
		return &regFile{in: in}, nil
	case unix.S_IFDIR:
		return &dirFile{in: in}, nil
	}
	// FIFOs, sockets and device nodes have no data here.
	return nil, unix.ENXIO
}

// release drops an open; the last one of an unlinked file frees its data.
//
// Preconditions: fs.mu is held.
func (in *inode) release() {
	in.opens--
	in.maybeFree()
}

// maybeFree frees the inode's data once it is unreachable.
//
// Preconditions: fs.mu is held.
func (in *inode) maybeFree() {
	if in.nlink == 0 && in.opens == 0 && !in.freed {
		in.freed = true
		if in.mode&unix.S_IFMT == unix.S_IFREG {
			in.truncateLocked(0)
		}
		in.fs.inodes--
	}
}
