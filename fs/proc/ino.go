package proc

// Inode numbers. A node's number is derived from what it describes, so that
// two lookups of one file agree (the VFS keys mounts and `..` on them):
//
//	1 .. 1<<16                     the root and the static tree, in order
//	pid<<32                        /proc/[pid]
//	pid<<32 | i+1                  the i-th entry of /proc/[pid]
//	pid<<32 | inoFD | n            /proc/[pid]/fd/n
//	pid<<32 | inoReopen | fd       an anonymous file reopened through fd/
//	pid<<32 | inoFDInfo | n        /proc/[pid]/fdinfo/n
//	pid<<32 | inoNet | i+1         the i-th file of /proc/[pid]/net (net.go)
//	pid<<32 | inoTask | tid<<6     /proc/[pid]/task/[tid]
//	pid<<32 | inoTask | tid<<6 | i+1  its i-th entry
//
// PIDs and TIDs are below 1<<22 and descriptors below 1<<20 (vfs.MaxFDs).
const (
	inoRoot   = 1
	inoFD     = 1 << 24
	inoReopen = 2 << 24
	inoFDInfo = 3 << 24
	inoTask   = 1 << 30
)

func pidIno(pid int32) uint64 { return uint64(pid) << 32 }

func pidEntryIno(pid int32, i int) uint64 { return pidIno(pid) | uint64(i+1) }

func fdIno(pid int32, fd int) uint64 { return pidIno(pid) | inoFD | uint64(fd) }

func reopenIno(pid int32, fd int) uint64 { return pidIno(pid) | inoReopen | uint64(fd) }

func fdinfoIno(pid int32, fd int) uint64 { return pidIno(pid) | inoFDInfo | uint64(fd) }

func taskIno(pid, tid int32) uint64 { return pidIno(pid) | inoTask | uint64(tid)<<6 }

func taskEntryIno(pid, tid int32, i int) uint64 { return taskIno(pid, tid) | uint64(i+1) }
