// Package sys is the /sys filesystem ("sys"): the little of sysfs that
// programs read to size themselves, describing the sandbox rather than the
// host.
//
//	/sys/devices/system/cpu/{online,possible,present}   "0-N" for the
//	                                                    sandbox's CPUs
//	/sys/devices/system/cpu/cpu0 ... cpuN               empty directories
//	/sys/fs/cgroup                                      an empty directory
//	                                                    (the mount point of
//	                                                    fs "cgroupfs")
//
// Everything else is absent (ENOENT), so a program falls back as it does
// in a container without sysfs. The tree is read-only: opening a file for
// writing is EACCES, creating or removing entries EACCES, and changing
// attributes EPERM.
//
// The tree is a core/vfs/synthfs tree, built once and immutable.
package sys

import (
	"runtime"
	"strconv"

	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs/synthfs"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "sys",
		Summary: "/sys: the sandbox's CPUs, and /sys/fs/cgroup as a mount point",
		New:     func(any) (any, error) { return New(), nil },
	})
}

// SysfsMagic is the f_type statfs reports (SYSFS_MAGIC).
const SysfsMagic = 0x62656572

// FS is a /sys filesystem.
type FS struct {
	*synthfs.Filesystem
}

// numCPU is the number of processors the sandbox reports (as /proc/cpuinfo
// and sched_getaffinity do).
var numCPU = runtime.NumCPU

// New returns a /sys filesystem.
func New() *FS {
	// Files report a page as their size, as sysfs's attributes do.
	b := &synthfs.Builder{FileSize: 4096}
	cpuList := b.File(func() string { return cpuRange(numCPU()) })
	cpuDir := []synthfs.Entry{
		synthfs.Named("online", cpuList),
		synthfs.Named("possible", cpuList),
		synthfs.Named("present", cpuList),
	}
	for i := 0; i < numCPU(); i++ {
		cpuDir = append(cpuDir, synthfs.Named("cpu"+strconv.Itoa(i), b.Dir()))
	}
	root := b.Dir(
		synthfs.Named("devices", b.Dir(
			synthfs.Named("system", b.Dir(
				synthfs.Named("cpu", b.Dir(cpuDir...)),
			)),
		)),
		synthfs.Named("fs", b.Dir(
			synthfs.Named("cgroup", b.Dir()),
		)),
	)
	return &FS{synthfs.New(root, synthfs.Options{Magic: SysfsMagic, TypeName: "sysfs"})}
}

// cpuRange formats CPUs 0 to n-1 as a sysfs CPU list.
func cpuRange(n int) string {
	if n <= 1 {
		return "0\n"
	}
	return "0-" + strconv.Itoa(n-1) + "\n"
}
