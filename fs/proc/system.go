package proc

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/seed-a9fb2a21/ward/core/registry"
	"golang.org/x/sys/cpu"
)

// The sandbox's kernel identity. It must agree with what uname(2) reports
// (core/syscalls/sys_info.go: unameRelease, unameVersion).
const (
	osType    = "Linux"
	osRelease = "6.1.0-ward"
	osVersion = "#1 SMP Ward application kernel"
)

// numCPU is the number of processors the sandbox reports, as
// sched_getaffinity does.
func numCPU() int { return runtime.NumCPU() }

// version is /proc/version.
func version() string {
	return fmt.Sprintf("%s version %s (ward@ward) (%s) %s\n", osType, osRelease, runtime.Version(), osVersion)
}

// filesystems is /proc/filesystems: the filesystem types this build of
// Ward can mount. None needs a block device.
func filesystems() string {
	var b strings.Builder
	for _, name := range registry.Names(registry.KindFS) {
		fmt.Fprintf(&b, "nodev\t%s\n", name)
	}
	return b.String()
}

// busyTime returns the time every live task has spent running application
// code. It never decreases from one call to the next (processes that are
// reaped take their time with them), so that tools computing deltas from
// /proc/stat never see negative ones.
func (fs *FS) busyTime() time.Duration {
	k := fs.kernel()
	if k == nil {
		return 0
	}
	var busy time.Duration
	for _, tg := range k.AllProcesses() {
		info := tg.Info()
		busy += info.ExitedCPU
		for _, t := range info.Threads {
			busy += t.CPUTime()
		}
	}
	for {
		last := fs.busyHWM.Load()
		if int64(busy) <= last {
			return time.Duration(last)
		}
		if fs.busyHWM.CompareAndSwap(last, int64(busy)) {
			return busy
		}
	}
}

// uptime is /proc/uptime.
func (fs *FS) uptime() string {
	k := fs.kernel()
	if k == nil {
		return formatUptime(0, 0)
	}
	up := time.Since(k.BootTime())
	return formatUptime(up, idleTime(up, fs.busyTime(), numCPU()))
}

// idleTime is the time the sandbox's CPUs were not running its tasks.
func idleTime(up, busy time.Duration, ncpu int) time.Duration {
	idle := up*time.Duration(ncpu) - busy
	if idle < 0 {
		return 0
	}
	return idle
}

// formatUptime formats /proc/uptime: seconds up and seconds idle (summed
// over CPUs), with two decimals.
func formatUptime(up, idle time.Duration) string {
	cs := func(d time.Duration) string {
		c := d / (10 * time.Millisecond)
		return fmt.Sprintf("%d.%02d", c/100, c%100)
	}
	return cs(up) + " " + cs(idle) + "\n"
}

// loadavg is /proc/loadavg. Ward keeps no load average yet: the averages
// are 0; the reader itself is the one runnable task.
func (fs *FS) loadavg() string {
	k := fs.kernel()
	if k == nil {
		return formatLoadavg(0, 0, 0)
	}
	return formatLoadavg(1, k.NumTasks(), k.LastPID())
}

// formatLoadavg formats /proc/loadavg.
func formatLoadavg(running, total int, lastPID int32) string {
	return fmt.Sprintf("0.00 0.00 0.00 %d/%d %d\n", running, total, lastPID)
}

// meminfo is /proc/meminfo: the memory file is the sandbox's memory.
func (fs *FS) meminfo() string {
	k := fs.kernel()
	if k == nil {
		return formatMeminfo(0, 0, 0)
	}
	mf := k.MemoryFile()
	u := mf.Usage()
	return formatMeminfo(mf.Limit(), u.Allocated+u.Charged, u.Charged)
}

// formatMeminfo formats /proc/meminfo from the total and used bytes, and
// the part of used that is tmpfs data (shmem), in Linux's layout (the label
// padded to 16 columns, the value to 8, in kB).
func formatMeminfo(total, used, shmem uint64) string {
	if used > total {
		used = total
	}
	free := total - used
	var b strings.Builder
	kb := func(label string, v uint64) {
		fmt.Fprintf(&b, "%-16s%8d kB\n", label+":", v/1024)
	}
	kb("MemTotal", total)
	kb("MemFree", free)
	kb("MemAvailable", free)
	kb("Buffers", 0)
	kb("Cached", 0)
	kb("SwapCached", 0)
	kb("Active", used)
	kb("Inactive", 0)
	kb("SwapTotal", 0)
	kb("SwapFree", 0)
	kb("Dirty", 0)
	kb("Writeback", 0)
	kb("AnonPages", used-min(shmem, used))
	kb("Mapped", 0)
	kb("Shmem", shmem)
	kb("Slab", 0)
	kb("SReclaimable", 0)
	kb("SUnreclaim", 0)
	kb("KernelStack", 0)
	kb("PageTables", 0)
	kb("CommitLimit", total)
	kb("Committed_AS", used)
	kb("VmallocTotal", 0)
	kb("VmallocUsed", 0)
	kb("VmallocChunk", 0)
	b.WriteString("HugePages_Total:       0\nHugePages_Free:        0\n")
	kb("Hugepagesize", 2<<20)
	return b.String()
}

// cpuinfo is /proc/cpuinfo.
func (fs *FS) cpuinfo() string { return formatCPUInfo(numCPU(), cpuFlags()) }

// formatCPUInfo formats /proc/cpuinfo for n processors with the given
// feature flags: the fields programs look for, nothing about the host
// beyond the instruction set the application runs on anyway.
func formatCPUInfo(n int, flags []string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "processor\t: %d\n", i)
		b.WriteString("vendor_id\t: Ward\ncpu family\t: 6\nmodel\t\t: 0\nmodel name\t: Ward virtual CPU\nstepping\t: 0\n")
		fmt.Fprintf(&b, "physical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\n", n, i, n, i)
		b.WriteString("fpu\t\t: yes\nfpu_exception\t: yes\nwp\t\t: yes\n")
		fmt.Fprintf(&b, "flags\t\t: %s\n", strings.Join(flags, " "))
		b.WriteString("bogomips\t: 2000.00\nclflush size\t: 64\ncache_alignment\t: 64\n")
		b.WriteString("address sizes\t: 46 bits physical, 48 bits virtual\npower management:\n\n")
	}
	return b.String()
}

// cpuFlags lists the instruction set extensions the CPU has, by their
// /proc/cpuinfo names.
func cpuFlags() []string {
	x := cpu.X86
	flags := []string{"fpu", "tsc", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2", "syscall", "nx", "lm"}
	for _, f := range []struct {
		has  bool
		name string
	}{
		{x.HasSSE3, "pni"}, {x.HasPCLMULQDQ, "pclmulqdq"}, {x.HasSSSE3, "ssse3"}, {x.HasFMA, "fma"},
		{x.HasCX16, "cx16"}, {x.HasSSE41, "sse4_1"}, {x.HasSSE42, "sse4_2"}, {x.HasPOPCNT, "popcnt"},
		{x.HasAES, "aes"}, {x.HasOSXSAVE, "xsave"}, {x.HasAVX, "avx"}, {x.HasRDRAND, "rdrand"},
		{x.HasBMI1, "bmi1"}, {x.HasAVX2, "avx2"}, {x.HasBMI2, "bmi2"}, {x.HasERMS, "erms"},
		{x.HasAVX512F, "avx512f"}, {x.HasRDSEED, "rdseed"}, {x.HasADX, "adx"},
	} {
		if f.has {
			flags = append(flags, f.name)
		}
	}
	return flags
}

// stat is /proc/stat.
func (fs *FS) stat() string {
	k := fs.kernel()
	if k == nil {
		return formatSystemStat(numCPU(), 0, 0, 0, 0)
	}
	up := time.Since(k.BootTime())
	return formatSystemStat(numCPU(), fs.busyTime(), up, k.BootTime().Unix(), k.LastPID())
}

// formatSystemStat formats /proc/stat: the CPU lines (the tasks' running
// time counted as user time, spread evenly over the CPUs; the rest idle),
// the boot time and process counts.
func formatSystemStat(ncpu int, busy, up time.Duration, btime int64, lastPID int32) string {
	if ncpu < 1 {
		ncpu = 1
	}
	user := ticks(busy)
	idle := ticks(idleTime(up, busy, ncpu))
	var b strings.Builder
	line := func(name string, user, idle uint64) {
		fmt.Fprintf(&b, "%s %d 0 0 %d 0 0 0 0 0 0\n", name, user, idle)
	}
	line("cpu ", user, idle)
	for i := 0; i < ncpu; i++ {
		line(fmt.Sprintf("cpu%d", i), user/uint64(ncpu), idle/uint64(ncpu))
	}
	fmt.Fprintf(&b, "intr 0\nctxt 0\nbtime %d\nprocesses %d\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n", btime, lastPID)
	return b.String()
}
