package syscalls

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/unixsock"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// What Unix-domain sockets need of the task: the kernel's namespace of
// bound names, and the task's filesystem for path names (inet.PathNames).

// namespaces holds the bound names of each kernel.
var namespaces sync.Map // *kernel.Kernel -> *unixsock.Namespace

func unixNamespace(t *kernel.Task) *unixsock.Namespace {
	if ns, ok := namespaces.Load(t.Kernel()); ok {
		return ns.(*unixsock.Namespace)
	}
	ns, _ := namespaces.LoadOrStore(t.Kernel(), unixsock.NewNamespace())
	return ns.(*unixsock.Namespace)
}

// taskNames implements inet.PathNames in t's view of the filesystem.
type taskNames struct{ t *kernel.Task }

// MakeSocketNode implements inet.PathNames: it creates the socket node
// with the task's umask.
func (n taskNames) MakeSocketNode(path string) (inet.NodeID, func(), error) {
	t := n.t
	at, err := startAt(t, atFDCWD, path)
	if err != nil {
		return inet.NodeID{}, nil, err
	}
	fs := fsctx(t)
	mode := unix.S_IFSOCK | 0o777&^fs.Umask()
	if err := fs.VFS.Mknod(vfsCreds(t), at, path, mode, 0); err != nil {
		if err == unix.EEXIST {
			return inet.NodeID{}, nil, unix.EADDRINUSE
		}
		return inet.NodeID{}, nil, err
	}
	undo := func() { fs.VFS.Unlink(vfsCreds(t), at, path) }
	st, err := fs.VFS.StatAt(vfsCreds(t), at, path, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		undo()
		return inet.NodeID{}, nil, err
	}
	return inet.NodeID{Dev: st.Dev, Ino: st.Ino}, undo, nil
}

// FindSocketNode implements inet.PathNames.
func (n taskNames) FindSocketNode(path string) (inet.NodeID, error) {
	t := n.t
	at, err := startAt(t, atFDCWD, path)
	if err != nil {
		return inet.NodeID{}, err
	}
	v := fsctx(t).VFS
	st, err := v.StatAt(vfsCreds(t), at, path, 0)
	if err != nil {
		return inet.NodeID{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return inet.NodeID{}, unix.ECONNREFUSED
	}
	if err := v.Access(vfsCreds(t), at, path, vfs.MayWrite, 0); err != nil {
		return inet.NodeID{}, err
	}
	return inet.NodeID{Dev: st.Dev, Ino: st.Ino}, nil
}
