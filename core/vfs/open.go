package vfs

import "golang.org/x/sys/unix"

// OpenAt opens the file at path (openat(2)); a relative path starts at at
// (the working directory for AT_FDCWD, or the dirfd's Location). flags are
// open(2)'s: the access mode, O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
// O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_PATH. O_CLOEXEC belongs to the
// file descriptor table and is ignored here. mode is the permission of a
// file O_CREAT creates, with the umask already applied by the caller.
//
// Opening a FIFO may block (fifo.go); OpenAt blocks uninterruptibly, and
// OpenAtBlocking is OpenAt with the Blocker of the calling task.
func (v *VFS) OpenAt(c *Credentials, at Location, path string, flags int, mode uint32) (*FileDescription, error) {
	return v.OpenAtBlocking(nil, c, at, path, flags, mode)
}

// OpenAtBlocking is OpenAt whose wait for a FIFO's other end follows b.
func (v *VFS) OpenAtBlocking(b Blocker, c *Credentials, at Location, path string, flags int, mode uint32) (*FileDescription, error) {
	follow := flags&unix.O_NOFOLLOW == 0
	if flags&unix.O_PATH != 0 {
		loc, err := v.newWalker(c, at).walk(path, follow)
		if err != nil {
			return nil, err
		}
		if flags&unix.O_DIRECTORY != 0 && !loc.IsDir() {
			return nil, unix.ENOTDIR
		}
		fd := NewDescription(pathFile{loc}, DescriptionOptions{Location: loc, Flags: unix.O_PATH})
		fd.path = true
		return fd, nil
	}
	if flags&unix.O_CREAT == 0 {
		loc, err := v.newWalker(c, at).walk(path, follow)
		if err != nil {
			return nil, err
		}
		return v.open(b, c, loc, flags, false)
	}
	if flags&unix.O_DIRECTORY != 0 {
		return nil, unix.EINVAL
	}
	w := v.newWalker(c, at)
	for {
		dir, name, trailing, err := w.walkParent(path)
		if err != nil {
			return nil, err
		}
		if trailing || name == "" || name == "." || name == ".." {
			return nil, unix.EISDIR
		}
		if err := w.mayWalk(dir); err != nil {
			return nil, err
		}
		if len(name) > NameMax {
			return nil, unix.ENAMETOOLONG
		}
		loc, err := lookupChild(dir, name)
		if err == unix.ENOENT {
			loc, err = v.create(c, dir, name, unix.S_IFREG|mode&07777, 0)
			if err == unix.EEXIST && flags&unix.O_EXCL == 0 {
				continue // lost a race with another creator: open theirs
			}
			if err != nil {
				return nil, err
			}
			return v.open(b, c, loc, flags, true)
		}
		if err != nil {
			return nil, err
		}
		if flags&unix.O_EXCL != 0 {
			return nil, unix.EEXIST
		}
		loc = v.crossDown(loc)
		if loc.Dentry.mode == unix.S_IFLNK && follow {
			target, err := w.readlink(loc)
			if err != nil {
				return nil, err
			}
			w.start, path = dir, target
			continue
		}
		return v.open(b, c, loc, flags, false)
	}
}

// open opens the file at loc, checking permissions unless the file was
// just created.
func (v *VFS) open(b Blocker, c *Credentials, loc Location, flags int, created bool) (*FileDescription, error) {
	st, err := loc.Stat()
	if err != nil {
		return nil, err
	}
	typ := st.Mode & unix.S_IFMT
	if typ == unix.S_IFLNK {
		return nil, unix.ELOOP
	}
	if flags&unix.O_DIRECTORY != 0 && typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	var want uint32
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		want = MayRead
	case unix.O_WRONLY:
		want = MayWrite
	default:
		want = MayRead | MayWrite
	}
	if flags&unix.O_TRUNC != 0 {
		want |= MayWrite
	}
	if typ == unix.S_IFDIR && want&MayWrite != 0 {
		return nil, unix.EISDIR
	}
	if !created {
		if err := CheckPermission(c, st.Mode, st.UID, st.GID, want); err != nil {
			return nil, err
		}
	}
	if want&MayWrite != 0 && loc.Mount.flags&MountReadOnly != 0 && (typ == unix.S_IFREG || typ == unix.S_IFDIR) {
		return nil, unix.EROFS
	}
	if flags&unix.O_TRUNC != 0 && typ == unix.S_IFREG && !created && st.Size != 0 {
		now := Now()
		if err := loc.Dentry.inode.SetStat(&SetStat{Mask: SetSize | SetMtime | SetCtime, Mtime: now, Ctime: now}); err != nil {
			return nil, err
		}
	}
	var impl FileImpl
	if typ == unix.S_IFIFO && !opensItself(loc.Dentry.inode) {
		impl, err = openFIFO(b, loc, flags)
	} else {
		impl, err = loc.Dentry.inode.Open(flags)
	}
	if err != nil {
		return nil, err
	}
	stream := typ == unix.S_IFIFO || typ == unix.S_IFSOCK
	if s, ok := impl.(interface{ Stream() bool }); ok {
		stream = s.Stream()
	}
	return NewDescription(impl, DescriptionOptions{Location: loc, Flags: flags, Stream: stream}), nil
}

// create makes the file name of type and permission mode in dir, owned by
// c, checking write permission on dir.
func (v *VFS) create(c *Credentials, dir Location, name string, mode uint32, rdev uint64) (Location, error) {
	dst, err := dir.Stat()
	if err != nil {
		return Location{}, err
	}
	if err := CheckPermission(c, dst.Mode, dst.UID, dst.GID, MayWrite|MayExec); err != nil {
		return Location{}, err
	}
	if dir.Mount.flags&MountReadOnly != 0 {
		return Location{}, unix.EROFS
	}
	owner := Owner{UID: c.UID, GID: c.GID}
	if dst.Mode&unix.S_ISGID != 0 {
		owner.GID = dst.GID
		if mode&unix.S_IFMT == unix.S_IFDIR {
			mode |= unix.S_ISGID
		}
	}
	inode, err := dir.Dentry.inode.Create(name, mode, rdev, owner)
	if err != nil {
		return Location{}, err
	}
	st, err := inode.Stat()
	if err != nil {
		return Location{}, err
	}
	return Location{dir.Mount, &Dentry{parent: dir.Dentry, name: name, inode: inode, ino: st.Ino, mode: st.Mode & unix.S_IFMT}}, nil
}
