package config

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/registry"
)

// checkedConfig has rules beyond its types (config.Checker).
type checkedConfig struct {
	N int `hcl:"n"`
}

func (c *checkedConfig) Check() error {
	switch {
	case c.N < 0:
		return AttrErrorf("n", "%d is negative", c.N)
	case c.N == 99:
		return errors.New("99 is not allowed here")
	}
	return nil
}

func init() {
	for _, kind := range []registry.Kind{registry.KindCgroup, registry.KindFS} {
		registry.Register(registry.Factory{Kind: kind, Name: "checked", Config: (*checkedConfig)(nil),
			New: func(cfg any) (any, error) { return cfg, nil }})
	}
}

// TestChecker: a config struct's Check runs at load time; its errors are
// diagnostics at the attribute they name, or at the block, all at once.
func TestChecker(t *testing.T) {
	src := "cgroup \"checked\" {\n  n = -3\n}\nmount \"/a\" {\n  type = \"checked\"\n  n = 99\n}\nmount \"/b\" {\n  type = \"checked\"\n  n = 5\n}\n"
	_, diags := Load([]byte(src), "c.hcl", Options{Platform: "testplat", Network: "testnet"})
	var got []string
	for _, d := range diags {
		got = append(got, d.Error())
	}
	want := []string{
		`c.hcl:2,7-9: Invalid cgroup "checked" block; n: -3 is negative.`,
		`c.hcl:5,10-19: Invalid fs "checked" block; 99 is not allowed here.`,
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
