package tests

import (
	"strings"
	"testing"
)

// TestSignalfd: blocked signals are read from a signalfd, natively and
// under ward.
func TestSignalfd(t *testing.T) {
	probe := buildProbe(t, "signalfd_probe")
	for _, underWard := range []bool{false, true} {
		r := run(t, underWard, probe)
		if r.status != 0 || !strings.HasSuffix(r.stdout, "PASSED\n") {
			t.Errorf("ward=%v: status %d\n%s\n%s", underWard, r.status, r.stdout, r.stderr)
		}
	}
}
