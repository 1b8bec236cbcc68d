// Package hostfs serves a directory of the host ("hostfs"), read-only by
// default.
//
// Every file is named by its path relative to the configured root and
// reached afresh for each operation with openat2(2) from a descriptor of
// the root, with RESOLVE_BENEATH and RESOLVE_NO_SYMLINKS: the host kernel
// refuses to follow any symbolic link, or to leave the root, whatever a
// host process does to the tree meanwhile. The VFS resolves the sandbox's
// symbolic links itself, so paths handed to hostfs never need the host to
// follow one. Inodes hold no host descriptors (a walk over a large tree
// must not exhaust them); only open files do.
//
// Inode numbers are the host's; files on other host filesystems below the
// root (source = "/" spans /proc, /sys, ...) get their device's index in
// the top byte so that numbers stay unique.
//
// # Locking
//
// FS.devMu protects the device index and is a leaf. Host files need no
// other locking.
package hostfs

import (
	"fmt"
	"path/filepath"
	"sync"

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
	return &FS{rootFD: fd, rootDev: st.Dev, readonly: ro, source: cfg.Source, devs: map[uint64]uint64{}}, nil
}

// Root implements vfs.Filesystem.
func (fs *FS) Root() (vfs.Inode, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fs.rootFD, &st); err != nil {
		return nil, err
	}
	return &inode{fs: fs, path: "", mode: st.Mode & unix.S_IFMT}, nil
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
