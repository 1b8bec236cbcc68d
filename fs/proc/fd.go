package proc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// fdDir is /proc/[pid]/fd: a symbolic link per open descriptor.
//
// Besides the descriptor numbers it lists, Lookup accepts the targets of
// anonymous descriptors ("pipe:[12]", "socket:[3]", "anon_inode:[...]"):
// Ward's VFS follows a link by walking its target relative to the link's
// directory, so opening /proc/self/fd/0 when 0 is a pipe arrives here with
// "pipe:[12]", and the node returned reopens that pipe. This stands in for
// Linux's magic links (see the package doc).
type fdDir struct{ d *pidDir }

func (fd *fdDir) entries() ([]entry, error) {
	tbl := fdTable(fd.d.tg)
	if tbl == nil {
		return nil, nil
	}
	pid := fd.d.tg.TGID()
	fds := tbl.FDs()
	out := make([]entry, len(fds))
	for i, n := range fds {
		out[i] = entry{name: strconv.Itoa(n), ino: fdIno(pid, n), mode: unix.S_IFLNK, key: int64(n)}
	}
	return out, nil
}

func (fd *fdDir) lookup(name string) (*node, error) {
	tbl := fdTable(fd.d.tg)
	if tbl == nil {
		return nil, unix.ENOENT
	}
	if n, ok := parseID(name); ok {
		f, _, err := tbl.Get(int(n))
		if err != nil {
			return nil, unix.ENOENT
		}
		f.DecRef()
		l := fd.d.newNode(fdIno(fd.d.tg.TGID(), int(n)), unix.S_IFLNK|0o777)
		l.link = func() (string, error) { return fd.target(int(n)) }
		return l, nil
	}
	if isAnonName(name) {
		return fd.reopenNode(tbl, name)
	}
	return nil, unix.ENOENT
}

// target is what the link for descriptor n points at.
func (fd *fdDir) target(n int) (string, error) {
	tbl := fdTable(fd.d.tg)
	if tbl == nil {
		return "", unix.ENOENT
	}
	f, _, err := tbl.Get(n)
	if err != nil {
		return "", unix.ENOENT
	}
	defer f.DecRef()
	if loc := f.Location(); loc.Valid() {
		fsc := fsContext(fd.d.tg)
		if fsc == nil {
			return "", unix.ENOENT
		}
		p, err := fsc.VFS.PathOf(loc)
		if err != nil {
			return p + " (deleted)", nil
		}
		return p, nil
	}
	return anonName(f), nil
}

// AnonNamer is implemented by anonymous files (eventfd, epoll, ...) that
// name themselves in /proc/[pid]/fd: AnonName returns the part after
// "anon_inode:", e.g. "[eventfd]".
type AnonNamer interface {
	AnonName() string
}

// anonName is the link target of a file that is not in the mount tree:
// "pipe:[ino]" and "socket:[ino]" as on Linux; the host terminal that
// standard streams are imported from is "/dev/tty", the sandbox's name for
// it, and a host memory device (/dev/null) its /dev name; anything else
// "anon_inode:" and the file's own name or its type.
func anonName(f *vfs.FileDescription) string {
	if n, ok := f.Impl().(AnonNamer); ok {
		return "anon_inode:" + n.AnonName()
	}
	if vfs.IsTerminal(f) {
		return "/dev/tty"
	}
	st, err := f.Stat()
	if err != nil {
		return "anon_inode:[unknown]"
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return fmt.Sprintf("pipe:[%d]", st.Ino)
	case unix.S_IFSOCK:
		return fmt.Sprintf("socket:[%d]", st.Ino)
	case unix.S_IFREG:
		return "anon_inode:[file]"
	case unix.S_IFCHR:
		if name, ok := hostDevNames[st.Rdev]; ok {
			return name
		}
		return "anon_inode:[chardev]"
	case unix.S_IFBLK:
		return "anon_inode:[blockdev]"
	case unix.S_IFDIR:
		return "anon_inode:[dir]"
	}
	return "anon_inode:[unknown]"
}

// hostDevNames name the host's memory devices by device number: a
// standard stream Ward imported from the host's /dev/null is shown as the
// sandbox's /dev/null, which is the same device.
var hostDevNames = map[uint64]string{
	unix.Mkdev(1, 3): "/dev/null",
	unix.Mkdev(1, 5): "/dev/zero",
	unix.Mkdev(1, 7): "/dev/full",
	unix.Mkdev(1, 8): "/dev/random",
	unix.Mkdev(1, 9): "/dev/urandom",
}

// isAnonName reports whether name has the form anonName gives a file
// outside the mount tree.
func isAnonName(name string) bool {
	return strings.HasPrefix(name, "pipe:[") || strings.HasPrefix(name, "socket:[") || strings.HasPrefix(name, "anon_inode:")
}

// reopenNode returns a node that opens again the anonymous file called
// name in tbl.
func (fd *fdDir) reopenNode(tbl *vfs.FDTable, name string) (*node, error) {
	first := -1
	var mode uint32
	for _, n := range tbl.FDs() {
		f, _, err := tbl.Get(n)
		if err != nil {
			continue
		}
		if !f.Location().Valid() && anonName(f) == name {
			if st, err := f.Stat(); err == nil {
				first, mode = n, st.Mode&unix.S_IFMT
			}
		}
		f.DecRef()
		if first >= 0 {
			break
		}
	}
	if first < 0 {
		return nil, unix.ENOENT
	}
	n := fd.d.newNode(reopenIno(fd.d.tg.TGID(), first), mode|0o600)
	n.reopen = func(flags int) (vfs.FileImpl, error) { return reopen(tbl, name, flags) }
	return n, nil
}

// reopen opens again the anonymous file called name: of the descriptors of
// tbl that refer to it, the first whose access mode allows flags' (a pipe's
// two ends have one name), else the first.
func reopen(tbl *vfs.FDTable, name string, flags int) (vfs.FileImpl, error) {
	var chosen *vfs.FileDescription
	for _, n := range tbl.FDs() {
		f, _, err := tbl.Get(n)
		if err != nil {
			continue
		}
		if f.Location().Valid() || anonName(f) != name {
			f.DecRef()
			continue
		}
		if accessAllows(f.StatusFlags(), flags) {
			if chosen != nil {
				chosen.DecRef()
			}
			chosen = f
			break
		}
		if chosen == nil {
			chosen = f
		} else {
			f.DecRef()
		}
	}
	if chosen == nil {
		return nil, unix.ENOENT
	}
	return &reopened{fd: chosen}, nil
}

// accessAllows reports whether a description opened with have's access
// mode serves an open asking for want's.
func accessAllows(have, want int) bool {
	h, w := have&unix.O_ACCMODE, want&unix.O_ACCMODE
	return h == w || h == unix.O_RDWR
}

// reopened is an anonymous file opened again through /proc/[pid]/fd: a new
// description (its own offset and status flags) over the same file, which
// it keeps open by holding a reference on the original description.
type reopened struct {
	fd *vfs.FileDescription // immutable; one reference, dropped by Release
}

// Read implements vfs.FileImpl.
func (r *reopened) Read(b vfs.Blocker, dst []byte, off int64) (int, error) {
	return r.fd.Impl().Read(b, dst, off)
}

// Write implements vfs.FileImpl.
func (r *reopened) Write(b vfs.Blocker, src []byte, off int64) (int, error) {
	return r.fd.Impl().Write(b, src, off)
}

// Stat implements vfs.FileImpl.
func (r *reopened) Stat() (vfs.Stat, error) { return r.fd.Impl().Stat() }

// Release implements vfs.FileImpl.
func (r *reopened) Release() { r.fd.DecRef() }

// Stream tells the VFS whether the file has an offset, as the original
// does.
func (r *reopened) Stream() bool {
	if s, ok := r.fd.Impl().(interface{ Stream() bool }); ok {
		return s.Stream()
	}
	st, err := r.fd.Impl().Stat()
	if err != nil {
		return true
	}
	typ := st.Mode & unix.S_IFMT
	return typ != unix.S_IFREG && typ != unix.S_IFBLK && typ != unix.S_IFDIR
}

// Ioctl implements vfs.Ioctler.
func (r *reopened) Ioctl(b vfs.Blocker, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	if i, ok := r.fd.Impl().(vfs.Ioctler); ok {
		return i.Ioctl(b, mem, cmd, arg)
	}
	return 0, unix.ENOTTY
}

// Readiness implements vfs.Waitable.
func (r *reopened) Readiness(mask uint32) uint32 { return r.fd.Readiness(mask) }

// EventRegister implements vfs.Waitable.
func (r *reopened) EventRegister(e *vfs.Entry) { r.fd.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (r *reopened) EventUnregister(e *vfs.Entry) { r.fd.EventUnregister(e) }
