package syscalls

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
	"golang.org/x/sys/unix"
)

// memfd_create: an unnamed in-memory file. Each sandbox's memfds live in
// one memfs mounted outside the tree (vfs.NewDetachedMount), so they have
// a Location like any file (fstat, /proc/self/fd's "/memfd:NAME
// (deleted)", fcntl locks) and their data is freed on the last close.
//
// Seals (MFD_ALLOW_SEALING with F_ADD_SEALS) are not implemented: the
// flag is accepted and F_ADD_SEALS fails with EINVAL.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysMemfdCreate, sysMemfdCreate, argInt, argPath, argHex)
	})
}

// memfd_create flags.
const (
	mfdCloexec       = 0x1
	mfdAllowSealing  = 0x2
	mfdHugetlb       = 0x4
	mfdNoexecSeal    = 0x8
	mfdExec          = 0x10
	mfdHugeMask      = 0x3f << 26
	memfdNameMax     = vfs.NameMax - len("memfd:")
	memfdDefaultMode = 0o777
)

// memfdMounts holds each VFS's memfd filesystem.
var memfdMounts sync.Map // *vfs.VFS -> *vfs.Mount

func memfdMount(v *vfs.VFS) (*vfs.Mount, error) {
	if m, ok := memfdMounts.Load(v); ok {
		return m.(*vfs.Mount), nil
	}
	m, err := v.NewDetachedMount(memfs.New(memfs.Options{Mode: 0o1777}))
	if err != nil {
		return nil, err
	}
	got, _ := memfdMounts.LoadOrStore(v, m)
	return got.(*vfs.Mount), nil
}

func sysMemfdCreate(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := uint32(a[1])
	if flags&^(mfdCloexec|mfdAllowSealing|mfdHugetlb|mfdNoexecSeal|mfdExec|mfdHugeMask) != 0 ||
		(flags&mfdHugeMask != 0 && flags&mfdHugetlb == 0) || flags&(mfdNoexecSeal|mfdExec) == mfdNoexecSeal|mfdExec {
		return 0, unix.EINVAL
	}
	if flags&mfdHugetlb != 0 {
		return 0, unix.EINVAL // no huge pages in the sandbox
	}
	name, err := t.MM().CopyInString(a[0], memfdNameMax+1)
	if err == unix.ENAMETOOLONG || len(name) > memfdNameMax {
		return 0, unix.EINVAL
	}
	if err != nil {
		return 0, err
	}
	v := fsctx(t).VFS
	m, err := memfdMount(v)
	if err != nil {
		return 0, err
	}
	root := m.Root()
	c := vfsCreds(t)
	inode, err := root.Dentry.Inode().(vfs.TmpfileCreator).CreateTmpfile(unix.S_IFREG|memfdDefaultMode, vfs.Owner{UID: c.UID, GID: c.GID})
	if err != nil {
		return 0, err
	}
	f, err := v.OpenUnnamed(c, root, "memfd:"+name, inode, unix.O_RDWR|unix.O_LARGEFILE)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := files(t).New(f, flags&mfdCloexec != 0)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}
