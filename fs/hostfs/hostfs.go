// Package hostfs serves a directory of the host ("hostfs"), read-only by
// default.
//
// Every file is named by its path relative to the configured root and
// reached afresh for each operation that asks the host, with openat2(2)
// from a descriptor of the root, with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS: the host kernel refuses to follow any symbolic
// link, or to leave the root, whatever a host process does to the tree
// meanwhile. The VFS resolves the sandbox's symbolic links itself, so paths
// handed to hostfs never need the host to follow one. Inodes hold no host
// descriptors (a walk over a large tree must not exhaust them); only open
// files do.
//
// Inode numbers are the host's; files on other host filesystems below the
// root (source = "/" spans /proc, /sys, ...) get their device's index in
// the top byte so that numbers stay unique.
//
// # Caching
//
// Asking the host is dear: a stat or a lookup is three host system calls
// (open, fstat, close) and a walk of the whole path by the host, and the
// VFS stats and looks up every component of every path a program names;
// as the lower layer of the default root (fs/overlay), hostfs serves each
// exec, open and stat of every sandboxed program. So, as FUSE does with
// its attribute and entry timeouts, an inode remembers its attributes (and
// a symbolic link its target), and a directory remembers the children it
// found (up to maxCachedNames of them), for cacheTTL after the host said
// so. A name that was not found is not remembered: a file the host creates
// is seen at once.
//
// Every change made through an FS (creating, linking, removing or renaming
// a name, changing attributes, writing to an open file) moves the FS's
// generation, which forgets everything the FS remembered; the sandbox sees
// its own changes at once. Changes made on the host by other processes
// (or through another FS of the same directory) are not seen until what
// was remembered is older than cacheTTL: a stat, including the one that
// tells the page cache whether a mapped file changed, may report the old
// attributes, and a name may still lead to a file the host has removed or
// replaced, for that long. This is the deviation from Linux, where the
// host's changes would show immediately.
//
// # Locking
//
// FS.devMu protects the device index, and inode.mu a directory's
// remembered lookups; both are leaves and never held together. Remembered
// attributes and symlink targets are replaced atomically. Host files need
// no other locking.
package hostfs

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Config is the body of a block with type = "hostfs".
type Config struct {
	Source   string `hcl:"source" doc:"absolute host path of the directory to serve"`
	Readonly *bool  `hcl:"readonly,optional" doc:"refuse every modification with EROFS (default true)"`
}

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "hostfs",
		Summary: "a host directory, read-only by default",
		Config:  (*Config)(nil),
		New:     func(cfg any) (any, error) { return New(cfg.(*Config)) },
	})
}

// FS is a host directory.
type FS struct {
	rootFD   int    // O_PATH descriptor of the root; immutable
	rootDev  uint64 // immutable
	readonly bool   // immutable
	source   string // immutable

	devMu sync.Mutex
	devs  map[uint64]uint64 // host device → index; protected by devMu

	// gen counts the changes made through fs; see changed.
	gen atomic.Uint64

	// ttl is cacheTTL, or shorter in tests; immutable once in use.
	ttl time.Duration

	// hostCalls counts the times Stat, Lookup and Readlink asked the host,
	// for tests.
	hostCalls atomic.Uint64
}

// New opens the host directory cfg names.
func New(cfg *Config) (*FS, error) {
	if cfg == nil || cfg.Source == "" {
		return nil, fmt.Errorf("hostfs: source is required")
	}
	if !filepath.IsAbs(cfg.Source) {
		return nil, fmt.Errorf("hostfs: source %q is not an absolute path", cfg.Source)
	}
	fd, err := unix.Open(cfg.Source, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("hostfs: opening source %q: %w", cfg.Source, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("hostfs: stat of source %q: %w", cfg.Source, err)
	}
	ro := true
	if cfg.Readonly != nil {
		ro = *cfg.Readonly
	}
	return &FS{rootFD: fd, rootDev: st.Dev, readonly: ro, source: cfg.Source, devs: map[uint64]uint64{}, ttl: cacheTTL}, nil
}

// Root implements vfs.Filesystem.
func (fs *FS) Root() (vfs.Inode, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fs.rootFD, &st); err != nil {
		return nil, err
	}
	return fs.newInode("", st.Mode), nil
}

// Statfs implements vfs.Filesystem.
func (fs *FS) Statfs() (vfs.Statfs, error) {
	var s unix.Statfs_t
	if err := unix.Fstatfs(fs.rootFD, &s); err != nil {
		return vfs.Statfs{}, err
	}
	out := vfs.Statfs{
		Type: uint64(s.Type), Bsize: s.Bsize, Blocks: s.Blocks, Bfree: s.Bfree, Bavail: s.Bavail,
		Files: s.Files, Ffree: s.Ffree, Namelen: s.Namelen, Frsize: s.Frsize, Flags: s.Flags,
	}
	if fs.readonly {
		out.Flags |= unix.ST_RDONLY
	}
	return out, nil
}

// Close closes the root descriptor.
func (fs *FS) Close() error { return unix.Close(fs.rootFD) }

// open opens path (relative to the root, "" for the root itself) without
// following any symbolic link or leaving the root.
func (fs *FS) open(path string, flags int, mode uint32) (int, error) {
	if path == "" {
		path = "."
	}
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC | unix.O_NOFOLLOW),
		Mode:    uint64(mode),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(fs.rootFD, path, &how)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue // a concurrent rename on the host; try again
		}
		return fd, err
	}
}

// ino maps a host inode number to one unique within fs.
func (fs *FS) ino(st *unix.Stat_t) uint64 {
	if st.Dev == fs.rootDev {
		return st.Ino
	}
	fs.devMu.Lock()
	defer fs.devMu.Unlock()
	idx, ok := fs.devs[st.Dev]
	if !ok {
		idx = uint64(len(fs.devs) + 1)
		fs.devs[st.Dev] = idx
	}
	return st.Ino ^ idx<<56
}

// stat converts a host stat.
func (fs *FS) stat(st *unix.Stat_t) vfs.Stat {
	return vfs.Stat{
		Ino: fs.ino(st), Nlink: st.Nlink, Mode: st.Mode, UID: st.Uid, GID: st.Gid,
		Rdev: st.Rdev, Size: st.Size, Blksize: st.Blksize, Blocks: st.Blocks,
		Atime: vfs.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtime: vfs.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctime: vfs.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}
}
