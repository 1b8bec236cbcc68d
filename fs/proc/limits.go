package proc

import (
	"fmt"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/kernel"
)

// limitNames are the rows of /proc/[pid]/limits, indexed by RLIMIT_*:
// the name and the unit (Linux's lnames).
var limitNames = [kernel.NumLimits]struct{ name, unit string }{
	{"Max cpu time", "seconds"},
	{"Max file size", "bytes"},
	{"Max data size", "bytes"},
	{"Max stack size", "bytes"},
	{"Max core file size", "bytes"},
	{"Max resident set", "bytes"},
	{"Max processes", "processes"},
	{"Max open files", "files"},
	{"Max locked memory", "bytes"},
	{"Max address space", "bytes"},
	{"Max file locks", "locks"},
	{"Max pending signals", "signals"},
	{"Max msgqueue size", "bytes"},
	{"Max nice priority", ""},
	{"Max realtime priority", ""},
	{"Max realtime timeout", "us"},
}

// formatLimits formats /proc/[pid]/limits as Linux's proc_pid_limits
// does.
func formatLimits(l kernel.Limits) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	value := func(v uint64) string {
		if v == kernel.RlimInfinity {
			return "unlimited"
		}
		return fmt.Sprint(v)
	}
	for i, n := range limitNames {
		fmt.Fprintf(&b, "%-25s %-20s %-20s ", n.name, value(l[i].Cur), value(l[i].Max))
		if n.unit != "" {
			fmt.Fprintf(&b, "%-10s", n.unit)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// limits is /proc/[pid]/limits.
func (d *pidDir) limits() ([]byte, error) {
	return []byte(formatLimits(d.tg.Limits())), nil
}
