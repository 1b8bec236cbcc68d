package memory

import (
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

func TestMemory(t *testing.T) {
	f, ok := registry.Lookup(registry.KindCgroup, "memory")
	if !ok {
		t.Fatal("cgroup memory is not registered")
	}
	v, err := f.New(&Config{Limit: "256MiB"})
	if err != nil {
		t.Fatal(err)
	}
	l := cgroup.Limits{Memory: 1 << 30}
	v.(cgroup.Controller).Apply(&l)
	if l.Memory != 256<<20 {
		t.Errorf("Memory = %d, want 256 MiB", l.Memory)
	}
	l = cgroup.Limits{Memory: 64 << 20}
	v.(cgroup.Controller).Apply(&l)
	if l.Memory != 64<<20 {
		t.Errorf("a larger limit raised a smaller one: %d", l.Memory)
	}
	for _, bad := range []string{"1MiB", "lots", "-5"} {
		if _, err := New(&Config{Limit: configSize(bad)}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("limit %q: error %v, want one naming the value", bad, err)
		}
	}
}

func configSize(s string) config.Size { return config.Size(s) }
