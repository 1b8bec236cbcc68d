// Package overlay is the default root filesystem ("overlay"): a read-only
// lower layer (a host directory, served by the "hostfs" implementation,
// reached through the registry) under an in-memory upper layer
// (core/vfs/memfs), so that a sandbox can change anything and the host is
// never modified.
//
// # Layers
//
// A file is in the upper layer, the lower layer, or both (a directory
// present in both is merged). The first change to a lower file (a write
// open, chmod, chown, utimes, truncate, link, rename) copies it up: its
// parent directories first, then the file with its data, mode, owner and
// times. Removing a name that exists in the lower layer leaves a whiteout
// in the upper layer: a character device 0/0 with that name, as Linux's
// overlayfs does. A directory created where a whiteout was is opaque: it
// holds a marker entry named OpaqueMarker, and the lower directory of the
// same name no longer shows through. Whiteouts and the marker are never
// visible to the sandbox.
//
// Limits: renaming a directory that exists in the lower layer fails with
// EXDEV (tools such as mv then copy), as overlayfs without redirect_dir
// does; RENAME_EXCHANGE is EINVAL; a description opened read-only before a
// copy-up keeps reading the lower file.
//
// # Inode numbers
//
// A file that exists in the lower layer keeps the lower inode number after
// copy-up, under every name it gets (hard links made afterwards too, as
// overlayfs's origin does); an upper-only file reports the upper number
// with the top bit set.
//
// # Locking
//
// FS.mu serialises every namespace change and copy-up, and is held while
// inodes consult the layers. It is taken before the layers' own locks.
package overlay

import (
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
	"golang.org/x/sys/unix"
)

// OpaqueMarker is the name of the entry that makes an upper directory
// opaque.
const OpaqueMarker = ".wh..wh..opq"

// upperInoBit marks inode numbers of upper-only files.
const upperInoBit = 1 << 63

// Config is the body of a `root { type = "overlay" ... }` block.
type Config struct {
	Lower string       `hcl:"lower,optional" doc:"host directory of the read-only lower layer (default \"/\")"`
	Size  *config.Size `hcl:"size,optional" doc:"capacity of the in-memory upper layer; writes past it fail with ENOSPC (default: unlimited)"`
}

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "overlay",
		Summary: "read-only host directory under an in-memory writable layer",
		Config:  (*Config)(nil),
		New:     func(cfg any) (any, error) { return New(cfg.(*Config)) },
	})
}

// FS is an overlay filesystem.
type FS struct {
	mu    sync.Mutex
	lower vfs.Filesystem // immutable
	upper *memfs.FS      // immutable
	root  *inode         // immutable

	// origin maps an upper non-directory made by copy-up to the lower
	// file's inode number, which every name of it reports (a hard link
	// made after the copy-up exists only in the upper layer). Protected
	// by mu.
	origin map[vfs.Inode]uint64
}

// New builds an overlay over the host directory cfg.Lower. The lower layer
// is the registered "hostfs", configured read-only.
func New(cfg *Config) (*FS, error) {
	lowerPath := "/"
	var size uint64
	if cfg != nil {
		if cfg.Lower != "" {
			lowerPath = cfg.Lower
		}
		if cfg.Size != nil {
			n, err := cfg.Size.Bytes()
			if err != nil {
				return nil, fmt.Errorf("overlay: size: %w", err)
			}
			size = n
		}
	}
	lower, err := newLower(lowerPath)
	if err != nil {
		return nil, err
	}
	return NewWithLower(lower, size)
}

// newLower builds a read-only hostfs of path through the registry,
// configuring it as a user's HCL would.
func newLower(path string) (vfs.Filesystem, error) {
	f, ok := registry.Lookup(registry.KindFS, "hostfs")
	if !ok {
		return nil, fmt.Errorf("overlay: the lower layer needs the \"hostfs\" filesystem, which this binary does not contain")
	}
	esc := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(path)
	src := fmt.Sprintf("source = %q\nreadonly = true\n", esc)
	file, diags := hclsyntax.ParseConfig([]byte(src), "overlay-lower.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("overlay: lower %q: %s", path, diags.Error())
	}
	cfg := f.NewConfig()
	if diags := gohcl.DecodeBody(file.Body, nil, cfg); diags.HasErrors() {
		return nil, fmt.Errorf("overlay: lower %q: %s", path, diags.Error())
	}
	l, err := f.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("overlay: lower layer: %w", err)
	}
	fs, ok := l.(vfs.Filesystem)
	if !ok {
		return nil, fmt.Errorf("overlay: hostfs returned %T, not a vfs.Filesystem", l)
	}
	return fs, nil
}

// NewWithLower builds an overlay over any lower filesystem, with an upper
// layer of size bytes (0: unlimited).
func NewWithLower(lower vfs.Filesystem, size uint64) (*FS, error) {
	lroot, err := lower.Root()
	if err != nil {
		return nil, fmt.Errorf("overlay: lower root: %w", err)
	}
	st, err := lroot.Stat()
	if err != nil {
		return nil, fmt.Errorf("overlay: lower root: %w", err)
	}
	upper := memfs.New(memfs.Options{Size: size, Mode: st.Mode & 07777, UID: st.UID, GID: st.GID})
	uroot, _ := upper.Root()
	// The merged root starts out looking like the lower one.
	uroot.SetStat(&vfs.SetStat{
		Mask:  vfs.SetAtime | vfs.SetMtime | vfs.SetCtime,
		Atime: st.Atime, Mtime: st.Mtime, Ctime: st.Ctime,
	})
	fs := &FS{lower: lower, upper: upper, origin: map[vfs.Inode]uint64{}}
	fs.root = &inode{fs: fs, upper: uroot, lower: lroot, typ: unix.S_IFDIR, ino: st.Ino}
	return fs, nil
}

// Root implements vfs.Filesystem.
func (fs *FS) Root() (vfs.Inode, error) { return fs.root, nil }

// SetMemoryCharger implements vfs.MemoryAccounted: the upper layer's data
// is the sandbox's memory.
func (fs *FS) SetMemoryCharger(c vfs.MemoryCharger) { fs.upper.SetMemoryCharger(c) }

// Statfs implements vfs.Filesystem: the upper layer's capacity.
func (fs *FS) Statfs() (vfs.Statfs, error) {
	st, err := fs.upper.Statfs()
	st.Type = 0x794c7630 // OVERLAYFS_SUPER_MAGIC
	return st, err
}

// isWhiteout reports whether an upper inode is a whiteout.
func isWhiteout(in vfs.Inode) bool {
	st, err := in.Stat()
	return err == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// isOpaque reports whether an upper directory is opaque.
func isOpaque(dir vfs.Inode) bool {
	_, err := dir.Lookup(OpaqueMarker)
	return err == nil
}

func typeOf(in vfs.Inode) uint32 {
	st, err := in.Stat()
	if err != nil {
		return 0
	}
	return st.Mode & unix.S_IFMT
}
