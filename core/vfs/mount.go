package vfs

import (
	"fmt"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// Dentry is a file reached by a walk: its Inode, the name it was reached by
// and the directory it was reached from. Dentries are built on the way down
// a walk and shared by the Locations that refer to them; the VFS does not
// cache them, so a Dentry's name and parent describe the path at the time
// of the walk (a later rename of an ancestor is not reflected in Getcwd).
type Dentry struct {
	// All fields are immutable.
	parent *Dentry // nil for a filesystem root
	name   string
	inode  Inode
	ino    uint64
	mode   uint32 // file type bits (S_IFMT) at the time of the walk
}

// Inode returns d's inode.
func (d *Dentry) Inode() Inode { return d.inode }

// Name returns the name d was reached by ("" for a filesystem root).
func (d *Dentry) Name() string { return d.name }

// Location is a file in the mount tree: a mount and a dentry of it. The
// zero Location is "nowhere" (anonymous files such as pipes).
type Location struct {
	Mount  *Mount
	Dentry *Dentry
}

// Valid reports whether l refers to a file.
func (l Location) Valid() bool { return l.Mount != nil && l.Dentry != nil }

// IsDir reports whether l is a directory.
func (l Location) IsDir() bool { return l.Valid() && l.Dentry.mode == unix.S_IFDIR }

// Stat returns the attributes of the file at l.
func (l Location) Stat() (Stat, error) {
	st, err := l.Dentry.inode.Stat()
	if err != nil {
		return st, err
	}
	l.Mount.fixStat(&st)
	return st, nil
}

// same reports whether l and m are the same file of the same mount.
func (l Location) same(m Location) bool {
	return l.Mount == m.Mount && l.Dentry.ino == m.Dentry.ino
}

// Mount is a filesystem mounted in the tree.
type Mount struct {
	// All fields are immutable after MountAt.
	vfs    *VFS
	fs     Filesystem
	root   *Dentry
	dev    uint64
	parent *Mount  // nil for the root mount
	point  *Dentry // the mount point in parent
	flags  int
}

// Filesystem returns the filesystem of m.
func (m *Mount) Filesystem() Filesystem { return m.fs }

// Dev returns the device number files of m report in Stat.
func (m *Mount) Dev() uint64 { return m.dev }

func (m *Mount) fixStat(st *Stat) {
	st.Dev = m.dev
	if st.Blksize == 0 {
		st.Blksize = 4096
	}
}

// Mount flags.
const (
	// MountReadOnly makes every modification through the mount EROFS.
	MountReadOnly = 1 << iota
)

// mountKey identifies a mount point: a directory of a mount.
type mountKey struct {
	parent *Mount
	ino    uint64
}

// VFS is the mount tree of one sandbox.
type VFS struct {
	root *Mount // immutable after New

	// renameMu serialises Rename and Link, so that the check that a
	// directory is not moved into itself stays true until the move.
	renameMu sync.Mutex

	mountMu sync.RWMutex
	mounts  map[mountKey]*Mount // protected by mountMu
	devs    map[Filesystem]uint64
	nextDev uint32
}

// New returns a VFS with fs as its root.
func New(fs Filesystem) (*VFS, error) {
	v := &VFS{mounts: map[mountKey]*Mount{}, devs: map[Filesystem]uint64{}, nextDev: 1}
	m, err := v.newMount(fs, 0)
	if err != nil {
		return nil, err
	}
	v.root = m
	return v, nil
}

func (v *VFS) newMount(fs Filesystem, flags int) (*Mount, error) {
	root, err := fs.Root()
	if err != nil {
		return nil, fmt.Errorf("vfs: root of filesystem: %w", err)
	}
	st, err := root.Stat()
	if err != nil {
		return nil, fmt.Errorf("vfs: stat of filesystem root: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, fmt.Errorf("vfs: filesystem root is not a directory (mode %#o)", st.Mode)
	}
	v.mountMu.Lock()
	dev, ok := v.devs[fs]
	if !ok {
		dev = linux.MakeDev(0, v.nextDev)
		v.nextDev++
		v.devs[fs] = dev
	}
	v.mountMu.Unlock()
	return &Mount{
		vfs:   v,
		fs:    fs,
		root:  &Dentry{inode: root, ino: st.Ino, mode: unix.S_IFDIR},
		dev:   dev,
		flags: flags,
	}, nil
}

// Root returns the root of the mount tree.
func (v *VFS) Root() Location { return Location{v.root, v.root.root} }

// MountAt mounts fs on the directory at path (resolved from the root as
// creds, following symlinks). A mount over an existing mount point hides
// the earlier mount.
func (v *VFS) MountAt(creds *Credentials, path string, fs Filesystem, flags int) (*Mount, error) {
	loc, err := v.resolve(creds, v.Root(), path, resolveFollow)
	if err != nil {
		return nil, err
	}
	if !loc.IsDir() {
		return nil, unix.ENOTDIR
	}
	m, err := v.newMount(fs, flags)
	if err != nil {
		return nil, err
	}
	m.parent = loc.Mount
	m.point = loc.Dentry
	v.mountMu.Lock()
	v.mounts[mountKey{loc.Mount, loc.Dentry.ino}] = m
	v.mountMu.Unlock()
	return m, nil
}

// mountedAt returns the mount whose mount point is d in m, or nil.
func (v *VFS) mountedAt(m *Mount, d *Dentry) *Mount {
	if d.mode != unix.S_IFDIR {
		return nil
	}
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	if len(v.mounts) == 0 {
		return nil
	}
	return v.mounts[mountKey{m, d.ino}]
}

// crossDown follows mounts stacked on loc to the topmost mount's root.
func (v *VFS) crossDown(loc Location) Location {
	for {
		m := v.mountedAt(loc.Mount, loc.Dentry)
		if m == nil {
			return loc
		}
		loc = Location{m, m.root}
	}
}

// Statfs returns the statfs of the filesystem at l.
func (l Location) Statfs() (Statfs, error) {
	st, err := l.Mount.fs.Statfs()
	if err != nil {
		return st, err
	}
	if l.Mount.flags&MountReadOnly != 0 {
		st.Flags |= unix.ST_RDONLY
	}
	if st.Namelen == 0 {
		st.Namelen = 255
	}
	if st.Frsize == 0 {
		st.Frsize = st.Bsize
	}
	st.Fsid = [2]int32{int32(l.Mount.dev), 0}
	return st, nil
}
