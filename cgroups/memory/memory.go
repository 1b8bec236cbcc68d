// Package memory is the memory cgroup controller: it bounds the memory the
// whole sandbox may use (anonymous memory, tmpfs files, the page cache),
// which the kernel enforces through the memory file's limit and its OOM
// killer (see core/cgroup). It registers as cgroup "memory".
package memory

import (
	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

// Config is the body of a `cgroup "memory" { ... }` block.
type Config struct {
	Limit config.Size `hcl:"limit" doc:"the most memory the sandbox may use (\"256MiB\", \"2GiB\"); a mapping larger than it fails with ENOMEM, and when it is used up the process with the most resident memory is killed (SIGKILL), as Linux's OOM killer does"`
}

// minLimit is the smallest limit accepted: less cannot run a shell.
const minLimit = 4 << 20

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindCgroup,
		Name:    "memory",
		Summary: "memory limit for the whole sandbox, with an OOM killer",
		Config:  (*Config)(nil),
		New:     func(cfg any) (any, error) { return New(cfg.(*Config)) },
	})
}

// Controller is the memory controller.
type Controller struct{ limit uint64 }

// Check implements config.Checker.
func (cfg *Config) Check() error {
	n, err := cfg.Limit.Bytes()
	if err != nil {
		return config.AttrErrorf("limit", "%v", err)
	}
	if n < minLimit {
		return config.AttrErrorf("limit", "%q is below the smallest memory a sandbox can run in (4MiB)", string(cfg.Limit))
	}
	return nil
}

// New builds the controller from its config.
func New(cfg *Config) (*Controller, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	n, _ := cfg.Limit.Bytes()
	return &Controller{limit: n}, nil
}

// Name implements cgroup.Controller.
func (*Controller) Name() string { return "memory" }

// Apply implements cgroup.Controller.
func (c *Controller) Apply(l *cgroup.Limits) { cgroup.Lower(&l.Memory, c.limit) }

var _ cgroup.Controller = (*Controller)(nil)
