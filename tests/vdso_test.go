package tests

import (
	"strings"
	"testing"
)

// TestVDSOClocks: programs get the host's vDSO (AT_SYSINFO_EHDR), the
// clocks it reads agree with the kernel's clock_gettime, and absolute
// deadlines taken from it are honoured by clock_nanosleep, timerfds and
// futexes, as natively.
func TestVDSOClocks(t *testing.T) {
	probe := buildProbe(t, "clock_probe")
	native := run(t, false, probe)
	under := run(t, true, probe)
	if native.status != 0 || under.status != 0 || under.stdout != native.stdout {
		t.Fatalf("native (status %d):\n%s\nunder ward (status %d):\n%s\nstderr:\n%s",
			native.status, native.stdout, under.status, under.stdout, under.stderr)
	}
}

// TestVDSONoSyscalls: reading the clock 100000 times costs (almost) no
// system calls under ward: the reads go through the vDSO, not through
// ptrace stops.
func TestVDSONoSyscalls(t *testing.T) {
	probe := buildProbe(t, "clock_probe")
	if r := run(t, false, probe); !strings.Contains(r.stdout, "vdso: yes") {
		t.Skip("the host gives programs no vDSO")
	}
	r := run(t, false, wardBinary(t), "run", "--strace", "--", probe, "spin")
	if r.status != 0 || r.stdout != "spun\n" {
		t.Fatalf("status %d, stdout %q\n%s", r.status, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stderr, "clock_gettime("); n > 100 {
		t.Errorf("%d clock_gettime system calls for 100000 clock reads", n)
	}
}
