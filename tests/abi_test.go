package tests

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// staticProbe builds testdata/abi_probe.c with gcc -static.
func staticProbe(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed; tools/test installs it")
	}
	out := filepath.Join(t.TempDir(), "abi_probe")
	src, err := filepath.Abs("testdata/abi_probe.c")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("gcc", "-static", "-O1", "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc -static: %v\n%s", err, b)
	}
	return out
}

// TestABIProbe runs a static C program that checks what only ward's kernel
// makes true: PID 1, EFAULT for bad pointers, ENOSYS for unknown calls, a
// parent PID the host did not supply.
func TestABIProbe(t *testing.T) {
	probe := staticProbe(t)
	// The probe lives in a temporary directory, which the sandbox sees
	// through the root overlay's host layer.
	r := run(t, true, probe)
	if r.status != 0 || !strings.HasSuffix(r.stdout, "PASSED\n") {
		t.Errorf("status %d\n%s\n%s", r.status, r.stdout, r.stderr)
	}
	if strings.Count(r.stdout, "ok ") < 8 {
		t.Errorf("not every check ran:\n%s", r.stdout)
	}
}
