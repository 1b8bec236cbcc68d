package tests

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Tests of the cgroup controllers (cgroups/memory, cgroups/pids,
// cgroups/cpu): limits on the whole sandbox, enforced by the kernel, with
// real programs running into them.

// limitsConfig writes a sandbox config with the given cgroup blocks.
func limitsConfig(t *testing.T, cgroups string) string {
	t.Helper()
	return sandboxConfig(t, `mount "/tmp" {
  type = "tmpfs"
}
network "none" {}
`+cgroups)
}

// TestMemoryLimitOOM: under a 128 MiB memory limit /proc/meminfo shows the
// limit, a mapping larger than it fails with ENOMEM, and a python3 that
// allocates without end is killed by the OOM killer (SIGKILL, status 137)
// while the shell that started it carries on; the kernel says whom it
// killed. tmpfs data counts too: filling /tmp stops at the limit with
// ENOSPC, and removing the file gives the memory back.
func TestMemoryLimitOOM(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	needFile(t, "/bin/bash")
	cfg := limitsConfig(t, `cgroup "memory" {
  limit = "128MiB"
}`)
	script := `
grep MemTotal /proc/meminfo
/usr/bin/python3 -c '
import mmap
try:
    mmap.mmap(-1, 1 << 40)
except OSError as e:
    print("1 TiB mapping:", e.errno)
'
/usr/bin/python3 -c '
x = []
while True:
    x.append(bytearray(1 << 20))
'
echo "hog status $?"
/usr/bin/python3 -c 'print("after:", len(bytearray(64 << 20)) >> 20, "MiB")'
dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null
echo "dd status $?"
rm /tmp/fill
/usr/bin/python3 -c 'print("after rm:", len(bytearray(64 << 20)) >> 20, "MiB")'
`
	r := run(t, false, wardBinary(t), "run", "--config", cfg, "--", "/bin/bash", "-c", script)
	want := "MemTotal:         131072 kB\n1 TiB mapping: 12\nhog status 137\nafter: 64 MiB\n" +
		"dd status 1\nafter rm: 64 MiB\n"
	if r.status != 0 || r.stdout != want {
		t.Fatalf("status %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
	}
	if !strings.Contains(r.stderr, "out of memory: killed process") || !strings.Contains(r.stderr, "comm=python3") {
		t.Errorf("the OOM kill is not reported:\n%s", r.stderr)
	}
}

// TestPidsLimit: with pids.max 20, a python3 that is the sandbox's init
// forks until fork fails with EAGAIN: 19 children, since init is the 20th
// task; once they are gone it forks again.
func TestPidsLimit(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	cfg := limitsConfig(t, `cgroup "pids" {
  max = 20
}`)
	script := `
import os
r, w = os.pipe()
kids = []
try:
    for i in range(40):
        pid = os.fork()
        if pid == 0:
            os.close(w)
            os.read(r, 1)
            os._exit(0)
        kids.append(pid)
except BlockingIOError as e:
    print("forked", len(kids), "then errno", e.errno)
os.close(w)
for k in kids:
    os.waitpid(k, 0)
pid = os.fork()
if pid == 0:
    os._exit(3)
print("after:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
`
	r := run(t, false, wardBinary(t), "run", "--config", cfg, "--", "/usr/bin/python3", "-c", script)
	want := "forked 19 then errno 11\nafter: 3\n"
	if r.status != 0 || r.stdout != want {
		t.Fatalf("status %d, stdout %q, want %q\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
	}
}

// TestCPULimit: with a quarter of a CPU, two python3 threads that compute
// until the process has used 0.3 s more CPU time take at least about
// (0.3 s - one period's quota) / 0.25 of wall-clock time (unthrottled they
// take about 0.15 s). Only a lower bound is checked, with a fifth off for
// timer slack: a busy machine makes the run longer, never shorter.
func TestCPULimit(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	cfg := limitsConfig(t, `cgroup "cpu" {
  cpus = "0.25"
}`)
	script := `
import threading, time
c0, w0 = time.process_time(), time.monotonic()
def spin():
    while time.process_time() < c0 + 0.3:
        pass
ts = [threading.Thread(target=spin) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
print("%.3f %.3f" % (time.process_time() - c0, time.monotonic() - w0))
`
	r := run(t, false, wardBinary(t), "run", "--config", cfg, "--", "/usr/bin/python3", "-c", script)
	f := strings.Fields(r.stdout)
	if r.status != 0 || len(f) != 2 {
		t.Fatalf("status %d, stdout %q\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	cpu, err1 := strconv.ParseFloat(f[0], 64)
	wall, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || cpu < 0.3 {
		t.Fatalf("stdout %q", r.stdout)
	}
	const quota = 0.025 // 0.25 CPUs of a 100 ms period
	if least := 0.8 * (cpu - quota) / 0.25; wall < least {
		t.Errorf("used %.3f s of CPU in %.3f s of wall-clock time: more than a quarter of a CPU (want at least %.3f s)", cpu, wall, least)
	}
	t.Logf("%.3f s of CPU in %.3f s", cpu, wall)
}

// TestThreadsMax: the sandbox's threads-max keeps every task's two host
// threads (Ward's and the stub's) within a quarter of the host's PID and
// thread space, so that a program that spawns threads without end gets
// EAGAIN instead of exhausting the host or the Go runtime's thread limit
// (10000 threads there killed Ward before).
func TestThreadsMax(t *testing.T) {
	needBusybox(t)
	r := run(t, true, "/bin/busybox", "cat", "/proc/sys/kernel/threads-max")
	got, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if r.status != 0 || err != nil {
		t.Fatalf("status %d, stdout %q\n%s", r.status, r.stdout, r.stderr)
	}
	limit := 16384
	for _, f := range []string{"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if host, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			limit = min(limit, max(host/4, 64))
		}
	}
	if got != limit {
		t.Errorf("threads-max %d, want %d", got, limit)
	}
}
