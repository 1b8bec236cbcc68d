package proc

import (
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/syscalls"
	"github.com/seed-a9fb2a21/ward/core/vfs"
)

// fsContext returns the filesystem context (working directory, umask, VFS)
// of tg, or nil once the process has released it (it is exiting).
func fsContext(tg *kernel.ThreadGroup) *syscalls.FSContext {
	res := tg.Resources()
	if res == nil {
		return nil
	}
	c, _ := res.FS.(*syscalls.FSContext)
	return c
}

// fdTable returns the descriptor table of tg, or nil once the process has
// released it.
func fdTable(tg *kernel.ThreadGroup) *vfs.FDTable {
	res := tg.Resources()
	if res == nil {
		return nil
	}
	f, _ := res.Files.(*syscalls.Files)
	if f == nil {
		return nil
	}
	return f.Table
}

// sandboxVFS returns the mount tree, found through a process: the
// filesystem does not know which VFS it is mounted in.
func (fs *FS) sandboxVFS() *vfs.VFS {
	k := fs.kernel()
	if k == nil {
		return nil
	}
	if t, ok := k.TaskForCurrentThread(); ok {
		if c := fsContext(t.ThreadGroup()); c != nil {
			return c.VFS
		}
	}
	for _, tg := range k.AllProcesses() {
		if c := fsContext(tg); c != nil {
			return c.VFS
		}
	}
	return nil
}
