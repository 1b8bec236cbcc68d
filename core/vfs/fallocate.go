package vfs

import "golang.org/x/sys/unix"

// fallocate(2) modes.
const (
	FallocKeepSize  = unix.FALLOC_FL_KEEP_SIZE
	FallocPunchHole = unix.FALLOC_FL_PUNCH_HOLE
	FallocZeroRange = unix.FALLOC_FL_ZERO_RANGE
)

// Allocator is implemented by the FileImpls of regular files whose
// filesystem can reserve and release space (fallocate(2)). mode is 0,
// FallocKeepSize, FallocPunchHole|FallocKeepSize or FallocZeroRange
// (possibly with FallocKeepSize); other modes are refused by the VFS.
type Allocator interface {
	Allocate(mode uint32, off, length int64) error
}

// Allocate implements fallocate(2) with Linux's checks: EBADF unless open
// for writing, ESPIPE for pipes, EISDIR for directories, ENODEV for other
// non-regular files, EPERM for a punch through an O_APPEND description,
// EOPNOTSUPP for modes or filesystems that cannot do it.
func (fd *FileDescription) Allocate(mode uint32, off, length int64) error {
	if off < 0 || length <= 0 {
		return unix.EINVAL
	}
	switch mode {
	case 0, FallocKeepSize, FallocPunchHole | FallocKeepSize, FallocZeroRange, FallocZeroRange | FallocKeepSize:
	case FallocPunchHole:
		return unix.EOPNOTSUPP // Linux requires KEEP_SIZE with PUNCH_HOLE
	default:
		if mode&^(FallocKeepSize|FallocPunchHole|FallocZeroRange|unix.FALLOC_FL_COLLAPSE_RANGE|unix.FALLOC_FL_INSERT_RANGE|unix.FALLOC_FL_UNSHARE_RANGE) != 0 {
			return unix.EOPNOTSUPP
		}
		if mode&FallocPunchHole != 0 && mode&FallocZeroRange != 0 {
			return unix.EINVAL
		}
		return unix.EOPNOTSUPP
	}
	if !fd.writable() {
		return unix.EBADF
	}
	if mode&FallocPunchHole != 0 && fd.flags.Load()&unix.O_APPEND != 0 {
		return unix.EPERM
	}
	st, err := fd.Stat()
	if err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFIFO:
		return unix.ESPIPE
	case unix.S_IFDIR:
		return unix.EISDIR
	default:
		return unix.ENODEV
	}
	if off > maxFileOffset-length {
		return unix.EFBIG
	}
	if fd.loc.Valid() && fd.loc.Mount.flags&MountReadOnly != 0 {
		return unix.EROFS
	}
	a, ok := fd.impl.(Allocator)
	if !ok {
		return unix.EOPNOTSUPP
	}
	return a.Allocate(mode, off, length)
}

// maxFileOffset is the largest file offset (MAX_LFS_FILESIZE).
const maxFileOffset = 1<<63 - 1
