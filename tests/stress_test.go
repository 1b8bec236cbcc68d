package tests

import (
	"strings"
	"testing"
)

// TestStressNG runs stress-ng's process, pipe and futex stressors with
// verification under ward.
func TestStressNG(t *testing.T) {
	needFile(t, "/usr/bin/stress-ng")
	r := run(t, true, "/usr/bin/stress-ng", "--fork", "2", "--pipe", "1", "--futex", "2",
		"--timeout", "3s", "--verify", "--metrics-brief", "--temp-path", t.TempDir())
	out := r.stdout + r.stderr
	if r.status != 0 || !strings.Contains(out, "successful run completed") || strings.Contains(out, "fail:") {
		t.Errorf("status %d\n%s", r.status, out)
	}
}
