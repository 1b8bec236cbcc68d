package vfs

import "golang.org/x/sys/unix"

// Filesystem is what a filesystem implementation's registry constructor
// returns (registry.KindFS): a tree of Inodes.
type Filesystem interface {
	// Root returns the root directory.
	Root() (Inode, error)

	// Statfs reports the filesystem's capacity and usage.
	Statfs() (Statfs, error)
}

// Inode is one file of a Filesystem. Methods that do not apply to the
// file's type return the errno Linux would (ENOTDIR for directory
// operations on a non-directory, EINVAL for Readlink of a non-symlink);
// NotDir and NotSymlink provide those. Inodes check no permissions: the VFS
// does, before calling them. Names passed to directory operations are
// single components: never empty, ".", ".." or containing '/'.
type Inode interface {
	// Stat returns the file's attributes; Dev is filled in by the VFS.
	Stat() (Stat, error)

	// SetStat changes the attributes selected by s.Mask. Setting the size
	// of a non-regular file is EINVAL (EISDIR for a directory).
	SetStat(s *SetStat) error

	// Open returns the per-open state of the file. flags are the open(2)
	// flags: the access mode, O_TRUNC (already applied by the VFS through
	// SetStat), O_NONBLOCK, O_DIRECTORY. A read-only filesystem returns
	// EROFS for a writable open.
	Open(flags int) (FileImpl, error)

	// Readlink returns a symbolic link's target.
	Readlink() (string, error)

	// Lookup returns the child called name, or ENOENT.
	Lookup(name string) (Inode, error)

	// Create makes a child called name of the type in mode's S_IFMT bits
	// (S_IFREG, S_IFDIR, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK) with
	// mode's permission bits, rdev for device files, and owner. It returns
	// EEXIST if name exists.
	Create(name string, mode uint32, rdev uint64, owner Owner) (Inode, error)

	// Symlink makes a symbolic link called name pointing at target.
	Symlink(name, target string, owner Owner) (Inode, error)

	// Link makes name a new hard link to target, an Inode of the same
	// Filesystem (EXDEV otherwise) that is not a directory.
	Link(name string, target Inode) error

	// Unlink removes the non-directory called name (EISDIR for a
	// directory).
	Unlink(name string) error

	// Rmdir removes the empty directory called name (ENOTDIR,
	// ENOTEMPTY).
	Rmdir(name string) error

	// Rename moves the child oldName to newDir (a directory Inode of the
	// same Filesystem) as newName, replacing a compatible target as
	// rename(2) does (EISDIR, ENOTDIR, ENOTEMPTY). flags are renameat2's
	// RENAME_NOREPLACE (EEXIST if newName exists) and RENAME_EXCHANGE
	// (swap; ENOENT if newName does not exist); an implementation that
	// does not support a flag returns EINVAL. The VFS has already checked
	// that the move does not put a directory inside itself.
	Rename(oldName string, newDir Inode, newName string, flags uint32) error
}

// FileImpl is the filesystem's state for one open file. The VFS calls it
// through a FileDescription, which keeps the offset and status flags.
//
// Optional behaviour is expressed by further interfaces a FileImpl may
// implement: DirReader, Syncer, Ioctler, Waitable.
//
// Read and Write must not keep dst or src after they return: the system
// call layer reuses its buffers (core/syscalls iobuf.go).
type FileImpl interface {
	// Read reads into dst at off (ignored by stream files). It returns 0,
	// nil at end of file. Blocking implementations follow the Blocker
	// contract.
	Read(b Blocker, dst []byte, off int64) (int, error)

	// Write writes src at off, or at the end of the file when off < 0
	// (O_APPEND; the implementation makes "seek to end and write" atomic).
	// Stream files ignore off.
	Write(b Blocker, src []byte, off int64) (int, error)

	// Stat returns the open file's attributes.
	Stat() (Stat, error)

	// Release is called once, when the last reference to the
	// FileDescription is dropped.
	Release()
}

// Dirent is one directory entry, as ReadDir reports it.
type Dirent struct {
	Name string
	Ino  uint64
	Type uint8 // unix.DT_*

	// Next is the cookie that resumes reading after this entry. Cookies
	// are chosen by the filesystem, must be below 1<<62 and need only be
	// meaningful to the same directory.
	Next int64
}

// DirReader is implemented by the FileImpl of a directory.
type DirReader interface {
	// ReadDir calls emit for the entries from cookie on (0 is the start),
	// not including "." and "..", which the VFS adds. It stops early,
	// without error, when emit returns false; that entry is not consumed.
	ReadDir(cookie int64, emit func(Dirent) bool) error
}

// Syncer is implemented by files with something to flush on fsync.
type Syncer interface {
	Sync() error
}

// UserMemory is the calling task's address space, as an ioctl handler needs
// it to read and write its argument.
type UserMemory interface {
	CopyIn(addr uintptr, dst []byte) (int, error)
	CopyOut(addr uintptr, src []byte) (int, error)
}

// Ioctler is implemented by files that accept ioctls; others answer ENOTTY.
type Ioctler interface {
	Ioctl(b Blocker, mem UserMemory, cmd uint32, arg uintptr) (uintptr, error)
}

// Waitable is implemented by files whose readiness changes (pipes, host
// files, devices). Others are always readable and writable.
type Waitable interface {
	// Readiness returns the subset of mask (POLLIN, POLLOUT, ...) that
	// is ready; POLLERR and POLLHUP may be returned even if not asked.
	Readiness(mask uint32) uint32

	// EventRegister and EventUnregister add and remove e from the set
	// notified when readiness changes.
	EventRegister(e *Entry)
	EventUnregister(e *Entry)
}

// DirentType returns the DT_* value for a mode.
func DirentType(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return unix.DT_REG
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFLNK:
		return unix.DT_LNK
	case unix.S_IFCHR:
		return unix.DT_CHR
	case unix.S_IFBLK:
		return unix.DT_BLK
	case unix.S_IFIFO:
		return unix.DT_FIFO
	case unix.S_IFSOCK:
		return unix.DT_SOCK
	}
	return unix.DT_UNKNOWN
}

// NotDir implements Inode's directory operations for a file that is not a
// directory: each returns ENOTDIR. Embed it.
type NotDir struct{}

func (NotDir) Lookup(string) (Inode, error)                        { return nil, unix.ENOTDIR }
func (NotDir) Create(string, uint32, uint64, Owner) (Inode, error) { return nil, unix.ENOTDIR }
func (NotDir) Symlink(string, string, Owner) (Inode, error)        { return nil, unix.ENOTDIR }
func (NotDir) Link(string, Inode) error                            { return unix.ENOTDIR }
func (NotDir) Unlink(string) error                                 { return unix.ENOTDIR }
func (NotDir) Rmdir(string) error                                  { return unix.ENOTDIR }
func (NotDir) Rename(string, Inode, string, uint32) error          { return unix.ENOTDIR }

// NotSymlink implements Readlink for a file that is not a symbolic link.
type NotSymlink struct{}

func (NotSymlink) Readlink() (string, error) { return "", unix.EINVAL }
