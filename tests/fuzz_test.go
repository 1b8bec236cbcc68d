package tests

import (
	"strings"
	"testing"
)

// TestSyscallFuzz runs random system calls with garbage arguments under
// ward (testdata/syscall_fuzz.c), in child processes that may die of
// anything. Ward must end normally and log no kernel error: the seeds are
// fixed, and they found a panic in getrandom and ranges past the top of
// the address space reaching the platform from mremap and madvise.
func TestSyscallFuzz(t *testing.T) {
	probe := buildProbe(t, "syscall_fuzz")
	for _, mode := range []string{"any", "mm", "net"} {
		r := run(t, true, probe, mode, "4", "1")
		if r.status != 0 || r.stdout != "fuzz done\n" {
			t.Errorf("%s: status %d, stdout %q\n%s", mode, r.status, r.stdout, r.stderr)
		}
		for _, bad := range []string{"kernel bug", "panic", "failed inside the kernel", "task failed"} {
			if strings.Contains(r.stderr, bad) {
				t.Errorf("%s: ward logged %q:\n%s", mode, bad, r.stderr)
			}
		}
	}
}
