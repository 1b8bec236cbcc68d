package registry

import (
	"strings"
	"testing"
)

type fakeConfig struct {
	Size string `hcl:"size,optional"`
}

func newFake(cfg any) (any, error) { return cfg, nil }

func TestRegisterAndLookup(t *testing.T) {
	reset()
	defer reset()
	Register(Factory{Kind: KindFS, Name: "memfs", Config: (*fakeConfig)(nil), New: newFake})
	Register(Factory{Kind: KindNet, Name: "none", New: newFake})
	if err := Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	f, ok := Lookup(KindFS, "memfs")
	if !ok {
		t.Fatal("memfs not found")
	}
	if want := "github.com/seed-a9fb2a21/ward/core/registry"; f.Package != want {
		t.Errorf("Package = %q, want %q", f.Package, want)
	}
	cfg, ok := f.NewConfig().(*fakeConfig)
	if !ok || cfg == nil {
		t.Fatalf("NewConfig() = %#v, want *fakeConfig", f.NewConfig())
	}
	if _, ok := Lookup(KindFS, "none"); ok {
		t.Error("lookup crossed kinds")
	}
	all := All()
	if len(all) != 2 || all[0].Kind != KindFS || all[1].Kind != KindNet {
		t.Errorf("All() order wrong: %v", all)
	}
}

func TestDuplicateNamesBothPackages(t *testing.T) {
	reset()
	defer reset()
	Register(Factory{Kind: KindFS, Name: "dup", New: newFake, Package: "example.com/a"})
	Register(Factory{Kind: KindFS, Name: "dup", New: newFake, Package: "example.com/b"})
	err := Err()
	if err == nil {
		t.Fatal("duplicate registration not reported")
	}
	for _, want := range []string{"example.com/a", "example.com/b", `"dup"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	// The same name under another kind is no conflict.
	reset()
	Register(Factory{Kind: KindFS, Name: "x", New: newFake})
	Register(Factory{Kind: KindNet, Name: "x", New: newFake})
	if err := Err(); err != nil {
		t.Errorf("same name, different kinds: %v", err)
	}
}

func TestBadFactories(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    Factory
		want string
	}{
		{"kind", Factory{Kind: "gpu", Name: "a", New: newFake}, "unknown kind"},
		{"empty name", Factory{Kind: KindFS, New: newFake}, "invalid name"},
		{"slash", Factory{Kind: KindFS, Name: "a/b", New: newFake}, "invalid name"},
		{"no New", Factory{Kind: KindFS, Name: "a"}, "without a constructor"},
		{"config not pointer", Factory{Kind: KindFS, Name: "a", New: newFake, Config: fakeConfig{}}, "pointer to a struct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reset()
			defer reset()
			Register(tc.f)
			if err := Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Err() = %v, want mention of %q", err, tc.want)
			}
			if len(All()) != 0 {
				t.Error("bad factory was registered")
			}
		})
	}
}
