// Package sys is the /sys filesystem ("sys"): the little of sysfs that
// programs read to size themselves, describing the sandbox rather than the
// host.
//
//	/sys/devices/system/cpu/{online,possible,present}   "0-N" for the
//	                                                    sandbox's CPUs
//	/sys/devices/system/cpu/cpu0 ... cpuN               empty directories
//	/sys/fs/cgroup                                      an empty directory
//	                                                    (a mount point)
//
// Everything else is absent (ENOENT), so a program falls back as it does
// in a container without sysfs. The tree is read-only: opening a file for
// writing is EACCES, creating or removing entries EACCES, and changing
// attributes EPERM.
//
// The tree is built once and immutable; an open file's mutex guards only
// its own copy of the contents.
package sys

import (
	"runtime"
	"strconv"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "sys",
		Summary: "/sys: the sandbox's CPUs, and /sys/fs/cgroup as a mount point",
		New:     func(any) (any, error) { return New(), nil },
	})
}

// SysfsMagic is the f_type statfs reports (SYSFS_MAGIC).
const SysfsMagic = 0x62656572

// FS is a /sys filesystem.
type FS struct {
	root *node // immutable
}

// numCPU is the number of processors the sandbox reports (as /proc/cpuinfo
// and sched_getaffinity do).
var numCPU = runtime.NumCPU

// New returns a /sys filesystem.
func New() *FS {
	b := &builder{now: vfs.Now()}
	cpuList := b.file(func() string { return cpuRange(numCPU()) })
	cpuDir := []named{
		{"online", cpuList},
		{"possible", cpuList},
		{"present", cpuList},
	}
	for i := 0; i < numCPU(); i++ {
		cpuDir = append(cpuDir, named{"cpu" + strconv.Itoa(i), b.dir()})
	}
	root := b.dir(
		named{"devices", b.dir(
			named{"system", b.dir(
				named{"cpu", b.dir(cpuDir...)},
			)},
		)},
		named{"fs", b.dir(
			named{"cgroup", b.dir()},
		)},
	)
	return &FS{root: root}
}

// cpuRange formats CPUs 0 to n-1 as a sysfs CPU list.
func cpuRange(n int) string {
	if n <= 1 {
		return "0\n"
	}
	return "0-" + strconv.Itoa(n-1) + "\n"
}

// FSTypeName is the filesystem type /proc/mounts reports.
func (fs *FS) FSTypeName() string { return "sysfs" }

// Root implements vfs.Filesystem.
func (fs *FS) Root() (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *FS) Statfs() (vfs.Statfs, error) {
	return vfs.Statfs{Type: SysfsMagic, Bsize: 4096, Namelen: vfs.NameMax, Flags: unix.ST_RDONLY}, nil
}

// node is a directory or a generated read-only file.
type node struct {
	ino   uint64
	mode  uint32
	time  vfs.Timespec
	names []string         // directories: children in order
	kids  map[string]*node // directories
	read  func() string    // files
}

type named struct {
	name string
	n    *node
}

// builder numbers the nodes of one tree.
type builder struct {
	next uint64
	now  vfs.Timespec
}

func (b *builder) node(mode uint32) *node {
	b.next++
	return &node{ino: b.next, mode: mode, time: b.now}
}

func (b *builder) dir(children ...named) *node {
	n := b.node(unix.S_IFDIR | 0o755)
	n.kids = map[string]*node{}
	for _, c := range children {
		n.names = append(n.names, c.name)
		n.kids[c.name] = c.n
	}
	return n
}

func (b *builder) file(read func() string) *node {
	n := b.node(unix.S_IFREG | 0o444)
	n.read = read
	return n
}

func (n *node) isDir() bool { return n.kids != nil }

// Stat implements vfs.Inode. Files report a page as their size, as
// sysfs's attributes do.
func (n *node) Stat() (vfs.Stat, error) {
	st := vfs.Stat{Ino: n.ino, Nlink: 1, Mode: n.mode, Atime: n.time, Mtime: n.time, Ctime: n.time}
	if n.isDir() {
		st.Nlink = 2
		for _, k := range n.kids {
			if k.isDir() {
				st.Nlink++
			}
		}
	} else {
		st.Size = 4096
	}
	return st, nil
}

// SetStat implements vfs.Inode.
func (n *node) SetStat(*vfs.SetStat) error { return unix.EPERM }

// Open implements vfs.Inode.
func (n *node) Open(flags int) (vfs.FileImpl, error) {
	if n.isDir() {
		return &dirFile{n: n}, nil
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY {
		return nil, unix.EACCES
	}
	return &file{n: n}, nil
}

// Readlink implements vfs.Inode.
func (n *node) Readlink() (string, error) { return "", unix.EINVAL }

// Lookup implements vfs.Inode.
func (n *node) Lookup(name string) (vfs.Inode, error) {
	if !n.isDir() {
		return nil, unix.ENOTDIR
	}
	if k, ok := n.kids[name]; ok {
		return k, nil
	}
	return nil, unix.ENOENT
}

func (n *node) refuse() error {
	if !n.isDir() {
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

// file is an open attribute; its contents are generated by the first read
// and again by every read at offset 0.
type file struct {
	n *node

	mu   sync.Mutex
	data []byte // protected by mu
}

// Read implements vfs.FileImpl.
func (f *file) Read(_ vfs.Blocker, dst []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.data == nil || off == 0 {
		f.data = []byte(f.n.read())
	}
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(dst, f.data[off:]), nil
}

// Write implements vfs.FileImpl.
func (f *file) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EACCES }

// Stat implements vfs.FileImpl.
func (f *file) Stat() (vfs.Stat, error) { return f.n.Stat() }

// Release implements vfs.FileImpl.
func (f *file) Release() {}

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
