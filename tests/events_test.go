package tests

import (
	"strings"
	"testing"
)

// TestEventsProbe runs a static C program that waits on many things and
// uses timers: eventfd, timerfd with epoll, epoll on pipes (level, edge,
// one-shot, nested, closed files), select, setitimer's SIGALRM
// interrupting and restarting a read, alarm, POSIX timers, and
// rt_sigtimedwait with rt_sigqueueinfo. It must
// pass natively (the probe's own check) and under ward.
func TestEventsProbe(t *testing.T) {
	probe := buildProbe(t, "events_probe")
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
