package tests

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// buildProbe compiles testdata/NAME.c into a static executable with gcc
// (plus extra flags such as -pthread) and returns its path. The probes
// check from inside the sandbox what only a faithful kernel makes true.
func buildProbe(t *testing.T, name string, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed; tools/test installs it")
	}
	out := filepath.Join(t.TempDir(), name)
	src, err := filepath.Abs(filepath.Join("testdata", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-static", "-O1"}, extra...)
	args = append(args, "-o", out, src)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	return out
}
