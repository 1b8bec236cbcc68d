package tests

import (
	"strings"
	"testing"
)

// TestABIProbe runs a static C program that checks what only ward's kernel
// makes true: PID 1, EFAULT for bad pointers, ENOSYS for unknown calls, a
// parent PID the host did not supply.
func TestABIProbe(t *testing.T) {
	probe := buildProbe(t, "abi_probe")
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
