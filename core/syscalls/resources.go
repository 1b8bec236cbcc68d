package syscalls

import (
	"sync"
	"sync/atomic"

	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Files is a process's file descriptor table as the kernel shares it
// (CLONE_FILES) or copies it (fork).
type Files struct {
	refs  atomic.Int64
	Table *vfs.FDTable
}

// NewFiles wraps a table with one reference.
func NewFiles(t *vfs.FDTable) *Files {
	f := &Files{Table: t}
	f.refs.Store(1)
	return f
}

// Fork implements kernel.Shareable.
func (f *Files) Fork() kernel.Shareable { return NewFiles(f.Table.Fork()) }

// IncRef implements kernel.Shareable.
func (f *Files) IncRef() { f.refs.Add(1) }

// DecRef implements kernel.Shareable: the last reference closes every
// descriptor.
func (f *Files) DecRef() {
	if f.refs.Add(-1) == 0 {
		f.Table.RemoveAll()
	}
}

// CloseOnExec implements kernel.CloseOnExecer.
func (f *Files) CloseOnExec() { f.Table.CloseOnExec() }

// FSContext is a process's filesystem context: its root, working
// directory and umask (shared by CLONE_FS).
type FSContext struct {
	refs atomic.Int64
	VFS  *vfs.VFS

	mu    sync.Mutex
	root  vfs.Location
	cwd   vfs.Location
	umask uint32
}

// NewFSContext returns a context rooted at the VFS root with cwd.
func NewFSContext(v *vfs.VFS, cwd vfs.Location, umask uint32) *FSContext {
	c := &FSContext{VFS: v, root: v.Root(), cwd: cwd, umask: umask}
	c.refs.Store(1)
	return c
}

// Fork implements kernel.Shareable.
func (c *FSContext) Fork() kernel.Shareable {
	c.mu.Lock()
	defer c.mu.Unlock()
	return NewFSContext(c.VFS, c.cwd, c.umask)
}

// IncRef implements kernel.Shareable.
func (c *FSContext) IncRef() { c.refs.Add(1) }

// DecRef implements kernel.Shareable.
func (c *FSContext) DecRef() { c.refs.Add(-1) }

// Cwd returns the working directory.
func (c *FSContext) Cwd() vfs.Location {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cwd
}

// SetCwd changes the working directory.
func (c *FSContext) SetCwd(l vfs.Location) {
	c.mu.Lock()
	c.cwd = l
	c.mu.Unlock()
}

// Umask returns the umask.
func (c *FSContext) Umask() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.umask
}

// SwapUmask sets the umask and returns the old one.
func (c *FSContext) SwapUmask(m uint32) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.umask
	c.umask = m & 0o777
	return old
}

// files returns the caller's descriptor table.
func files(t *kernel.Task) *vfs.FDTable {
	return t.ThreadGroup().Resources().Files.(*Files).Table
}

// fsctx returns the caller's filesystem context.
func fsctx(t *kernel.Task) *FSContext {
	return t.ThreadGroup().Resources().FS.(*FSContext)
}

// getFile returns the description of fd (without O_PATH restrictions: the
// caller checks IsPath where it matters).
func getFile(t *kernel.Task, fd int32) (*vfs.FileDescription, error) {
	if fd < 0 {
		return nil, unix.EBADF
	}
	f, _, err := files(t).Get(int(fd))
	if err != nil {
		return nil, err
	}
	return f, nil
}

// vfsCreds returns the caller's filesystem credentials.
func vfsCreds(t *kernel.Task) *vfs.Credentials {
	c := t.Credentials()
	return &vfs.Credentials{UID: c.FilesystemUID, GID: c.FilesystemGID, Groups: c.Groups}
}

// atFDCWD is AT_FDCWD.
const atFDCWD = -100

// startAt returns where a relative path given with dirfd starts.
func startAt(t *kernel.Task, dirfd int32, path string) (vfs.Location, error) {
	if len(path) > 0 && path[0] == '/' {
		return fsctx(t).Cwd(), nil // unused by the walk, any valid Location will do
	}
	if dirfd == atFDCWD {
		return fsctx(t).Cwd(), nil
	}
	f, err := getFile(t, dirfd)
	if err != nil {
		return vfs.Location{}, err
	}
	loc := f.Location()
	f.DecRef()
	if !loc.Valid() {
		return vfs.Location{}, unix.ENOTDIR
	}
	if path != "" && !loc.IsDir() {
		return vfs.Location{}, unix.ENOTDIR
	}
	return loc, nil
}
