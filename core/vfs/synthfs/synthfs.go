// Package synthfs is a read-only tree of generated files, built once: the
// shape of filesystems like /sys and /sys/fs/cgroup, whose directories are
// fixed and whose files describe something else (the sandbox's CPUs, its
// cgroup) when they are read.
//
// A Builder numbers the nodes of one tree: Dir makes a directory of named
// children, File a read-only file whose contents a function generates. New
// wraps the root in a Filesystem with the statfs magic and type name it is
// given:
//
//	b := &synthfs.Builder{}
//	root := b.Dir(
//		synthfs.Named("online", b.File(func() string { return "0-3\n" })),
//		synthfs.Named("cpu0", b.Dir()),
//	)
//	fs := synthfs.New(root, synthfs.Options{Magic: 0x62656572, TypeName: "sysfs"})
//
// An entry may be conditional (Entry.If): it is listed and found only while
// its condition holds, so a tree built before it knows what to describe can
// show it later without changing shape.
//
// The tree is read-only: opening a file for writing is EACCES, creating,
// removing or renaming entries EACCES (ENOTDIR under a file), and changing
// attributes EPERM.
//
// # Locking
//
// The tree is immutable once built; the only lock is an open file's mutex,
// which guards that file's own copy of the contents and is a leaf. An open
// file keeps its copy until it is read at offset 0 again, so a reader that
// reads in pieces sees one consistent generation.
package synthfs

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Options describe a Filesystem.
type Options struct {
	// Magic is the f_type statfs reports (SYSFS_MAGIC, CGROUP2_SUPER_MAGIC).
	Magic uint64

	// TypeName is the filesystem type /proc/mounts reports ("sysfs",
	// "cgroup2").
	TypeName string
}

// Filesystem is a read-only tree of generated files.
type Filesystem struct {
	root *Node   // immutable
	opts Options // immutable
}

// New returns the filesystem whose root is root.
//
// Preconditions: root is a directory (Builder.Dir).
func New(root *Node, opts Options) *Filesystem {
	if !root.isDir() {
		panic("synthfs: the root is not a directory")
	}
	return &Filesystem{root: root, opts: opts}
}

// FSTypeName is the filesystem type /proc/mounts reports.
func (fs *Filesystem) FSTypeName() string { return fs.opts.TypeName }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root() (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *Filesystem) Statfs() (vfs.Statfs, error) {
	return vfs.Statfs{Type: fs.opts.Magic, Bsize: 4096, Namelen: vfs.NameMax, Flags: unix.ST_RDONLY}, nil
}

// Builder numbers the nodes of one tree. The zero value is ready to use;
// every node it builds is dated from its first node.
type Builder struct {
	// FileSize is the size Stat reports for the files File builds after
	// it is set: sysfs reports a page for its attributes, cgroupfs 0.
	FileSize int64

	next uint64
	now  vfs.Timespec
}

func (b *Builder) node(mode uint32) *Node {
	if b.next == 0 {
		b.now = vfs.Now()
	}
	b.next++
	return &Node{ino: b.next, mode: mode, time: b.now}
}

// Dir returns a directory holding children, listed in the order given.
// A name given twice keeps its last node.
func (b *Builder) Dir(children ...Entry) *Node {
	n := b.node(unix.S_IFDIR | 0o755)
	n.kids = make(map[string]Entry, len(children))
	for _, c := range children {
		if _, dup := n.kids[c.name]; !dup {
			n.names = append(n.names, c.name)
		}
		n.kids[c.name] = c
	}
	return n
}

// File returns a read-only file whose contents read generates; it is
// called on an open file's first read and on every read at offset 0.
func (b *Builder) File(read func() string) *Node {
	n := b.node(unix.S_IFREG | 0o444)
	n.read = read
	n.size = b.FileSize
	return n
}

// Entry is a named child of a directory.
type Entry struct {
	name    string
	node    *Node
	present func() bool // nil: always
}

// Named returns the entry name for n.
func Named(name string, n *Node) Entry { return Entry{name: name, node: n} }

// If returns e present only while present returns true: otherwise lookups
// of it fail with ENOENT and listings leave it out. present must be cheap
// and safe to call from any goroutine.
func (e Entry) If(present func() bool) Entry {
	e.present = present
	return e
}

func (e Entry) shown() bool { return e.present == nil || e.present() }
