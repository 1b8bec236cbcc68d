// Package tmpfs registers the in-memory filesystem ("tmpfs") with the
// registry. The filesystem itself is core/vfs/memfs, shared with
// fs/overlay's upper layer; see that package for where file data lives
// (Go memory for now) and how the size limit is enforced (ENOSPC).
package tmpfs

import (
	"fmt"
	"strconv"

	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
)

// Config is the body of a `mount "/tmp" { type = "tmpfs" ... }` block.
type Config struct {
	Size *config.Size `hcl:"size,optional" doc:"capacity of file data; writes past it fail with ENOSPC (default: unlimited)"`
	Mode *string      `hcl:"mode,optional" doc:"permission bits of the root directory in octal, as a string: \"1777\" (default), \"755\""`
}

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "tmpfs",
		Summary: "in-memory filesystem",
		Config:  (*Config)(nil),
		New:     func(cfg any) (any, error) { return New(cfg.(*Config)) },
	})
}

// New returns a tmpfs configured by cfg (nil means the defaults).
func New(cfg *Config) (vfs.Filesystem, error) {
	opts := memfs.Options{Mode: 0o1777}
	if cfg != nil && cfg.Size != nil {
		n, err := cfg.Size.Bytes()
		if err != nil {
			return nil, fmt.Errorf("tmpfs: size: %w", err)
		}
		opts.Size = n
	}
	if cfg != nil && cfg.Mode != nil {
		m, err := strconv.ParseUint(*cfg.Mode, 8, 32)
		if err != nil || m > 0o7777 {
			return nil, fmt.Errorf("tmpfs: mode %q is not octal permission bits (\"0\" to \"7777\")", *cfg.Mode)
		}
		opts.Mode = uint32(m)
	}
	return memfs.New(opts), nil
}
