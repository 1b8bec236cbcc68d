// Package pids is the pids cgroup controller: it bounds how many tasks
// (processes and threads) the sandbox may have alive at once, so that a fork
// bomb ends in EAGAIN instead of exhausting the host. It registers as
// cgroup "pids".
package pids

import (
	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

// Config is the body of a `cgroup "pids" { ... }` block.
type Config struct {
	Max int `hcl:"max" doc:"the most tasks (threads count) alive at once; fork, clone and pthread_create past it fail with EAGAIN"`
}

// maxMax is the largest limit accepted, the kernel's PID space.
const maxMax = 1 << 22

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindCgroup,
		Name:    "pids",
		Summary: "limit on the number of tasks (processes and threads) in the sandbox",
		Config:  (*Config)(nil),
		New:     func(cfg any) (any, error) { return New(cfg.(*Config)) },
	})
}

// Controller is the pids controller.
type Controller struct{ max int }

// Check implements config.Checker.
func (cfg *Config) Check() error {
	if cfg.Max < 1 || cfg.Max > maxMax {
		return config.AttrErrorf("max", "%d is not between 1 and %d", cfg.Max, maxMax)
	}
	return nil
}

// New builds the controller from its config.
func New(cfg *Config) (*Controller, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return &Controller{max: cfg.Max}, nil
}

// Name implements cgroup.Controller.
func (*Controller) Name() string { return "pids" }

// Apply implements cgroup.Controller.
func (c *Controller) Apply(l *cgroup.Limits) { cgroup.Lower(&l.Tasks, c.max) }

var _ cgroup.Controller = (*Controller)(nil)
