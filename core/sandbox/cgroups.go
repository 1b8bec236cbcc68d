package sandbox

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// cgroupLimits builds the config's cgroup controllers and returns the
// limits they set together; a limit no controller set stays zero.
func cgroupLimits(sb *config.Sandbox) (cgroup.Limits, error) {
	var l cgroup.Limits
	for _, s := range sb.Cgroups {
		c, err := newSubsystem[cgroup.Controller](s)
		if err != nil {
			return cgroup.Limits{}, err
		}
		c.Apply(&l)
	}
	return l, nil
}

// maxTasks returns the sandbox's threads-max, and lets the Go runtime have
// an OS thread for each task and its own besides: a task holds a locked OS
// thread for its life, and past the runtime's thread limit (10000 by
// default) the runtime would kill Ward.
//
// Each task costs the host two threads (Ward's and the stub's), so the
// limit is also kept to a quarter of the host's PID and thread space
// (kernel.pid_max, kernel.threads-max): a sandbox that spawns threads
// without end gets EAGAIN while the host, Ward included, can still create
// threads. A pids controller limits further; it cannot raise this.
func maxTasks(l cgroup.Limits) int {
	n := kernel.DefaultMaxTasks
	for _, f := range []string{"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"} {
		if host := readHostInt(f); host > 0 {
			n = min(n, max(host/4, 64))
		}
	}
	debug.SetMaxThreads(n + runtimeThreads)
	return n
}

// readHostInt reads a number from a host /proc file, or returns 0.
func readHostInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return n
}

// runtimeThreads is the headroom of OS threads beyond one per task: the Go
// runtime's own, the platform's, idle task runners.
const runtimeThreads = 2048

// memoryLimit is the memory file's limit: the memory controller's, or
// without one the host's RAM, so that a sandbox that would exhaust the host
// meets its own OOM killer first.
func memoryLimit(l cgroup.Limits) uint64 {
	if l.Memory != 0 {
		return l.Memory
	}
	return hostMemory()
}

// hostMemory returns the host's RAM in bytes, or 0 if it cannot tell.
func hostMemory() uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
