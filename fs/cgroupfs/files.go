package cgroupfs

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/kernel"
)

// The files' contents, in the formats of Linux's cgroup v2
// (Documentation/admin-guide/cgroup-v2.rst). Methods of *attached are
// called only once a kernel is attached, except where they say otherwise.

// defaultPeriodMicros is cpu.max's period when the config sets none.
const defaultPeriodMicros = 100000

// controllers is cgroup.controllers (and cgroup.subtree_control): the
// configured controllers, space-separated, in the kernel's order. a may be
// nil.
func (a *attached) controllers() string {
	var names []string
	if a != nil {
		if a.cpu {
			names = append(names, "cpu")
		}
		if a.memory {
			names = append(names, "memory")
		}
		if a.pids {
			names = append(names, "pids")
		}
	}
	return strings.Join(names, " ") + "\n"
}

// events is cgroup.events: populated while a process lives. a may be nil.
func (a *attached) events() string {
	populated := 0
	if a != nil && len(a.k.AllProcesses()) > 0 {
		populated = 1
	}
	return "populated " + strconv.Itoa(populated) + "\nfrozen 0\n"
}

// procs is cgroup.procs: the live processes' PIDs.
func (a *attached) procs() string {
	var ids []int32
	for _, tg := range a.k.AllProcesses() {
		ids = append(ids, tg.TGID())
	}
	return formatIDs(ids)
}

// threads is cgroup.threads: the live tasks' TIDs.
func (a *attached) threads() string {
	var ids []int32
	for _, tg := range a.k.AllProcesses() {
		for _, t := range tg.Info().Threads {
			ids = append(ids, t.TID())
		}
	}
	return formatIDs(ids)
}

// formatIDs formats PIDs or TIDs one a line, in increasing order.
func formatIDs(ids []int32) string {
	slices.Sort(ids)
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.Itoa(int(id)))
		b.WriteByte('\n')
	}
	return b.String()
}

// cpuPeriod returns the CPU bandwidth period of l.
func cpuPeriod(l cgroup.Limits) time.Duration {
	if l.CPUPeriodMicros == 0 {
		return defaultPeriodMicros * time.Microsecond
	}
	return time.Duration(l.CPUPeriodMicros) * time.Microsecond
}

// cpuMax is cpu.max: "$QUOTA $PERIOD" in microseconds, QUOTA "max" without
// a limit.
func cpuMax(l cgroup.Limits) string {
	period := uint64(cpuPeriod(l) / time.Microsecond)
	quota := "max"
	if l.CPUMilli != 0 {
		quota = strconv.FormatUint(l.CPUMilli*period/1000, 10)
	}
	return quota + " " + strconv.FormatUint(period, 10) + "\n"
}

// cpuStat is cpu.stat.
func (a *attached) cpuStat() string {
	return formatCPUStat(a.k.CPUStat(), time.Since(a.k.BootTime()), cpuPeriod(a.limits))
}

// formatCPUStat formats cpu.stat from the kernel's CPU bandwidth account,
// the time since boot and the period. All charged time is application
// time: user_usec is usage_usec and system_usec 0 (the kernel's time
// serving system calls is Ward's own and not charged). nr_periods is the
// periods elapsed since boot, an upper bound of Linux's count (which skips
// periods in which the cgroup was idle).
func formatCPUStat(st kernel.CPUStat, uptime, period time.Duration) string {
	usage := st.Usage.Microseconds()
	periods := int64(0)
	if period > 0 && uptime > 0 {
		periods = int64(uptime / period)
	}
	periods = max(periods, st.NrThrottled)
	var b strings.Builder
	for _, kv := range []struct {
		k string
		v int64
	}{
		{"usage_usec", usage},
		{"user_usec", usage},
		{"system_usec", 0},
		{"nr_periods", periods},
		{"nr_throttled", st.NrThrottled},
		{"throttled_usec", st.Throttled.Microseconds()},
		{"nr_bursts", 0},
		{"burst_usec", 0},
	} {
		b.WriteString(kv.k)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(kv.v, 10))
		b.WriteByte('\n')
	}
	return b.String()
}

// memoryMax is memory.max: the memory file's limit, what the kernel
// enforces (the configured limit rounded down to a page).
func (a *attached) memoryMax() string {
	n := a.limits.Memory
	if mf := a.k.MemoryFile(); mf != nil {
		n = mf.Limit()
	}
	return strconv.FormatUint(n, 10) + "\n"
}

// memoryCurrent is memory.current: what counts against the memory limit,
// the bytes allocated in the memory file and those charged to it (tmpfs
// and overlay data, core/vfs.MemoryCharger).
func (a *attached) memoryCurrent() string {
	var n uint64
	if mf := a.k.MemoryFile(); mf != nil {
		u := mf.Usage()
		n = u.Allocated + u.Charged
	}
	return strconv.FormatUint(n, 10) + "\n"
}

// memoryEvents is memory.events. Every time the limit is reached and
// reclaim cannot help the kernel kills one process, so max, oom and
// oom_kill all count the kills; there is no memory.high to pass.
func memoryEvents(kills int) string {
	n := strconv.Itoa(kills)
	return "low 0\nhigh 0\nmax " + n + "\noom " + n + "\noom_kill " + n + "\noom_group_kill 0\n"
}

// pidsMax is pids.max: the task limit, "max" for none.
func pidsMax(n int) string {
	if n <= 0 {
		return "max\n"
	}
	return strconv.Itoa(n) + "\n"
}

// pidsCurrent is pids.current: the live tasks, threads included.
func (a *attached) pidsCurrent() string { return strconv.Itoa(a.k.NumTasks()) + "\n" }
