package tests

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// eventsProbe builds testdata/events_probe.c with gcc -static.
func eventsProbe(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed; tools/test installs it")
	}
	out := filepath.Join(t.TempDir(), "events_probe")
	src, err := filepath.Abs("testdata/events_probe.c")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("gcc", "-static", "-O1", "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc -static: %v\n%s", err, b)
	}
	return out
}

// TestEventsProbe runs a static C program that waits on many things and
// uses timers: eventfd, timerfd with epoll, epoll on pipes (level, edge,
// one-shot, nested, closed files), select, setitimer's SIGALRM
// interrupting and restarting a read, alarm, POSIX timers, and
// rt_sigtimedwait with rt_sigqueueinfo. It must
// pass natively (the probe's own check) and under ward.
func TestEventsProbe(t *testing.T) {
	probe := eventsProbe(t)
	for _, underWard := range []bool{false, true} {
		name := "native"
		if underWard {
			name = "ward"
		}
		t.Run(name, func(t *testing.T) {
			r := run(t, underWard, probe)
			if r.status != 0 || !strings.HasSuffix(r.stdout, "PASSED\n") {
				t.Errorf("status %d\n%s\n%s", r.status, r.stdout, r.stderr)
			}
			if n := strings.Count(r.stdout, "ok "); n < 17 {
				t.Errorf("%d checks passed, want 17:\n%s", n, r.stdout)
			}
		})
	}
}
