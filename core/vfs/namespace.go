package vfs

import "golang.org/x/sys/unix"

// parentOf resolves every component of path but the last for an operation
// that creates or removes the last one, and checks that the caller may
// search the directory. name is "" for a path naming the root or the
// starting directory itself.
func (v *VFS) parentOf(c *Credentials, at Location, path string) (dir Location, name string, trailing bool, err error) {
	w := v.newWalker(c, at)
	dir, name, trailing, err = w.walkParent(path)
	if err != nil {
		return
	}
	if err = w.mayWalk(dir); err != nil {
		return
	}
	if len(name) > NameMax {
		err = unix.ENAMETOOLONG
	}
	return
}

// Mkdir makes a directory (mkdirat(2)). mode has the umask applied.
func (v *VFS) Mkdir(c *Credentials, at Location, path string, mode uint32) error {
	dir, name, _, err := v.parentOf(c, at, path)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EEXIST
	}
	_, err = v.create(c, dir, name, unix.S_IFDIR|mode&07777, 0)
	return err
}

// Mknod makes a regular file, FIFO, socket or device node (mknodat(2)).
// mode has the umask applied; a zero file type means a regular file.
// Device nodes need uid 0.
func (v *VFS) Mknod(c *Credentials, at Location, path string, mode uint32, rdev uint64) error {
	switch mode & unix.S_IFMT {
	case 0:
		mode |= unix.S_IFREG
	case unix.S_IFREG, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFCHR, unix.S_IFBLK:
		if c.UID != 0 {
			return unix.EPERM
		}
	case unix.S_IFDIR:
		return unix.EPERM
	default:
		return unix.EINVAL
	}
	dir, name, trailing, err := v.parentOf(c, at, path)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EEXIST
	}
	if trailing {
		if _, err := lookupChild(dir, name); err == nil {
			return unix.EEXIST
		}
		return unix.ENOENT
	}
	_, err = v.create(c, dir, name, mode&(unix.S_IFMT|07777), rdev)
	return err
}

// Symlink makes a symbolic link at path pointing at target (symlinkat(2)).
func (v *VFS) Symlink(c *Credentials, target string, at Location, path string) error {
	if target == "" {
		return unix.ENOENT
	}
	if len(target) >= PathMax {
		return unix.ENAMETOOLONG
	}
	dir, name, trailing, err := v.parentOf(c, at, path)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EEXIST
	}
	if trailing {
		if _, err := lookupChild(dir, name); err == nil {
			return unix.EEXIST
		}
		return unix.ENOENT
	}
	if err := v.mayModify(c, dir); err != nil {
		return err
	}
	_, err = dir.Dentry.inode.Symlink(name, target, Owner{UID: c.UID, GID: v.newGID(c, dir)})
	return err
}

// newGID returns the group of a new file in dir.
func (v *VFS) newGID(c *Credentials, dir Location) uint32 {
	if st, err := dir.Stat(); err == nil && st.Mode&unix.S_ISGID != 0 {
		return st.GID
	}
	return c.GID
}

// mayModify checks that c may add or remove entries of dir.
func (v *VFS) mayModify(c *Credentials, dir Location) error {
	st, err := dir.Stat()
	if err != nil {
		return err
	}
	if err := CheckPermission(c, st.Mode, st.UID, st.GID, MayWrite|MayExec); err != nil {
		return err
	}
	if dir.Mount.flags&MountReadOnly != 0 {
		return unix.EROFS
	}
	return nil
}

// mayDelete checks that c may remove or replace the entry victim of dir:
// write permission on dir and, when dir is sticky, ownership of the
// directory or the file.
func (v *VFS) mayDelete(c *Credentials, dir, victim Location) error {
	if err := v.mayModify(c, dir); err != nil {
		return err
	}
	if c.UID == 0 {
		return nil
	}
	dst, err := dir.Stat()
	if err != nil {
		return err
	}
	if dst.Mode&unix.S_ISVTX == 0 || dst.UID == c.UID {
		return nil
	}
	vst, err := victim.Stat()
	if err != nil {
		return err
	}
	if vst.UID != c.UID {
		return unix.EPERM
	}
	return nil
}

// isMountPoint reports whether something is mounted on loc, or loc is the
// root of a mount.
func (v *VFS) isMountPoint(loc Location) bool {
	return loc.Dentry.parent == nil || v.mountedAt(loc.Mount, loc.Dentry) != nil
}

// Unlink removes a non-directory (unlinkat(2) without AT_REMOVEDIR).
func (v *VFS) Unlink(c *Credentials, at Location, path string) error {
	dir, name, trailing, err := v.parentOf(c, at, path)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EISDIR
	}
	victim, err := lookupChild(dir, name)
	if err != nil {
		return err
	}
	if victim.Dentry.mode == unix.S_IFDIR {
		return unix.EISDIR
	}
	if trailing {
		return unix.ENOTDIR
	}
	if err := v.mayDelete(c, dir, victim); err != nil {
		return err
	}
	return dir.Dentry.inode.Unlink(name)
}

// Rmdir removes an empty directory (rmdir(2), unlinkat(2) with
// AT_REMOVEDIR).
func (v *VFS) Rmdir(c *Credentials, at Location, path string) error {
	dir, name, _, err := v.parentOf(c, at, path)
	if err != nil {
		return err
	}
	switch name {
	case "", ".":
		if name == "" {
			return unix.EBUSY
		}
		return unix.EINVAL
	case "..":
		return unix.ENOTEMPTY
	}
	victim, err := lookupChild(dir, name)
	if err != nil {
		return err
	}
	if victim.Dentry.mode != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	if v.isMountPoint(victim) {
		return unix.EBUSY
	}
	if err := v.mayDelete(c, dir, victim); err != nil {
		return err
	}
	return dir.Dentry.inode.Rmdir(name)
}

// UnlinkAt is unlinkat(2): Rmdir with AT_REMOVEDIR, Unlink otherwise.
func (v *VFS) UnlinkAt(c *Credentials, at Location, path string, flags int) error {
	if flags&^unix.AT_REMOVEDIR != 0 {
		return unix.EINVAL
	}
	if flags&unix.AT_REMOVEDIR != 0 {
		return v.Rmdir(c, at, path)
	}
	return v.Unlink(c, at, path)
}

// Link makes newPath a hard link to the file at oldPath (linkat(2)).
// flags are AT_SYMLINK_FOLLOW and AT_EMPTY_PATH.
func (v *VFS) Link(c *Credentials, oldAt Location, oldPath string, newAt Location, newPath string, flags int) error {
	if flags&^(unix.AT_SYMLINK_FOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	var rf resolveFlags
	if flags&unix.AT_SYMLINK_FOLLOW != 0 {
		rf |= resolveFollow
	}
	if flags&unix.AT_EMPTY_PATH != 0 {
		rf |= resolveEmptyPath
	}
	old, err := v.resolve(c, oldAt, oldPath, rf)
	if err != nil {
		return err
	}
	if old.Dentry.mode == unix.S_IFDIR {
		return unix.EPERM
	}
	dir, name, trailing, err := v.parentOf(c, newAt, newPath)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EEXIST
	}
	if trailing {
		return unix.ENOENT
	}
	if dir.Mount != old.Mount {
		return unix.EXDEV
	}
	if err := v.mayModify(c, dir); err != nil {
		return err
	}
	v.renameMu.Lock()
	defer v.renameMu.Unlock()
	return dir.Dentry.inode.Link(name, old.Dentry.inode)
}

// Rename flags of renameat2(2).
const (
	RenameNoReplace = unix.RENAME_NOREPLACE
	RenameExchange  = unix.RENAME_EXCHANGE
)

// Rename moves oldPath to newPath (renameat2(2)). flags are
// RenameNoReplace and RenameExchange.
func (v *VFS) Rename(c *Credentials, oldAt Location, oldPath string, newAt Location, newPath string, flags uint32) error {
	if flags&^(RenameNoReplace|RenameExchange) != 0 || flags == RenameNoReplace|RenameExchange {
		return unix.EINVAL
	}
	oldDir, oldName, oldTrailing, err := v.parentOf(c, oldAt, oldPath)
	if err != nil {
		return err
	}
	newDir, newName, newTrailing, err := v.parentOf(c, newAt, newPath)
	if err != nil {
		return err
	}
	for _, n := range []string{oldName, newName} {
		if n == "" || n == "." || n == ".." {
			return unix.EBUSY
		}
	}
	if oldDir.Mount != newDir.Mount {
		return unix.EXDEV
	}
	v.renameMu.Lock()
	defer v.renameMu.Unlock()

	src, err := lookupChild(oldDir, oldName)
	if err != nil {
		return err
	}
	dst, err := lookupChild(newDir, newName)
	switch {
	case err == unix.ENOENT:
		if flags&RenameExchange != 0 {
			return unix.ENOENT
		}
		dst = Location{}
	case err != nil:
		return err
	case flags&RenameNoReplace != 0:
		return unix.EEXIST
	}
	if (oldTrailing || (newTrailing && flags&RenameExchange != 0)) && src.Dentry.mode != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	if newTrailing && src.Dentry.mode != unix.S_IFDIR && flags&RenameExchange == 0 {
		return unix.ENOTDIR
	}
	if dst.Valid() && src.Dentry.ino == dst.Dentry.ino {
		return nil // two links to one file: nothing to do
	}
	if err := v.mayDelete(c, oldDir, src); err != nil {
		return err
	}
	if dst.Valid() {
		if err := v.mayDelete(c, newDir, dst); err != nil {
			return err
		}
	} else if err := v.mayModify(c, newDir); err != nil {
		return err
	}
	if v.isMountPoint(src) || (dst.Valid() && v.isMountPoint(dst)) {
		return unix.EBUSY
	}
	// A directory moved to another parent needs write permission on
	// itself (its ".." changes) and must not go below itself.
	type move struct{ what, to Location }
	moves := []move{{src, newDir}}
	if flags&RenameExchange != 0 {
		moves = append(moves, move{dst, oldDir})
	}
	for _, mv := range moves {
		if mv.what.Dentry.mode != unix.S_IFDIR {
			continue
		}
		if oldDir.Dentry.ino != newDir.Dentry.ino {
			st, err := mv.what.Stat()
			if err != nil {
				return err
			}
			if err := CheckPermission(c, st.Mode, st.UID, st.GID, MayWrite); err != nil {
				return err
			}
		}
		for d := mv.to.Dentry; d != nil; d = d.parent {
			if d.ino == mv.what.Dentry.ino {
				return unix.EINVAL
			}
		}
	}
	return oldDir.Dentry.inode.Rename(oldName, newDir.Dentry.inode, newName, flags)
}
