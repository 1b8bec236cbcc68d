package tests

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// Tests of fs/cgroupfs: the sandbox's cgroup at /sys/fs/cgroup, read by
// real programs as they read it in a container.

// cgroupfsConfig writes a sandbox config with /proc, /sys and the cgroupfs
// mount, and the given cgroup blocks. Unlike limitsConfig it leaves /tmp
// on the overlay, so that programs the test builds there can run.
func cgroupfsConfig(t *testing.T, cgroups string) string {
	t.Helper()
	return sandboxConfig(t, `mount "/sys" {
  type = "sys"
}
mount "/sys/fs/cgroup" {
  type = "cgroupfs"
}
network "none" {}
`+cgroups)
}

const cgroupfsLimits = `cgroup "memory" {
  limit = "128MiB"
}
cgroup "pids" {
  max = 32
}
cgroup "cpu" {
  cpus   = "1"
  period = "50ms"
}`

// TestCgroupfsLimits reads the limits, usage and identity files with cat
// and the shell, as a container's programs do.
func TestCgroupfsLimits(t *testing.T) {
	needFile(t, "/bin/cat")
	needFile(t, "/bin/grep")
	script := `
cd /sys/fs/cgroup || exit 1
for f in cgroup.controllers cgroup.subtree_control cgroup.type cgroup.max.depth cgroup.events memory.max memory.swap.max memory.events pids.max cpu.max; do
  echo "== $f"
  cat $f
done
read n < pids.current; echo "pids.current $n"
read p < cgroup.procs; echo "cgroup.procs $p"
read m < memory.current
if [ "$m" -gt 0 ] && [ "$m" -lt 134217728 ]; then echo "memory.current in range"; else echo "memory.current $m"; fi
grep -q '^usage_usec [1-9]' cpu.stat && echo "cpu.stat counts"
cat /proc/self/cgroup
grep cgroup2 /proc/self/mountinfo
if (echo 1 > cpu.max) 2>/dev/null; then echo "cpu.max writable"; else echo "cpu.max read-only"; fi
if mkdir child 2>/dev/null; then echo "mkdir worked"; else echo "no child cgroups"; fi
`
	r := ward(t, "run", "--config", cgroupfsConfig(t, cgroupfsLimits), "--", "/bin/sh", "-c", script)
	want := `== cgroup.controllers
cpu memory pids
== cgroup.subtree_control
cpu memory pids
== cgroup.type
domain
== cgroup.max.depth
max
== cgroup.events
populated 1
frozen 0
== memory.max
134217728
== memory.swap.max
0
== memory.events
low 0
high 0
max 0
oom 0
oom_kill 0
oom_group_kill 0
== pids.max
32
== cpu.max
50000 50000
pids.current 1
cgroup.procs 1
memory.current in range
cpu.stat counts
0::/
`
	mountinfo := regexp.MustCompile(`^\d+ \d+ \d+:\d+ / /sys/fs/cgroup ro,relatime - cgroup2 cgroup2 ro\n`)
	tail := "cpu.max read-only\nno child cgroups\n"
	rest, ok := strings.CutPrefix(r.stdout, want)
	if ok {
		rest, ok = strings.CutSuffix(rest, tail)
	}
	if r.status != 0 || !ok || !mountinfo.MatchString(rest) || strings.Count(rest, "\n") != 1 {
		t.Errorf("status %d, stdout:\n%s\nwant:\n%s<the cgroup2 line of mountinfo>\n%s\nstderr:\n%s", r.status, r.stdout, want, tail, r.stderr)
	}
}

// TestCgroupfsWithoutControllers: the default config has the cgroupfs
// mount and no cgroup blocks, so only the cgroup.* files are there.
func TestCgroupfsWithoutControllers(t *testing.T) {
	needFile(t, "/bin/ls")
	r := run(t, true, "/bin/sh", "-c", "ls /sys/fs/cgroup; cat /sys/fs/cgroup/cgroup.controllers /proc/1/cgroup")
	want := "cgroup.controllers\ncgroup.events\ncgroup.freeze\ncgroup.max.depth\ncgroup.max.descendants\n" +
		"cgroup.procs\ncgroup.stat\ncgroup.subtree_control\ncgroup.threads\ncgroup.type\n\n0::/\n"
	if r.status != 0 || r.stdout != want {
		t.Errorf("status %d, stdout %q, want %q\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
	}
}

// gomaxprocsProgram prints the Go runtime's GOMAXPROCS and CPU count.
const gomaxprocsProgram = `package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Println(runtime.GOMAXPROCS(0), runtime.NumCPU()) }
`

// TestCgroupfsGOMAXPROCS runs a static Go program under cpus = "1": since
// Go 1.25 the runtime finds its cgroup through /proc/self/cgroup and
// /proc/self/mountinfo and sets GOMAXPROCS from cpu.max, to
// min(CPUs, max(2, ceil(quota/period))) — 2 here, or 1 on a one-CPU host.
// On a two-CPU host that is the CPU count anyway, so the test also checks
// in the system call trace that the runtime opened cpu.max.
func TestCgroupfsGOMAXPROCS(t *testing.T) {
	// go 1.25: the cgroup-aware GOMAXPROCS default depends on the module's
	// language version.
	bin := buildGoProgram(t, "gomaxprocs", gomaxprocsProgram, "1.25")
	cfg := cgroupfsConfig(t, `cgroup "cpu" {
  cpus = "1"
}`)
	r := ward(t, "run", "--strace", "--config", cfg, "--", bin)
	var procs, cpus int
	if _, err := fmt.Sscan(r.stdout, &procs, &cpus); err != nil || r.status != 0 {
		t.Fatalf("status %d, stdout %q (%v)\nstderr:\n%s", r.status, r.stdout, err, r.stderr[max(0, len(r.stderr)-4000):])
	}
	if want := min(cpus, 2); procs != want {
		t.Errorf("GOMAXPROCS = %d with %d CPUs under cpus = \"1\", want %d", procs, cpus, want)
	}
	opened := regexp.MustCompile(`(?m)openat\(AT_FDCWD, "/sys/fs/cgroup/+cpu\.max", [^)]*\) = \d+$`)
	if !opened.MatchString(r.stderr) {
		t.Errorf("the Go runtime did not open /sys/fs/cgroup/cpu.max; its cgroup lookups:\n%s", cgroupLines(r.stderr))
	}
}

// cgroupLines returns the lines of s that mention cgroup.
func cgroupLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "cgroup") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
