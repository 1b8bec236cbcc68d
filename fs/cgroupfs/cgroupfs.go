// Package cgroupfs is the cgroup2 filesystem ("cgroupfs"), mounted at
// /sys/fs/cgroup: the sandbox's one cgroup as a program inside a container
// sees its cgroup namespace root, with the limits of the configured
// controllers (cgroups/memory, cgroups/pids, cgroups/cpu) and what the
// kernel has counted against them. Programs that size themselves from it
// (the Go runtime's GOMAXPROCS from cpu.max, the JVM's heap from
// memory.max) see the sandbox's limits.
//
//	cgroup.controllers, cgroup.subtree_control   the configured controllers
//	                                             among "cpu memory pids"
//	cgroup.procs, cgroup.threads                 live PIDs, TIDs, sorted
//	cgroup.type                                  "domain"
//	cgroup.max.depth, cgroup.max.descendants     "max"
//	cgroup.events, cgroup.stat, cgroup.freeze    a populated, unfrozen leaf
//	memory.max, memory.current, memory.events    the memory limit, what
//	                                             counts against it, OOM kills
//	memory.high, memory.low, memory.min,         "max", "0", "0": none
//	memory.swap.max, memory.swap.current         "0": no swap
//	pids.max, pids.current                       the task limit, live tasks
//	cpu.max, cpu.stat, cpu.weight                the CPU bandwidth limit and
//	                                             its accounting; weight 100
//
// The cgroup.* files are always there; a controller's files only when a
// cgroup block configures it, as cgroup v2 shows a controller's files only
// where it is enabled (kernel.Limits is zero for a resource no controller
// limits).
//
// # Attaching
//
// The tree is built in New, before the kernel exists; the sandbox calls
// AttachKernel (as for fs/proc) before the first process starts. Until
// then the files describe an empty cgroup with no controllers.
//
// # Read-only
//
// The tree is a core/vfs/synthfs tree: opening a file for writing is
// EACCES (a limit is changed in the config, not by writing cpu.max),
// creating or removing entries EACCES (no child cgroups), changing
// attributes EPERM. An open file keeps the contents it generated until it
// is read at offset 0 again.
package cgroupfs

import (
	"sync/atomic"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs/synthfs"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "cgroupfs",
		Summary: "/sys/fs/cgroup: the sandbox's cgroup (cgroup2), its limits and usage",
		New:     func(any) (any, error) { return New(), nil },
	})
}

// Cgroup2SuperMagic is the f_type statfs reports (CGROUP2_SUPER_MAGIC).
const Cgroup2SuperMagic = 0x63677270

// FS is a cgroup2 filesystem.
type FS struct {
	*synthfs.Filesystem

	// at is what the files describe; nil until AttachKernel, then
	// immutable.
	at atomic.Pointer[attached]
}

// attached is the kernel described and what was configured.
type attached struct {
	k      *kernel.Kernel
	limits cgroup.Limits
	// memory, pids and cpu say which controllers a cgroup block
	// configured.
	memory, pids, cpu bool
}

// New returns a cgroup2 filesystem attached to no kernel.
func New() *FS {
	fs := &FS{}
	fs.Filesystem = synthfs.New(fs.tree(), synthfs.Options{Magic: Cgroup2SuperMagic, TypeName: "cgroup2"})
	return fs
}

// AttachKernel makes fs describe k. The sandbox calls it once, before the
// first process starts.
func (fs *FS) AttachKernel(k *kernel.Kernel) {
	l := k.Limits()
	fs.at.Store(&attached{
		k:      k,
		limits: l,
		memory: l.Memory != 0,
		pids:   l.Tasks != 0,
		cpu:    l.CPUMilli != 0,
	})
}

// tree builds the root directory. Files are 0 bytes in size, as kernfs
// reports them.
func (fs *FS) tree() *synthfs.Node {
	b := &synthfs.Builder{}
	text := func(s string) *synthfs.Node { return b.File(func() string { return s }) }
	// file is a file generated from the attached kernel; before
	// AttachKernel it is empty.
	file := func(f func(*attached) string) *synthfs.Node {
		return b.File(func() string {
			if a := fs.at.Load(); a != nil {
				return f(a)
			}
			return ""
		})
	}
	memory := func() bool { a := fs.at.Load(); return a != nil && a.memory }
	pids := func() bool { a := fs.at.Load(); return a != nil && a.pids }
	cpu := func() bool { a := fs.at.Load(); return a != nil && a.cpu }
	controllers := b.File(func() string { return fs.at.Load().controllers() })
	return b.Dir(
		synthfs.Named("cgroup.controllers", controllers),
		synthfs.Named("cgroup.events", b.File(func() string { return fs.at.Load().events() })),
		synthfs.Named("cgroup.freeze", text("0\n")),
		synthfs.Named("cgroup.max.depth", text("max\n")),
		synthfs.Named("cgroup.max.descendants", text("max\n")),
		synthfs.Named("cgroup.procs", file((*attached).procs)),
		synthfs.Named("cgroup.stat", text("nr_descendants 0\nnr_dying_descendants 0\n")),
		synthfs.Named("cgroup.subtree_control", controllers),
		synthfs.Named("cgroup.threads", file((*attached).threads)),
		synthfs.Named("cgroup.type", text("domain\n")),
		synthfs.Named("cpu.max", file(func(a *attached) string { return cpuMax(a.limits) })).If(cpu),
		synthfs.Named("cpu.stat", file((*attached).cpuStat)).If(cpu),
		synthfs.Named("cpu.weight", text("100\n")).If(cpu),
		synthfs.Named("memory.current", file((*attached).memoryCurrent)).If(memory),
		synthfs.Named("memory.events", file(func(a *attached) string { return memoryEvents(a.k.OOMKills()) })).If(memory),
		synthfs.Named("memory.high", text("max\n")).If(memory),
		synthfs.Named("memory.low", text("0\n")).If(memory),
		synthfs.Named("memory.max", file((*attached).memoryMax)).If(memory),
		synthfs.Named("memory.min", text("0\n")).If(memory),
		synthfs.Named("memory.swap.current", text("0\n")).If(memory),
		synthfs.Named("memory.swap.max", text("0\n")).If(memory),
		synthfs.Named("pids.current", file((*attached).pidsCurrent)).If(pids),
		synthfs.Named("pids.max", file(func(a *attached) string { return pidsMax(a.limits.Tasks) })).If(pids),
	)
}
