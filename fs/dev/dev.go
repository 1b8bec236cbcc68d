// Package dev is the /dev filesystem ("dev"): the memory devices null,
// zero, full, random and urandom, the controlling terminal tty, the
// pseudo-terminals (ptmx and the pts directory), the
// stdin/stdout/stderr/fd links into /proc/self/fd, and an empty shm
// directory (the default config mounts a tmpfs on /dev/shm).
//
// # Terminals
//
// /dev/tty is the caller's controlling terminal: the pty its session
// acquired (TIOCSCTTY, or a session leader opening a slave without
// O_NOCTTY), else the host terminal Ward itself was started on (opening it
// imports a duplicate of the first of Ward's descriptors 0, 1, 2 that is a
// terminal; see vfs.ImportHostFD for the ioctls it forwards). Without
// either, opening it fails with ENXIO, as on Linux for a process without a
// controlling terminal.
//
// Opening /dev/ptmx (or /dev/pts/ptmx) creates a pseudo-terminal pair and
// returns its master; the slave is /dev/pts/N (TIOCGPTN), locked until
// TIOCSPTLCK unlocks it, and gone when the master is closed. The line
// discipline (ldisc.go) is Linux's N_TTY reduced to what shells, script(1)
// and Python's pty module use. Job control (signals from ^C, ^\, ^Z,
// SIGWINCH, SIGHUP on hangup; the foreground process group and the
// session) goes through the Sessions hook (sessions.go), which
// AttachKernel installs over the kernel.
//
// The set of other files is fixed: creating or removing entries is EPERM.
// Attributes (chmod, chown, times) can be changed and are kept in memory.
//
// # Locking
//
// Lock order, outermost first:
//
//	FS.ptsMu (the pty table and the sessions' controlling ptys)
//	  pty.mu (one pair: its line discipline and state)
//	    vfs.Queue.mu (leaf)
//
// FS.mu protects the attributes of the static nodes and is a leaf. None is
// held while calling the Sessions hook, which takes the kernel's locks.
package dev

import (
	"crypto/rand"
	"sync"
	"sync/atomic"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "dev",
		Summary: "/dev: null, zero, full, random, urandom, tty, ptmx and pts, stdio links",
		New:     func(any) (any, error) { return New(), nil },
	})
}

// DevfsMagic is the f_type statfs reports (TMPFS_MAGIC, as for devtmpfs).
const DevfsMagic = 0x01021994

// FS is a /dev filesystem.
type FS struct {
	mu   sync.Mutex
	root *node // immutable

	// hostTTY finds the host terminal; a variable for tests.
	hostTTY func() (int, bool)

	// sessions is the job-control hook (see Sessions); nil until
	// AttachKernel or SetSessions.
	sessions atomic.Pointer[Sessions]

	ptsMu sync.Mutex
	// ptys are the pairs whose master is open, by number. Protected by
	// ptsMu.
	ptys map[uint32]*pty
	// cttys are the sessions' controlling ptys, by session ID. Protected
	// by ptsMu.
	cttys map[int32]*pty
}

// kind says what a node is.
type kind int

const (
	kindDir kind = iota
	kindSymlink
	kindNull
	kindZero
	kindFull
	kindRandom
	kindTTY
	kindPtmx
	kindPtsDir
)

// node is a file of /dev. Fields other than the attributes are immutable.
type node struct {
	fs     *FS
	kind   kind
	ino    uint64
	rdev   uint64
	target string
	names  []string         // directories: children in order
	kids   map[string]*node // directories

	// Attributes, protected by fs.mu.
	mode                uint32
	uid, gid            uint32
	atime, mtime, ctime vfs.Timespec
}

// New returns a /dev filesystem.
func New() *FS {
	fs := &FS{hostTTY: hostTerminal, ptys: map[uint32]*pty{}, cttys: map[int32]*pty{}}
	ino := uint64(1)
	mk := func(k kind, mode uint32, rdev uint64, target string) *node {
		now := vfs.Now()
		n := &node{fs: fs, kind: k, ino: ino, rdev: rdev, target: target, mode: mode, atime: now, mtime: now, ctime: now}
		ino++
		if k == kindDir || k == kindPtsDir {
			n.kids = map[string]*node{}
		}
		return n
	}
	add := func(dir *node, name string, n *node) {
		dir.names = append(dir.names, name)
		dir.kids[name] = n
	}
	fs.root = mk(kindDir, unix.S_IFDIR|0o755, 0, "")
	chr := func(k kind, major, minor uint32) *node {
		return mk(k, unix.S_IFCHR|0o666, linux.MakeDev(major, minor), "")
	}
	add(fs.root, "null", chr(kindNull, 1, 3))
	add(fs.root, "zero", chr(kindZero, 1, 5))
	add(fs.root, "full", chr(kindFull, 1, 7))
	add(fs.root, "random", chr(kindRandom, 1, 8))
	add(fs.root, "urandom", chr(kindRandom, 1, 9))
	add(fs.root, "tty", chr(kindTTY, 5, 0))
	add(fs.root, "stdin", mk(kindSymlink, unix.S_IFLNK|0o777, 0, "/proc/self/fd/0"))
	add(fs.root, "stdout", mk(kindSymlink, unix.S_IFLNK|0o777, 0, "/proc/self/fd/1"))
	add(fs.root, "stderr", mk(kindSymlink, unix.S_IFLNK|0o777, 0, "/proc/self/fd/2"))
	add(fs.root, "fd", mk(kindSymlink, unix.S_IFLNK|0o777, 0, "/proc/self/fd"))
	add(fs.root, "ptmx", chr(kindPtmx, ptmxMajor, 2))
	pts := mk(kindPtsDir, unix.S_IFDIR|0o755, 0, "")
	add(pts, "ptmx", mk(kindPtmx, unix.S_IFCHR, linux.MakeDev(ptmxMajor, 2), ""))
	add(fs.root, "pts", pts)
	add(fs.root, "shm", mk(kindDir, unix.S_IFDIR|0o1777, 0, ""))
	return fs
}

// hostTerminal returns the first of Ward's descriptors 0, 1, 2 that is a
// terminal.
func hostTerminal() (int, bool) {
	for fd := 0; fd <= 2; fd++ {
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			return fd, true
		}
	}
	return -1, false
}

// Root implements vfs.Filesystem.
func (fs *FS) Root() (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *FS) Statfs() (vfs.Statfs, error) {
	return vfs.Statfs{Type: DevfsMagic, Bsize: 4096, Namelen: vfs.NameMax}, nil
}

// Stat implements vfs.Inode.
func (n *node) Stat() (vfs.Stat, error) {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	st := vfs.Stat{
		Ino: n.ino, Nlink: 1, Mode: n.mode, UID: n.uid, GID: n.gid, Rdev: n.rdev,
		Atime: n.atime, Mtime: n.mtime, Ctime: n.ctime,
	}
	switch n.kind {
	case kindPtsDir:
		st.Nlink = 2
	case kindDir:
		st.Nlink = 2
		for _, k := range n.kids {
			if k.kind == kindDir || k.kind == kindPtsDir {
				st.Nlink++
			}
		}
	case kindSymlink:
		st.Size = int64(len(n.target))
	}
	return st, nil
}

// SetStat implements vfs.Inode.
func (n *node) SetStat(s *vfs.SetStat) error {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if s.Mask&vfs.SetSize != 0 {
		if n.kind == kindDir || n.kind == kindPtsDir {
			return unix.EISDIR
		}
		if n.kind == kindSymlink {
			return unix.EINVAL
		}
		// truncate of a device is accepted and ignored, as on Linux
		// (`> /dev/null` opens with O_TRUNC).
	}
	if s.Mask&vfs.SetMode != 0 {
		n.mode = n.mode&unix.S_IFMT | s.Mode&07777
	}
	if s.Mask&vfs.SetUID != 0 {
		n.uid = s.UID
	}
	if s.Mask&vfs.SetGID != 0 {
		n.gid = s.GID
	}
	if s.Mask&vfs.SetAtime != 0 {
		n.atime = s.Atime
	}
	if s.Mask&vfs.SetMtime != 0 {
		n.mtime = s.Mtime
	}
	if s.Mask&vfs.SetCtime != 0 {
		n.ctime = s.Ctime
	}
	return nil
}

// Readlink implements vfs.Inode.
func (n *node) Readlink() (string, error) {
	if n.kind != kindSymlink {
		return "", unix.EINVAL
	}
	return n.target, nil
}

// Open implements vfs.Inode.
func (n *node) Open(flags int) (vfs.FileImpl, error) {
	switch n.kind {
	case kindDir:
		return &dirFile{n: n}, nil
	case kindPtsDir:
		return &ptsDirFile{n: n}, nil
	case kindTTY:
		return n.fs.openTTY(flags)
	case kindPtmx:
		return n.fs.newPty(n)
	case kindSymlink:
		return nil, unix.ELOOP
	}
	return &devFile{n: n}, nil
}

// Lookup implements vfs.Inode.
func (n *node) Lookup(name string) (vfs.Inode, error) {
	if n.kind == kindPtsDir {
		return n.fs.lookupPts(n, name)
	}
	if n.kind != kindDir {
		return nil, unix.ENOTDIR
	}
	if k, ok := n.kids[name]; ok {
		return k, nil
	}
	return nil, unix.ENOENT
}

func (n *node) modify() error {
	if n.kind != kindDir && n.kind != kindPtsDir {
		return unix.ENOTDIR
	}
	return unix.EPERM
}

func (n *node) Create(string, uint32, uint64, vfs.Owner) (vfs.Inode, error) {
	return nil, n.modify()
}
func (n *node) Symlink(string, string, vfs.Owner) (vfs.Inode, error) { return nil, n.modify() }
func (n *node) Link(string, vfs.Inode) error                         { return n.modify() }
func (n *node) Unlink(string) error                                  { return n.modify() }
func (n *node) Rmdir(string) error                                   { return n.modify() }
func (n *node) Rename(string, vfs.Inode, string, uint32) error       { return n.modify() }

// devFile is an open memory device.
type devFile struct{ n *node }

// Read implements vfs.FileImpl.
func (f *devFile) Read(_ vfs.Blocker, dst []byte, _ int64) (int, error) {
	switch f.n.kind {
	case kindNull:
		return 0, nil
	case kindRandom:
		return rand.Read(dst)
	}
	clear(dst)
	return len(dst), nil
}

// Write implements vfs.FileImpl.
func (f *devFile) Write(_ vfs.Blocker, src []byte, _ int64) (int, error) {
	if f.n.kind == kindFull {
		return 0, unix.ENOSPC
	}
	return len(src), nil
}

// Stat implements vfs.FileImpl.
func (f *devFile) Stat() (vfs.Stat, error) { return f.n.Stat() }

// Release implements vfs.FileImpl.
func (f *devFile) Release() {}

// dirFile is an open directory of /dev.
type dirFile struct{ n *node }

func (f *dirFile) Read(vfs.Blocker, []byte, int64) (int, error)  { return 0, unix.EISDIR }
func (f *dirFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EBADF }
func (f *dirFile) Stat() (vfs.Stat, error)                       { return f.n.Stat() }
func (f *dirFile) Release()                                      {}

// ReadDir implements vfs.DirReader; the cookie is an index.
func (f *dirFile) ReadDir(cookie int64, emit func(vfs.Dirent) bool) error {
	for i := cookie; i < int64(len(f.n.names)); i++ {
		k := f.n.kids[f.n.names[i]]
		if !emit(vfs.Dirent{Name: f.n.names[i], Ino: k.ino, Type: vfs.DirentType(k.mode), Next: i + 1}) {
			return nil
		}
	}
	return nil
}
