// Package memfs is an in-memory filesystem: the implementation behind
// fs/tmpfs and the upper layer of fs/overlay. It lives under core/vfs so
// that both can use it without importing each other.
//
// File data is kept in Go memory, in page-sized blocks allocated on first
// write (files are sparse). It is not in the kernel's memory file
// (core/mm/memfile) yet: a filesystem constructor has no way to reach the
// kernel's File, and mmap of a memfs file (which would need its pages
// there) is not wired up. The page-granular layout is chosen so that
// swapping a block for a memfile Range later is local to data.go.
//
// # Capacity
//
// Options.Size bounds the bytes of data blocks; a write that needs a block
// beyond it writes what fits and fails with ENOSPC if nothing fits. Data
// blocks are the sandbox's memory too: once the sandbox hands the FS its
// memory charger (SetMemoryCharger), every block is charged against the
// sandbox's memory limit, and a block the limit cannot cover is ENOSPC in
// the same way (Linux would have its OOM killer free memory; here the
// writer is told the space is gone).
// Metadata (inodes, names, symlink targets) is not counted, as on Linux's
// tmpfs, which limits it through the inode count instead.
//
// # Locking
//
// FS.mu protects every inode of the filesystem. It is held for the whole of
// each operation, data copies included, and is a leaf with respect to the
// VFS: memfs never calls back into the VFS while holding it.
package memfs

import (
	"sync"

	"github.com/google/btree"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// TmpfsMagic is the f_type statfs reports.
const TmpfsMagic = 0x01021994

// Options configures New.
type Options struct {
	// Size is the capacity in bytes; 0 means unlimited.
	Size uint64

	// Mode is the permission bits of the root directory (for example
	// 01777).
	Mode uint32

	// UID and GID own the root directory.
	UID, GID uint32
}

// FS is an in-memory filesystem.
type FS struct {
	mu sync.Mutex

	limit uint64 // immutable; 0 is unlimited

	// used is the bytes of allocated data blocks. Protected by mu.
	used uint64

	// charger, if set, is charged for every data block. Set once at
	// boot, before the FS is shared; read with mu held.
	charger vfs.MemoryCharger

	// nextIno is the next inode number. Protected by mu.
	nextIno uint64

	// inodes counts live inodes, for statfs. Protected by mu.
	inodes uint64

	root *inode // immutable
}

// New returns an empty filesystem.
func New(opts Options) *FS {
	fs := &FS{limit: opts.Size, nextIno: 1}
	fs.root = fs.newInode(unix.S_IFDIR|opts.Mode&07777, 0, vfs.Owner{UID: opts.UID, GID: opts.GID})
	fs.root.nlink = 2
	return fs
}

// Root implements vfs.Filesystem.
func (fs *FS) Root() (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *FS) Statfs() (vfs.Statfs, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	blocks := fs.limit / blockSize
	if fs.limit == 0 {
		blocks = 1 << 40 / blockSize
	}
	used := fs.used / blockSize
	free := uint64(0)
	if blocks > used {
		free = blocks - used
	}
	return vfs.Statfs{
		Type: TmpfsMagic, Bsize: blockSize, Blocks: blocks, Bfree: free, Bavail: free,
		Files: 1 << 20, Ffree: 1<<20 - min(fs.inodes, 1<<20), Namelen: vfs.NameMax, Frsize: blockSize,
	}, nil
}

// SetMemoryCharger implements vfs.MemoryAccounted.
//
// Preconditions: the FS holds no file data yet (it is called at boot) and
// has no charger.
func (fs *FS) SetMemoryCharger(c vfs.MemoryCharger) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.used != 0 || fs.charger != nil {
		panic("memfs: SetMemoryCharger on a filesystem that already holds data")
	}
	fs.charger = c
}

// chargeLocked takes n bytes of data blocks from the filesystem's
// capacity and the sandbox's memory, or returns false taking nothing.
//
// Preconditions: fs.mu is held.
func (fs *FS) chargeLocked(n uint64) bool {
	if fs.limit != 0 && fs.used+n > fs.limit {
		return false
	}
	if fs.charger != nil && !fs.charger.Charge(n) {
		return false
	}
	fs.used += n
	return true
}

// unchargeLocked gives back n bytes of data blocks.
//
// Preconditions: fs.mu is held.
func (fs *FS) unchargeLocked(n uint64) {
	fs.used -= n
	if fs.charger != nil {
		fs.charger.Uncharge(n)
	}
}

// Used returns the bytes of file data held.
func (fs *FS) Used() uint64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.used
}

// newInode returns a new inode with nlink 1.
//
// Preconditions: fs.mu is held, or fs is not yet shared.
func (fs *FS) newInode(mode uint32, rdev uint64, owner vfs.Owner) *inode {
	now := vfs.Now()
	in := &inode{
		fs: fs, ino: fs.nextIno, mode: mode, uid: owner.UID, gid: owner.GID, rdev: rdev, nlink: 1,
		atime: now, mtime: now, ctime: now,
	}
	fs.nextIno++
	fs.inodes++
	if mode&unix.S_IFMT == unix.S_IFDIR {
		in.children = map[string]*entry{}
		in.order = btree.NewG(16, func(a, b *entry) bool { return a.serial < b.serial })
	}
	return in
}
