package proc

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// node is a file of /proc: a directory, a generated regular file, a
// symbolic link, or an anonymous file reopened through fd/. Nodes are built
// by Lookup and immutable; what they show is computed when asked.
type node struct {
	fs    *FS
	ino   uint64
	mode  uint32 // file type and permissions
	owner vfs.Owner
	time  vfs.Timespec // atime, mtime and ctime

	// Exactly one of the following is set, as mode's type says.
	dir    directory                             // S_IFDIR
	read   func() ([]byte, error)                // S_IFREG
	link   func() (string, error)                // S_IFLNK
	reopen func(flags int) (vfs.FileImpl, error) // anything else
}

// directory is the contents of a directory node.
type directory interface {
	// entries returns the children in increasing key order.
	entries() ([]entry, error)
	// lookup returns the child called name, or ENOENT.
	lookup(name string) (*node, error)
}

// entry is one child of a directory, as listed.
type entry struct {
	name string
	ino  uint64
	mode uint32 // S_IFMT bits
	// key orders the entries and is the ReadDir cookie that resumes at
	// this entry; keys increase along entries() and stay meaningful when
	// other entries come and go (a PID, a descriptor number).
	key int64
}

// Stat implements vfs.Inode.
func (n *node) Stat() (vfs.Stat, error) {
	st := vfs.Stat{
		Ino: n.ino, Nlink: 1, Mode: n.mode, UID: n.owner.UID, GID: n.owner.GID,
		Atime: n.time, Mtime: n.time, Ctime: n.time,
	}
	switch n.mode & unix.S_IFMT {
	case unix.S_IFDIR:
		st.Nlink = 2
	case unix.S_IFLNK:
		if n.link != nil {
			if target, err := n.link(); err == nil {
				st.Size = int64(len(target))
			}
		}
	}
	return st, nil
}

// SetStat implements vfs.Inode: /proc's attributes cannot be changed.
func (n *node) SetStat(*vfs.SetStat) error { return unix.EPERM }

// Open implements vfs.Inode.
func (n *node) Open(flags int) (vfs.FileImpl, error) {
	switch n.mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return &dirFile{n: n}, nil
	case unix.S_IFLNK:
		return nil, unix.ELOOP
	case unix.S_IFREG:
		if flags&unix.O_ACCMODE != unix.O_RDONLY {
			return nil, unix.EACCES
		}
		return &seqFile{n: n}, nil
	}
	if n.reopen == nil {
		return nil, unix.ENXIO
	}
	return n.reopen(flags)
}

// OpensItself implements vfs.SelfOpener: a descriptor link to a pipe
// reopens that pipe (reopen), never a named FIFO of its own.
func (n *node) OpensItself() bool { return n.reopen != nil }

// Readlink implements vfs.Inode.
func (n *node) Readlink() (string, error) {
	if n.mode&unix.S_IFMT != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	return n.link()
}

// Lookup implements vfs.Inode.
func (n *node) Lookup(name string) (vfs.Inode, error) {
	if n.dir == nil {
		return nil, unix.ENOTDIR
	}
	c, err := n.dir.lookup(name)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// refuse is the answer to every change of the namespace.
func (n *node) refuse() error {
	if n.dir == nil {
		return unix.ENOTDIR
	}
	return unix.EACCES
}

// Create implements vfs.Inode.
func (n *node) Create(string, uint32, uint64, vfs.Owner) (vfs.Inode, error) {
	return nil, n.refuse()
}

// Symlink implements vfs.Inode.
func (n *node) Symlink(string, string, vfs.Owner) (vfs.Inode, error) { return nil, n.refuse() }

// Link implements vfs.Inode.
func (n *node) Link(string, vfs.Inode) error { return n.refuse() }

// Unlink implements vfs.Inode.
func (n *node) Unlink(string) error { return n.refuse() }

// Rmdir implements vfs.Inode.
func (n *node) Rmdir(string) error { return n.refuse() }

// Rename implements vfs.Inode.
func (n *node) Rename(string, vfs.Inode, string, uint32) error { return n.refuse() }

// seqFile is an open generated file. Its contents are generated on the
// first read and again by every read at offset 0, so a reader that seeks
// back to the start sees fresh values, as with Linux's seq files.
type seqFile struct {
	n *node

	mu   sync.Mutex
	data []byte // protected by mu
	have bool   // protected by mu
}

// Read implements vfs.FileImpl.
func (f *seqFile) Read(_ vfs.Blocker, dst []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off == 0 || !f.have {
		data, err := f.n.read()
		if err != nil {
			return 0, err
		}
		f.data, f.have = data, true
	}
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(dst, f.data[off:]), nil
}

// Write implements vfs.FileImpl.
func (f *seqFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EACCES }

// Stat implements vfs.FileImpl.
func (f *seqFile) Stat() (vfs.Stat, error) { return f.n.Stat() }

// Release implements vfs.FileImpl.
func (f *seqFile) Release() {}

// dirFile is an open directory.
type dirFile struct{ n *node }

// Read implements vfs.FileImpl.
func (f *dirFile) Read(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EISDIR }

// Write implements vfs.FileImpl.
func (f *dirFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EISDIR }

// Stat implements vfs.FileImpl.
func (f *dirFile) Stat() (vfs.Stat, error) { return f.n.Stat() }

// Release implements vfs.FileImpl.
func (f *dirFile) Release() {}

// ReadDir implements vfs.DirReader. The cookie is the key of the next
// entry to report.
func (f *dirFile) ReadDir(cookie int64, emit func(vfs.Dirent) bool) error {
	ents, err := f.n.dir.entries()
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.key < cookie {
			continue
		}
		if !emit(vfs.Dirent{Name: e.name, Ino: e.ino, Type: vfs.DirentType(e.mode), Next: e.key + 1}) {
			return nil
		}
	}
	return nil
}
