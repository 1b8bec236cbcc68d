package pids

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

func TestPids(t *testing.T) {
	f, ok := registry.Lookup(registry.KindCgroup, "pids")
	if !ok {
		t.Fatal("cgroup pids is not registered")
	}
	v, err := f.New(&Config{Max: 64})
	if err != nil {
		t.Fatal(err)
	}
	var l cgroup.Limits
	v.(cgroup.Controller).Apply(&l)
	if l.Tasks != 64 {
		t.Errorf("Tasks = %d, want 64", l.Tasks)
	}
	for _, bad := range []int{0, -1, 1 << 30} {
		if _, err := New(&Config{Max: bad}); err == nil {
			t.Errorf("max = %d accepted", bad)
		}
	}
}
