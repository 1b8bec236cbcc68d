package cpu

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

func TestCPU(t *testing.T) {
	f, ok := registry.Lookup(registry.KindCgroup, "cpu")
	if !ok {
		t.Fatal("cgroup cpu is not registered")
	}
	v, err := f.New(&Config{CPUs: "1.5"})
	if err != nil {
		t.Fatal(err)
	}
	var l cgroup.Limits
	v.(cgroup.Controller).Apply(&l)
	if l.CPUMilli != 1500 || l.CPUPeriodMicros != 100000 {
		t.Errorf("limits %+v, want 1500 milli-CPUs per 100 ms", l)
	}
	p := config.Duration("10ms")
	c, err := New(&Config{CPUs: "0.5", Period: &p})
	if err != nil {
		t.Fatal(err)
	}
	c.Apply(&l) // smaller: wins with its period
	if l.CPUMilli != 500 || l.CPUPeriodMicros != 10000 {
		t.Errorf("limits %+v, want 500 milli-CPUs per 10 ms", l)
	}
	bad := config.Duration("5s")
	for _, cfg := range []*Config{{CPUs: "0"}, {CPUs: "x"}, {CPUs: "1", Period: &bad}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}
