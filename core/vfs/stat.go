package vfs

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
)

// Stat is a file's attributes in the layout of x86-64 struct stat, so that
// fstat's handler copies it out as is. Filesystems fill in everything but
// Dev (the VFS sets it per filesystem) and may leave Blksize zero (the VFS
// sets 4096).
type Stat = linux.Stat

// Timespec is a time with nanoseconds, as in struct stat.
type Timespec = linux.Timespec

// Now returns the current time as a Timespec.
func Now() Timespec { return linux.TimeToTimespec(time.Now()) }

// Attribute selectors of SetStat.Mask.
const (
	SetMode  = 1 << iota // Mode's permission bits (07777)
	SetUID               // UID
	SetGID               // GID
	SetSize              // Size (truncate)
	SetAtime             // Atime
	SetMtime             // Mtime
	SetCtime             // Ctime
)

// SetStat is a change of attributes: the fields selected by Mask. The VFS
// always adds SetCtime with the current time when it changes anything else,
// so filesystems need not compute ctime themselves.
type SetStat struct {
	Mask  uint32
	Mode  uint32
	UID   uint32
	GID   uint32
	Size  int64
	Atime Timespec
	Mtime Timespec
	Ctime Timespec
}

// Statfs is the result of statfs(2), in the field order of struct statfs.
type Statfs struct {
	Type    uint64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Fsid    [2]int32
	Namelen int64
	Frsize  int64
	Flags   int64
}

// Owner is the owner a filesystem gives a new file: the caller's UID and
// either its GID or, under a set-group-ID directory, the directory's.
type Owner struct {
	UID uint32
	GID uint32
}
