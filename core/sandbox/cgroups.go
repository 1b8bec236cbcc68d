package sandbox

import (
	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/config"
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
