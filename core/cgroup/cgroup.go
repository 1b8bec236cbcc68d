// Package cgroup defines the interface of a cgroup controller: a limit on a
// resource that the whole sandbox is held to, as a container runtime puts a
// container in one cgroup.
//
// Ward has one cgroup, the sandbox. A controller is built from its HCL block
// (`cgroup "memory" { limit = "256MiB" }`) by the implementation registered
// under kind "cgroup" and that name (cgroups/memory, cgroups/pids,
// cgroups/cpu); it states its limits by filling in Limits, and the kernel
// enforces them where the resource is spent:
//
//   - Memory: the memory file's limit (core/mm/memfile Options.Limit).
//     Everything the sandbox keeps in memory counts: anonymous memory,
//     private copies, tmpfs files, the page cache. A mapping larger than
//     the limit is refused (ENOMEM); a fault that finds no memory has the
//     kernel reclaim the page cache and then kill the process with the most
//     resident memory (core/kernel, oom.go).
//   - Tasks: the most live tasks (threads count, as in cgroup v2's pids
//     controller); clone(2) past it fails with EAGAIN.
//   - CPU: the sandbox's CPU bandwidth in thousandths of a CPU; tasks that
//     have used the sandbox's share of a period wait for the next one
//     (core/kernel, cpu_bandwidth.go).
//
// Several controllers may set the same limit; the smallest wins.
package cgroup

// Controller is a cgroup controller built from its config block.
type Controller interface {
	// Name is the controller's cgroup v2 name ("memory", "pids", "cpu").
	Name() string

	// Apply adds the controller's limits to l, lowering those l already
	// has (see Limits.Lower).
	Apply(l *Limits)
}

// Limits are the limits the kernel enforces on the whole sandbox. Zero
// means no limit.
type Limits struct {
	// Memory is the most memory the sandbox may use, in bytes.
	Memory uint64

	// Tasks is the most tasks (threads) that may be alive at once.
	Tasks int

	// CPUMilli is the CPU time the sandbox may use per unit of wall-clock
	// time, in thousandths of a CPU: 1500 is one and a half CPUs.
	CPUMilli uint64

	// CPUPeriodMicros is the accounting period for CPUMilli in
	// microseconds (cgroup v2's cpu.max period); zero means 100000.
	CPUPeriodMicros uint64
}

// Lower sets *limit to v if v is a limit (non-zero) below the current one.
func Lower[T uint64 | int](limit *T, v T) {
	if v != 0 && (*limit == 0 || v < *limit) {
		*limit = v
	}
}
