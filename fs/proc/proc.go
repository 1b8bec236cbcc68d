// Package proc is the /proc filesystem ("proc"). It describes the sandbox,
// never the host: the processes and threads of the kernel it is attached to
// (/proc/[pid], /proc/self, /proc/thread-self), and the sandbox's view of the
// system (uptime, loadavg, meminfo from the memory file, cpuinfo, version,
// filesystems, stat, mounts, and a few /proc/sys values).
//
// A process directory has cgroup ("0::/": the sandbox is one cgroup v2
// cgroup, fs/cgroupfs), cmdline, comm, cwd, environ, exe, fd/, fdinfo/
// (pos, flags, mnt_id, ino), limits, maps, mountinfo, mounts, net/ (the
// sandbox's network stack: dev, if_inet6, route, tcp, udp, ...; net.go,
// also /proc/net), root, smaps_rollup (totals only: the memory manager tracks no per-mapping
// residency), stat, statm, status and task/, whose [tid] directories
// describe one thread each.
//
// # Attaching
//
// A registry constructor gets only its config, so the filesystem starts
// without a kernel and lists nothing; the sandbox calls AttachKernel once,
// after building the kernel and before starting the init process.
//
// # Who is asking
//
// Inode methods do not say which task calls them. /proc/self and
// /proc/thread-self ask the kernel (Kernel.TaskForCurrentThread), which
// knows the task by the host thread: every task goroutine is locked to its
// own OS thread, and system calls are served on it.
//
// # Inodes
//
// Nothing is cached: each Lookup builds a fresh node whose contents are
// computed when read (a regular file is generated again whenever it is read
// at offset 0, like Linux's seq files). Inode numbers are derived from what
// a node describes (see ino.go), so they are stable across lookups.
//
// # Descriptor links
//
// /proc/[pid]/fd/N is a symbolic link to the path of the open file or, for
// an anonymous file, to a name like "pipe:[ino]". Linux's links are "magic":
// opening one opens the description itself. Ward's VFS follows a link by
// walking its target, so an anonymous target is resolved relative to the fd
// directory, whose Lookup accepts such names and opens the matching
// description again (fd.go). This is what makes /dev/stdout work when
// standard output is a pipe or a terminal.
//
// # Read-only
//
// Opening a file for writing is EACCES; creating, removing or renaming
// entries is EACCES, and changing attributes is EPERM.
//
// # Locking
//
// FS.mu protects the exe memo (exe.go) and is a leaf. The kernel's locks are
// only taken through its accessors, never while FS.mu is held.
package proc

import (
	"sync"
	"sync/atomic"

	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindFS,
		Name:    "proc",
		Summary: "/proc: the sandbox's processes and system information",
		New:     func(any) (any, error) { return New(), nil },
	})
}

// ProcSuperMagic is the f_type statfs reports (PROC_SUPER_MAGIC).
const ProcSuperMagic = 0x9fa0

// FS is a /proc filesystem.
type FS struct {
	// k is the kernel described; nil until AttachKernel.
	k atomic.Pointer[kernel.Kernel]

	// root and the static tree below it are immutable after New.
	root *node

	// busyHWM is the highest busy time /proc/stat has reported, in
	// nanoseconds (see busyTime).
	busyHWM atomic.Int64

	mu sync.Mutex
	// exes remembers the last absolute executable path reported for a
	// process (see exe.go). Protected by mu.
	exes map[*kernel.ThreadGroup]exeMemo
}

// New returns a /proc filesystem attached to no kernel.
func New() *FS {
	fs := &FS{exes: map[*kernel.ThreadGroup]exeMemo{}}
	fs.root = fs.newRoot()
	return fs
}

// AttachKernel makes fs describe k. The sandbox calls it once, before the
// first process starts; until then the root is empty.
func (fs *FS) AttachKernel(k *kernel.Kernel) { fs.k.Store(k) }

// kernel returns the attached kernel, or nil.
func (fs *FS) kernel() *kernel.Kernel { return fs.k.Load() }

// FSTypeName is the filesystem type /proc/mounts reports.
func (fs *FS) FSTypeName() string { return "proc" }

// Root implements vfs.Filesystem.
func (fs *FS) Root() (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *FS) Statfs() (vfs.Statfs, error) {
	return vfs.Statfs{Type: ProcSuperMagic, Bsize: 4096, Namelen: vfs.NameMax}, nil
}
