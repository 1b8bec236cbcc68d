package hostfs

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// modify runs fn on in, a directory, unless the filesystem is read-only,
// and then invalidates the FS's caches.
func (in *inode) modify(fn func(dirfd int) error) error {
	if in.mode != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	if in.fs.readonly {
		return unix.EROFS
	}
	defer in.fs.changed()
	return in.withDir(fn)
}

// setOwnerMode gives a new file its owner and exact mode (the host's umask
// applied to the creation). Ownership is best effort: Ward may lack the
// privilege on the host.
func setOwnerMode(dirfd int, name string, mode uint32, owner vfs.Owner, chmod bool) {
	unix.Fchownat(dirfd, name, int(owner.UID), int(owner.GID), unix.AT_SYMLINK_NOFOLLOW)
	if chmod {
		unix.Fchmodat(dirfd, name, mode&07777, 0)
	}
}

// Create implements vfs.Inode.
func (in *inode) Create(name string, mode uint32, rdev uint64, owner vfs.Owner) (vfs.Inode, error) {
	err := in.modify(func(dirfd int) error {
		switch mode & unix.S_IFMT {
		case unix.S_IFREG:
			fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode&07777)
			if err != nil {
				return err
			}
			unix.Close(fd)
		case unix.S_IFDIR:
			if err := unix.Mkdirat(dirfd, name, mode&07777); err != nil {
				return err
			}
		case unix.S_IFIFO, unix.S_IFSOCK:
			if err := unix.Mknodat(dirfd, name, mode, 0); err != nil {
				return err
			}
		default:
			return unix.EPERM // no device nodes on the host
		}
		// The new entry is not a symlink (O_EXCL, mkdir, mknod), so
		// fchmodat cannot be redirected.
		setOwnerMode(dirfd, name, mode, owner, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return in.fs.newInode(in.child(name), mode), nil
}

// Symlink implements vfs.Inode.
func (in *inode) Symlink(name, target string, owner vfs.Owner) (vfs.Inode, error) {
	err := in.modify(func(dirfd int) error {
		if err := unix.Symlinkat(target, dirfd, name); err != nil {
			return err
		}
		setOwnerMode(dirfd, name, 0, owner, false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return in.fs.newInode(in.child(name), unix.S_IFLNK), nil
}

// Link implements vfs.Inode.
func (in *inode) Link(name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != in.fs {
		return unix.EXDEV
	}
	return in.modify(func(dirfd int) error {
		return t.withParent(func(tdir int, tname string) error {
			return unix.Linkat(tdir, tname, dirfd, name, 0)
		})
	})
}

// Unlink implements vfs.Inode.
func (in *inode) Unlink(name string) error {
	return in.modify(func(dirfd int) error { return unix.Unlinkat(dirfd, name, 0) })
}

// Rmdir implements vfs.Inode.
func (in *inode) Rmdir(name string) error {
	return in.modify(func(dirfd int) error { return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR) })
}

// Rename implements vfs.Inode.
func (in *inode) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	nd, ok := newDir.(*inode)
	if !ok || nd.fs != in.fs {
		return unix.EXDEV
	}
	return in.modify(func(olddirfd int) error {
		return nd.modify(func(newdirfd int) error {
			return unix.Renameat2(olddirfd, oldName, newdirfd, newName, uint(flags))
		})
	})
}
