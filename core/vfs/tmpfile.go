package vfs

import "golang.org/x/sys/unix"

// TmpfileCreator is implemented by the directory Inodes of filesystems
// that can make an unnamed regular file (open(2)'s O_TMPFILE, and the
// file behind memfd_create): an Inode with no links, freed when its last
// open file is released.
type TmpfileCreator interface {
	CreateTmpfile(mode uint32, owner Owner) (Inode, error)
}

// OpenTmpfile implements open(2)'s O_TMPFILE: an unnamed regular file in
// the directory at path, with permission mode (umask applied by the
// caller). flags must open it for writing (EINVAL otherwise); the
// directory needs write and search permission; a filesystem that cannot
// make unnamed files fails with EOPNOTSUPP, as Linux's do.
func (v *VFS) OpenTmpfile(c *Credentials, at Location, path string, flags int, mode uint32) (*FileDescription, error) {
	if flags&(unix.O_TMPFILE|unix.O_CREAT) != unix.O_TMPFILE {
		return nil, unix.EINVAL
	}
	if acc := flags & unix.O_ACCMODE; acc != unix.O_WRONLY && acc != unix.O_RDWR {
		return nil, unix.EINVAL
	}
	dir, err := v.newWalker(c, at).walk(path, true)
	if err != nil {
		return nil, err
	}
	if !dir.IsDir() {
		return nil, unix.ENOTDIR
	}
	st, err := dir.Stat()
	if err != nil {
		return nil, err
	}
	if err := CheckPermission(c, st.Mode, st.UID, st.GID, MayWrite|MayExec); err != nil {
		return nil, err
	}
	if dir.Mount.flags&MountReadOnly != 0 {
		return nil, unix.EROFS
	}
	tc, ok := dir.Dentry.inode.(TmpfileCreator)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	owner := Owner{UID: c.UID, GID: c.GID}
	if st.Mode&unix.S_ISGID != 0 {
		owner.GID = st.GID
	}
	inode, err := tc.CreateTmpfile(unix.S_IFREG|mode&07777, owner)
	if err != nil {
		return nil, err
	}
	ist, err := inode.Stat()
	if err != nil {
		return nil, err
	}
	name := "#" + itoa(ist.Ino)
	flags &^= unix.O_TMPFILE | unix.O_TRUNC
	return v.OpenUnnamed(c, dir, name, inode, flags)
}

// OpenUnnamed opens inode, a file with no name in dir (O_TMPFILE, memfd),
// as if it were dir's child name, without permission checks: the caller
// created it.
func (v *VFS) OpenUnnamed(c *Credentials, dir Location, name string, inode Inode, flags int) (*FileDescription, error) {
	st, err := inode.Stat()
	if err != nil {
		return nil, err
	}
	loc := Location{dir.Mount, &Dentry{parent: dir.Dentry, name: name, inode: inode, ino: st.Ino, mode: st.Mode & unix.S_IFMT}}
	return v.open(nil, c, loc, flags, true)
}

// NewDetachedMount returns a mount of fs that is not in the tree: files
// opened from it (memfd_create's) are reachable only through their
// descriptors, and /proc reports their paths as deleted.
func (v *VFS) NewDetachedMount(fs Filesystem) (*Mount, error) {
	return v.newMount(fs, 0)
}

// Root returns the root directory of m.
func (m *Mount) Root() Location { return Location{m, m.root} }

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
