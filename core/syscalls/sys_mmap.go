package syscalls

import (
	"io"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysMmap, sysMmap, argHex, argPtr, argInt, argHex, argHex, argFD, argHex)
		tb.set(linux.SysMunmap, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.MM().MUnmap(a[0], a[1])
		}, argInt, argPtr, argInt)
		tb.set(linux.SysMprotect, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.MM().MProtect(a[0], a[1], uint32(a[2]))
		}, argInt, argPtr, argInt, argHex)
		// Memory protection keys: the sandbox has none (the kernel
		// does not manage PKRU), and says so as Linux does on an x86
		// CPU without them: pkey_alloc and pkey_free are EINVAL, and
		// pkey_mprotect is mprotect for key -1 only.
		tb.set(linux.SysPkeyAlloc, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, unix.EINVAL
		}, argInt, argHex, argHex)
		tb.set(linux.SysPkeyFree, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, unix.EINVAL
		}, argInt, argInt)
		tb.set(linux.SysPkeyMprotect, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if int32(a[3]) != -1 {
				return 0, unix.EINVAL
			}
			return 0, t.MM().MProtect(a[0], a[1], uint32(a[2]))
		}, argInt, argHex, argInt, argHex, argInt)
		tb.set(linux.SysBrk, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			addr, _ := t.MM().Brk(a[0])
			return addr, nil
		}, argHex, argPtr)
		tb.set(linux.SysMremap, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return t.MM().MRemap(a[0], a[1], a[2], int(a[3]), a[4])
		}, argHex, argPtr, argInt, argInt, argHex, argPtr)
		tb.set(linux.SysMadvise, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.MM().MAdvise(a[0], a[1], int(a[2]))
		}, argInt, argPtr, argInt, argInt)
		tb.set(linux.SysMsync, sysMsync, argInt, argPtr, argInt, argHex)
		tb.set(linux.SysMincore, sysMincore, argInt, argPtr, argInt, argPtr)
	})
}

func sysMmap(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], uint32(a[2]), int(a[3]), int32(a[4]), uint64(a[5])
	if off%mm.PageSize != 0 {
		return 0, unix.EINVAL
	}
	if prot&^uint32(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC|unix.PROT_GROWSDOWN|unix.PROT_GROWSUP|0x8 /* PROT_SEM */) != 0 {
		return 0, unix.EINVAL
	}
	opts := mm.MMapOpts{
		Addr:   addr,
		Length: length,
		Prot:   platform.Prot(prot & 7),
		Flags:  flags,
		Offset: off,
	}
	if flags&unix.MAP_ANONYMOUS == 0 {
		m, err := fileMappable(t, fd, &opts)
		if err != nil {
			return 0, err
		}
		if m != nil {
			// MMap takes the VMAs' own references.
			defer m.DecRef()
			defer opts.Identity.DecRef()
		}
		opts.Mappable = m
	}
	return t.MM().MMap(opts)
}

// sysMsync writes back the shared file mappings in the range (see
// core/mm/pagecache.go); anonymous memory has no backing store. Like
// Linux, a range with unmapped pages is ENOMEM (after syncing the rest).
func sysMsync(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	addr, length, flags := a[0], a[1], int(a[2])
	if addr%mm.PageSize != 0 || flags&^(unix.MS_ASYNC|unix.MS_SYNC|unix.MS_INVALIDATE) != 0 ||
		(flags&unix.MS_ASYNC != 0 && flags&unix.MS_SYNC != 0) {
		return 0, unix.EINVAL
	}
	end := addr + (length+mm.PageSize-1)&^(mm.PageSize-1)
	if end < addr {
		return 0, unix.ENOMEM
	}
	type syncer interface{ Sync() error }
	var err error
	next := addr
	for _, v := range t.MM().VMAs() {
		if v.End <= addr || v.Start >= end {
			continue
		}
		if v.Start > next {
			err = unix.ENOMEM
		}
		next = v.End
		if s, ok := v.Identity.(syncer); ok && v.Shared {
			if serr := s.Sync(); serr != nil && err == nil {
				err = serr
			}
		}
	}
	if next < end {
		err = unix.ENOMEM
	}
	return 0, err
}

// sysMincore reports every page of the range resident: file pages are in
// the page cache or read on the first touch, anonymous pages are allocated
// on it, and the platform does not say which were touched. A range with
// unmapped pages is ENOMEM, as in Linux.
func sysMincore(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	addr, length, vec := a[0], a[1], a[2]
	if addr%mm.PageSize != 0 {
		return 0, unix.EINVAL
	}
	end := addr + (length+mm.PageSize-1)&^(mm.PageSize-1)
	if end < addr || end > t.MM().MaxAddr() {
		return 0, unix.ENOMEM
	}
	if length == 0 {
		return 0, nil
	}
	next := addr
	for _, v := range t.MM().VMAs() {
		if v.End <= next || v.Start >= end {
			continue
		}
		if v.Start > next {
			break
		}
		next = v.End
	}
	if next < end {
		return 0, unix.ENOMEM
	}
	ones := make([]byte, min(4096, (end-addr)/mm.PageSize))
	for i := range ones {
		ones[i] = 1
	}
	for n := (end - addr) / mm.PageSize; n > 0; {
		k := min(n, uintptr(len(ones)))
		if _, err := t.MM().CopyOut(vec, ones[:k]); err != nil {
			return 0, unix.EFAULT
		}
		vec += k
		n -= k
	}
	return 0, nil
}

// fileMappable returns what backs a file mapping: the page cache's entry
// for the file (core/mm/pagecache.go), and sets opts.MaxProt and
// opts.Identity. It checks the file as Linux's do_mmap does: O_PATH is
// EBADF; a file not open for reading, or a writable shared mapping of a file
// not open for writing (or open for appending), is EACCES; directories,
// pipes, sockets, devices and the synthetic files of /proc and /sys are
// ENODEV. /dev/zero is mapped as anonymous memory, as Linux does. The
// caller owns one reference on the returned Mappable; opts.Identity holds
// one too.
func fileMappable(t *kernel.Task, fd int32, opts *mm.MMapOpts) (mm.Mappable, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, err
	}
	defer f.DecRef() // the page cache takes its own references
	if f.IsPath() {
		return nil, unix.EBADF
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFCHR:
		if st.Rdev == unix.Mkdev(1, 5) { // /dev/zero
			opts.Flags |= unix.MAP_ANONYMOUS
			return nil, nil
		}
		return nil, unix.ENODEV
	default:
		return nil, unix.ENODEV
	}
	if loc := f.Location(); loc.Valid() {
		if sfs, err := loc.Statfs(); err == nil && unmappableFS[sfs.Type] {
			return nil, unix.ENODEV
		}
	}
	flags := f.StatusFlags()
	acc := flags & unix.O_ACCMODE
	if acc == unix.O_WRONLY {
		return nil, unix.EACCES
	}
	shared := opts.Flags&unix.MAP_TYPE != unix.MAP_PRIVATE
	writable := acc == unix.O_RDWR && flags&unix.O_APPEND == 0
	opts.MaxProt = platform.ProtRead | platform.ProtWrite | platform.ProtExec
	if shared && !writable {
		if opts.Prot&platform.ProtWrite != 0 {
			return nil, unix.EACCES
		}
		opts.MaxProt &^= platform.ProtWrite
	}
	name, err := fsctx(t).VFS.PathOf(f.Location())
	if err != nil {
		name = ""
	}
	m, id, err := t.MM().PageCache().Get(cachedFile{f}, name, shared && writable)
	if err != nil {
		return nil, err
	}
	opts.Identity = id
	return m, nil
}

// unmappableFS are the filesystems whose files cannot be mapped: their
// contents are generated on read, and reading /proc/[pid]/maps while the
// address space is locked for a fault would deadlock.
var unmappableFS = map[uint64]bool{
	0x9fa0:     true, // PROC_SUPER_MAGIC
	0x62656572: true, // SYSFS_MAGIC
	0x27e0eb:   true, // CGROUP_SUPER_MAGIC
	0x63677270: true, // CGROUP2_SUPER_MAGIC
}

// cachedFile is an open file as the page cache reads and writes it.
type cachedFile struct{ f *vfs.FileDescription }

func (c cachedFile) ReadAt(p []byte, off int64) (int, error) {
	return fileReader{f: c.f}.ReadAt(p, off)
}

func (c cachedFile) WriteAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, err := c.f.WriteAt(nil, p[done:], off+int64(done))
		done += n
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, io.ErrShortWrite
		}
	}
	return done, nil
}

func (c cachedFile) Stat() (mm.FileStat, error) {
	st, err := c.f.Stat()
	if err != nil {
		return mm.FileStat{}, err
	}
	ns := func(ts linux.Timespec) int64 { return ts.Sec*1e9 + ts.Nsec }
	return mm.FileStat{
		Key:     mm.FileKey{Dev: st.Dev, Ino: st.Ino},
		Version: mm.FileVersion{Size: st.Size, Mtime: ns(st.Mtime), Ctime: ns(st.Ctime)},
	}, nil
}

func (c cachedFile) IncRef() { c.f.IncRef() }
func (c cachedFile) DecRef() { c.f.DecRef() }

// CachedFile implements loader.MappableFile.
func (r fileReader) CachedFile() (mm.CachedFile, string) { return cachedFile{r.f}, r.name }
