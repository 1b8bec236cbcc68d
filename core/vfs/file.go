package vfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// FileDescription is an open file: what open(2) creates and dup(2) and
// fork share. It holds the offset, the status flags and a reference count;
// the filesystem's FileImpl does the I/O.
type FileDescription struct {
	refs atomic.Int64

	// impl, loc, stream and the access mode are immutable.
	impl   FileImpl
	loc    Location // zero for anonymous files
	stream bool     // no offset: pipes, sockets, terminals
	path   bool     // O_PATH: no I/O at all

	// flags holds the status flags (access mode, O_APPEND, O_NONBLOCK,
	// O_DIRECT, O_NOATIME, O_ASYNC). Changed by SetStatusFlags.
	flags atomic.Uint32

	// mu serialises the operations that use the offset (Linux's
	// f_pos_lock).
	mu sync.Mutex

	// off is the file offset; for a directory, the position in its
	// entries. Protected by mu.
	off int64

	// ftype caches FileType for files without a location: their type
	// bits with typeKnown set, or 0 before the first successful Stat.
	ftype atomic.Uint32
}

// DescriptionOptions configures NewDescription.
type DescriptionOptions struct {
	// Location is where the file is in the mount tree; zero for
	// anonymous files.
	Location Location

	// Flags are the open(2) flags; the status flags among them are kept.
	Flags int

	// Stream marks a file without an offset: Seek, ReadAt and WriteAt
	// fail with ESPIPE.
	Stream bool
}

// statusFlags are the flags kept in a description and reported by
// F_GETFL.
const statusFlags = unix.O_ACCMODE | unix.O_APPEND | unix.O_NONBLOCK | unix.O_DIRECT |
	unix.O_NOATIME | unix.O_ASYNC | unix.O_SYNC | unix.O_DSYNC | unix.O_LARGEFILE | unix.O_PATH

// settableFlags are the status flags F_SETFL may change.
const settableFlags = unix.O_APPEND | unix.O_NONBLOCK | unix.O_DIRECT | unix.O_NOATIME | unix.O_ASYNC

// NewDescription returns a description of impl with one reference.
func NewDescription(impl FileImpl, opts DescriptionOptions) *FileDescription {
	fd := &FileDescription{impl: impl, loc: opts.Location, stream: opts.Stream}
	fd.flags.Store(uint32(opts.Flags&statusFlags | unix.O_LARGEFILE))
	fd.refs.Store(1)
	return fd
}

// IncRef adds a reference.
func (fd *FileDescription) IncRef() { fd.refs.Add(1) }

// DecRef drops a reference; the last one releases the file.
func (fd *FileDescription) DecRef() {
	switch n := fd.refs.Add(-1); {
	case n == 0:
		fd.releaseLocks()
		fd.impl.Release()
	case n < 0:
		panic("vfs: FileDescription.DecRef of a released description")
	}
}

// Impl returns the filesystem's state of the open file.
func (fd *FileDescription) Impl() FileImpl { return fd.impl }

// Location returns where the file is in the mount tree (zero for anonymous
// files).
func (fd *FileDescription) Location() Location { return fd.loc }

// StatusFlags returns the status flags, as F_GETFL reports them.
func (fd *FileDescription) StatusFlags() int { return int(fd.flags.Load()) }

// SetStatusFlags changes the flags F_SETFL may change (O_APPEND,
// O_NONBLOCK, O_DIRECT, O_NOATIME, O_ASYNC); the others in flags are
// ignored.
func (fd *FileDescription) SetStatusFlags(flags int) {
	for {
		old := fd.flags.Load()
		n := old&^settableFlags | uint32(flags)&settableFlags
		if fd.flags.CompareAndSwap(old, n) {
			return
		}
	}
}

// IsPath reports whether fd was opened with O_PATH.
func (fd *FileDescription) IsPath() bool { return fd.path }

func (fd *FileDescription) readable() bool {
	acc := fd.flags.Load() & unix.O_ACCMODE
	return !fd.path && (acc == unix.O_RDONLY || acc == unix.O_RDWR)
}

func (fd *FileDescription) writable() bool {
	acc := fd.flags.Load() & unix.O_ACCMODE
	return !fd.path && (acc == unix.O_WRONLY || acc == unix.O_RDWR)
}

// blocker returns b, or NonBlocking if the description is non-blocking.
func (fd *FileDescription) blocker(b Blocker) Blocker {
	if fd.flags.Load()&unix.O_NONBLOCK != 0 {
		return NonBlocking
	}
	return b
}

// Read reads at the file offset and advances it (read(2)).
func (fd *FileDescription) Read(b Blocker, dst []byte) (int, error) {
	if !fd.readable() {
		return 0, unix.EBADF
	}
	if fd.stream {
		return fd.impl.Read(fd.blocker(b), dst, 0)
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if o, ok := fd.impl.(OffsetOwner); ok {
		return o.ReadCurrent(fd.blocker(b), dst)
	}
	n, err := fd.impl.Read(fd.blocker(b), dst, fd.off)
	fd.off += int64(n)
	return n, err
}

// ReadAt reads at off without using the file offset (pread64(2)).
func (fd *FileDescription) ReadAt(b Blocker, dst []byte, off int64) (int, error) {
	if !fd.readable() {
		return 0, unix.EBADF
	}
	if fd.stream {
		return 0, unix.ESPIPE
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	return fd.impl.Read(fd.blocker(b), dst, off)
}

// Write writes at the file offset, or at the end of the file with
// O_APPEND, and advances the offset (write(2)).
func (fd *FileDescription) Write(b Blocker, src []byte) (int, error) {
	if !fd.writable() {
		return 0, unix.EBADF
	}
	if fd.stream {
		return fd.impl.Write(fd.blocker(b), src, 0)
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if o, ok := fd.impl.(OffsetOwner); ok {
		return o.WriteCurrent(fd.blocker(b), src)
	}
	if fd.flags.Load()&unix.O_APPEND != 0 {
		n, err := fd.impl.Write(fd.blocker(b), src, -1)
		if st, serr := fd.impl.Stat(); serr == nil {
			fd.off = st.Size
		}
		return n, err
	}
	n, err := fd.impl.Write(fd.blocker(b), src, fd.off)
	fd.off += int64(n)
	return n, err
}

// WriteAt writes at off without using the file offset (pwrite64(2)). As
// on Linux, O_APPEND makes it append regardless of off.
func (fd *FileDescription) WriteAt(b Blocker, src []byte, off int64) (int, error) {
	if !fd.writable() {
		return 0, unix.EBADF
	}
	if fd.stream {
		return 0, unix.ESPIPE
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	if fd.flags.Load()&unix.O_APPEND != 0 {
		off = -1
	}
	return fd.impl.Write(fd.blocker(b), src, off)
}

// Seek sets the file offset (lseek(2)). Directories accept SEEK_SET
// (to a value Getdents returned) and SEEK_CUR with offset 0.
func (fd *FileDescription) Seek(offset int64, whence int) (int64, error) {
	if fd.stream {
		return 0, unix.ESPIPE
	}
	if fd.path {
		return 0, unix.EBADF
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if o, ok := fd.impl.(OffsetOwner); ok {
		return o.SeekCurrent(offset, whence)
	}
	var base int64
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		base = fd.off
	case unix.SEEK_END, unix.SEEK_DATA, unix.SEEK_HOLE:
		st, err := fd.impl.Stat()
		if err != nil {
			return 0, err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			return 0, unix.EINVAL
		}
		switch whence {
		case unix.SEEK_END:
			base = st.Size
		case unix.SEEK_DATA:
			// Without hole tracking, all of the file is data.
			if offset >= st.Size || offset < 0 {
				return 0, unix.ENXIO
			}
		case unix.SEEK_HOLE:
			if offset >= st.Size || offset < 0 {
				return 0, unix.ENXIO
			}
			offset = st.Size
		}
	default:
		return 0, unix.EINVAL
	}
	n := base + offset
	if n < 0 || (offset > 0 && n < base) {
		return 0, unix.EINVAL
	}
	fd.off = n
	return n, nil
}

// Stat returns the file's attributes (fstat(2)).
func (fd *FileDescription) Stat() (Stat, error) {
	if fd.loc.Valid() {
		return fd.loc.Stat()
	}
	st, err := fd.impl.Stat()
	if err == nil && st.Blksize == 0 {
		st.Blksize = 4096
	}
	return st, err
}

// typeKnown marks ftype as set (S_IFMT leaves it free).
const typeKnown = 1 << 31

// FileType returns the type bits (S_IFMT) of the file's mode, without a
// Stat per call: a file's type never changes while it is open. A file in
// the mount tree has it from its dentry; an anonymous file pays one Stat.
func (fd *FileDescription) FileType() (uint32, error) {
	if fd.loc.Valid() && fd.loc.Dentry.mode != 0 {
		return fd.loc.Dentry.mode, nil
	}
	if t := fd.ftype.Load(); t != 0 {
		return t &^ typeKnown, nil
	}
	st, err := fd.Stat()
	if err != nil {
		return 0, err
	}
	t := st.Mode & unix.S_IFMT
	fd.ftype.Store(t | typeKnown)
	return t, nil
}

// Truncate sets the file's size (ftruncate(2)).
func (fd *FileDescription) Truncate(size int64) error {
	if size < 0 {
		return unix.EINVAL
	}
	if !fd.writable() || !fd.loc.Valid() {
		if fd.path {
			return unix.EBADF
		}
		return unix.EINVAL
	}
	if fd.loc.Mount.flags&MountReadOnly != 0 {
		return unix.EROFS
	}
	if fd.loc.Dentry.mode != unix.S_IFREG {
		return unix.EINVAL
	}
	now := Now()
	return fd.loc.Dentry.inode.SetStat(&SetStat{Mask: SetSize | SetMtime | SetCtime, Size: size, Mtime: now, Ctime: now})
}

// Sync flushes the file (fsync(2), fdatasync(2)).
func (fd *FileDescription) Sync() error {
	if fd.path {
		return unix.EBADF
	}
	if s, ok := fd.impl.(Syncer); ok {
		return s.Sync()
	}
	return nil
}

// Ioctl passes an ioctl to the file; files without ioctls answer ENOTTY.
func (fd *FileDescription) Ioctl(b Blocker, mem UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	if fd.path {
		return 0, unix.EBADF
	}
	if i, ok := fd.impl.(Ioctler); ok {
		return i.Ioctl(fd.blocker(b), mem, cmd, arg)
	}
	return 0, unix.ENOTTY
}

// Readiness returns the events of mask that are ready (poll(2)).
func (fd *FileDescription) Readiness(mask uint32) uint32 {
	if w, ok := fd.impl.(Waitable); ok {
		return w.Readiness(mask)
	}
	return mask & (EventIn | EventOut)
}

// EventRegister adds e to the waiters for readiness changes. Files that are
// always ready never notify.
func (fd *FileDescription) EventRegister(e *Entry) {
	if w, ok := fd.impl.(Waitable); ok {
		w.EventRegister(e)
	}
}

// EventUnregister removes e from the waiters for readiness changes.
func (fd *FileDescription) EventUnregister(e *Entry) {
	if w, ok := fd.impl.(Waitable); ok {
		w.EventUnregister(e)
	}
}

// pathFile is the FileImpl of an O_PATH description.
type pathFile struct{ loc Location }

func (f pathFile) Read(Blocker, []byte, int64) (int, error)  { return 0, unix.EBADF }
func (f pathFile) Write(Blocker, []byte, int64) (int, error) { return 0, unix.EBADF }
func (f pathFile) Stat() (Stat, error)                       { return f.loc.Stat() }
func (f pathFile) Release()                                  {}
