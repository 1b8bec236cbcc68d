package vfs

import "golang.org/x/sys/unix"

// Resolve returns the Location of path (for chdir, chroot, inotify, and the
// *at calls the VFS has no method for). flags are AT_SYMLINK_NOFOLLOW and
// AT_EMPTY_PATH.
func (v *VFS) Resolve(c *Credentials, at Location, path string, flags int) (Location, error) {
	return v.resolve(c, at, path, resolveFlagsAt(flags, true))
}

// Chdir returns the directory at path for chdir(2): it must be a directory
// the caller may search.
func (v *VFS) Chdir(c *Credentials, at Location, path string) (Location, error) {
	loc, err := v.resolve(c, at, path, resolveFollow)
	if err != nil {
		return Location{}, err
	}
	if err := v.newWalker(c, at).mayWalk(loc); err != nil {
		return Location{}, err
	}
	return loc, nil
}

// StatAt returns the attributes of the file at path (newfstatat(2),
// statx(2)). flags are AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
func (v *VFS) StatAt(c *Credentials, at Location, path string, flags int) (Stat, error) {
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_NO_AUTOMOUNT|0x6000) != 0 {
		return Stat{}, unix.EINVAL
	}
	loc, err := v.resolve(c, at, path, resolveFlagsAt(flags, true))
	if err != nil {
		return Stat{}, err
	}
	return loc.Stat()
}

// Readlink returns the target of the symbolic link at path (readlinkat(2));
// an empty path reads the link at itself.
func (v *VFS) Readlink(c *Credentials, at Location, path string) (string, error) {
	loc, err := v.resolve(c, at, path, resolveEmptyPath)
	if err != nil {
		return "", err
	}
	if loc.Dentry.mode != unix.S_IFLNK {
		if path == "" {
			return "", unix.ENOENT
		}
		return "", unix.EINVAL
	}
	return loc.Dentry.inode.Readlink()
}

// setStat applies s to the file at loc, adding the ctime.
func setStat(loc Location, s *SetStat) error {
	if loc.Mount.flags&MountReadOnly != 0 {
		return unix.EROFS
	}
	s.Mask |= SetCtime
	s.Ctime = Now()
	return loc.Dentry.inode.SetStat(s)
}

// Chmod changes permission bits (fchmodat(2); fchmod passes the
// description's Location, "" and AT_EMPTY_PATH). flags may hold
// AT_SYMLINK_NOFOLLOW (EOPNOTSUPP on a symlink) and AT_EMPTY_PATH.
func (v *VFS) Chmod(c *Credentials, at Location, path string, mode uint32, flags int) error {
	loc, err := v.resolve(c, at, path, resolveFlagsAt(flags, true))
	if err != nil {
		return err
	}
	if loc.Dentry.mode == unix.S_IFLNK {
		return unix.EOPNOTSUPP
	}
	st, err := loc.Stat()
	if err != nil {
		return err
	}
	if !c.IsOwner(st.UID) {
		return unix.EPERM
	}
	mode &= 07777
	if c.UID != 0 && !c.inGroup(st.GID) {
		mode &^= unix.S_ISGID
	}
	return setStat(loc, &SetStat{Mask: SetMode, Mode: mode})
}

// Chown changes owner and group (fchownat(2)); -1 leaves one unchanged.
// Only uid 0 may give a file away; an owner may change its group to one of
// its own. Changing either clears set-user-ID and set-group-ID on
// non-directories, as Linux does.
func (v *VFS) Chown(c *Credentials, at Location, path string, uid, gid int64, flags int) error {
	loc, err := v.resolve(c, at, path, resolveFlagsAt(flags, true))
	if err != nil {
		return err
	}
	st, err := loc.Stat()
	if err != nil {
		return err
	}
	s := &SetStat{}
	owner := c.UID == 0 || c.UID == st.UID
	if uid != -1 {
		if c.UID != 0 && (!owner || uint32(uid) != st.UID) {
			return unix.EPERM
		}
		s.Mask |= SetUID
		s.UID = uint32(uid)
	}
	if gid != -1 {
		if c.UID != 0 && (!owner || !(c.inGroup(uint32(gid)) || uint32(gid) == st.GID)) {
			return unix.EPERM
		}
		s.Mask |= SetGID
		s.GID = uint32(gid)
	}
	if s.Mask == 0 {
		return nil
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFDIR && t != unix.S_IFLNK && st.Mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		m := st.Mode &^ unix.S_ISUID
		if m&unix.S_IXGRP != 0 {
			m &^= unix.S_ISGID
		}
		s.Mask |= SetMode
		s.Mode = m & 07777
	}
	return setStat(loc, s)
}

// UTIME_NOW and UTIME_OMIT, the special tv_nsec values of utimensat(2).
const (
	UtimeNow  = (1 << 30) - 1
	UtimeOmit = (1 << 30) - 2
)

// Utimens sets access and modification times (utimensat(2)). times nil
// means both now; otherwise each may use UtimeNow or UtimeOmit in Nsec.
// flags are AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
func (v *VFS) Utimens(c *Credentials, at Location, path string, times *[2]Timespec, flags int) error {
	loc, err := v.resolve(c, at, path, resolveFlagsAt(flags, true))
	if err != nil {
		return err
	}
	st, err := loc.Stat()
	if err != nil {
		return err
	}
	now := Now()
	t := [2]Timespec{{Nsec: UtimeNow}, {Nsec: UtimeNow}}
	if times != nil {
		t = *times
	}
	explicit := false
	s := &SetStat{}
	for i, ts := range t {
		if ts.Nsec == UtimeOmit {
			continue
		}
		if ts.Nsec == UtimeNow {
			ts = now
		} else if ts.Nsec < 0 || ts.Nsec >= 1e9 {
			return unix.EINVAL
		} else {
			explicit = true
		}
		if i == 0 {
			s.Mask |= SetAtime
			s.Atime = ts
		} else {
			s.Mask |= SetMtime
			s.Mtime = ts
		}
	}
	if s.Mask == 0 {
		return nil
	}
	if !c.IsOwner(st.UID) {
		if explicit {
			return unix.EPERM
		}
		if err := CheckPermission(c, st.Mode, st.UID, st.GID, MayWrite); err != nil {
			return err
		}
	}
	return setStat(loc, s)
}

// Access checks the caller's permission to the file at path
// (faccessat2(2)). mode is F_OK or a combination of R_OK, W_OK, X_OK.
// flags are AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH and AT_EACCESS; the caller
// passes the effective credentials for AT_EACCESS and the real ones
// otherwise.
func (v *VFS) Access(c *Credentials, at Location, path string, mode uint32, flags int) error {
	if mode&^7 != 0 || flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_EACCESS) != 0 {
		return unix.EINVAL
	}
	loc, err := v.resolve(c, at, path, resolveFlagsAt(flags, true))
	if err != nil {
		return err
	}
	if mode == 0 {
		return nil
	}
	st, err := loc.Stat()
	if err != nil {
		return err
	}
	if err := CheckPermission(c, st.Mode, st.UID, st.GID, mode); err != nil {
		return err
	}
	if mode&MayWrite != 0 && loc.Mount.flags&MountReadOnly != 0 {
		if t := st.Mode & unix.S_IFMT; t == unix.S_IFREG || t == unix.S_IFDIR || t == unix.S_IFLNK {
			return unix.EROFS
		}
	}
	return nil
}

// Truncate sets the size of the file at path (truncate(2)).
func (v *VFS) Truncate(c *Credentials, at Location, path string, size int64) error {
	if size < 0 {
		return unix.EINVAL
	}
	loc, err := v.resolve(c, at, path, resolveFollow)
	if err != nil {
		return err
	}
	st, err := loc.Stat()
	if err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return unix.EISDIR
	case unix.S_IFREG:
	default:
		return unix.EINVAL
	}
	if err := CheckPermission(c, st.Mode, st.UID, st.GID, MayWrite); err != nil {
		return err
	}
	return setStat(loc, &SetStat{Mask: SetSize | SetMtime, Size: size, Mtime: Now()})
}

// StatfsAt returns the statfs of the filesystem holding path (statfs(2));
// fstatfs passes the description's Location with "" and AT_EMPTY_PATH.
func (v *VFS) StatfsAt(c *Credentials, at Location, path string, flags int) (Statfs, error) {
	loc, err := v.resolve(c, at, path, resolveFlagsAt(flags, true))
	if err != nil {
		return Statfs{}, err
	}
	return loc.Statfs()
}
