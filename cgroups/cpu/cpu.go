// Package cpu is the cpu cgroup controller: it bounds the CPU time the
// sandbox may use per period of wall-clock time (cgroup v2's cpu.max), so
// "1.5" CPUs lets its tasks run 150 ms in every 100 ms, however many there
// are. It registers as cgroup "cpu".
package cpu

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

// Config is the body of a `cgroup "cpu" { ... }` block.
type Config struct {
	CPUs   config.CPUs      `hcl:"cpus" doc:"CPU time the sandbox may use, in CPUs (\"0.5\", \"1.5\", \"2\"); tasks that used the sandbox's share of a period wait for the next"`
	Period *config.Duration `hcl:"period,optional" doc:"the accounting period, 1ms to 1s (default \"100ms\", as cgroup v2's cpu.max)"`
}

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindCgroup,
		Name:    "cpu",
		Summary: "CPU bandwidth limit for the whole sandbox",
		Config:  (*Config)(nil),
		New:     func(cfg any) (any, error) { return New(cfg.(*Config)) },
	})
}

// Controller is the cpu controller.
type Controller struct {
	milli  uint64
	period time.Duration
}

// Check implements config.Checker.
func (cfg *Config) Check() error {
	if _, err := cfg.CPUs.Milli(); err != nil {
		return config.AttrErrorf("cpus", "%v", err)
	}
	if cfg.Period != nil {
		p, err := cfg.Period.Duration()
		if err != nil {
			return config.AttrErrorf("period", "%v", err)
		}
		if p < time.Millisecond || p > time.Second {
			return config.AttrErrorf("period", "%q is not between 1ms and 1s", string(*cfg.Period))
		}
	}
	return nil
}

// New builds the controller from its config.
func New(cfg *Config) (*Controller, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	m, _ := cfg.CPUs.Milli()
	c := &Controller{milli: m, period: 100 * time.Millisecond}
	if cfg.Period != nil {
		c.period, _ = cfg.Period.Duration()
	}
	return c, nil
}

// Name implements cgroup.Controller.
func (*Controller) Name() string { return "cpu" }

// Apply implements cgroup.Controller. Of two cpu blocks the smaller share
// wins, with its own period.
func (c *Controller) Apply(l *cgroup.Limits) {
	if l.CPUMilli == 0 || c.milli < l.CPUMilli {
		l.CPUMilli = c.milli
		l.CPUPeriodMicros = uint64(c.period / time.Microsecond)
	}
}

var _ cgroup.Controller = (*Controller)(nil)
