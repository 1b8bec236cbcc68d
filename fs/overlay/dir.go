package overlay

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// prepareName copies in up and clears a whiteout at name, reporting
// whether there was one. It fails with EEXIST if name is visible.
//
// Preconditions: fs.mu is held; in is a directory.
func (in *inode) prepareName(name string) (whiteout bool, err error) {
	if name == OpaqueMarker {
		return false, unix.EPERM
	}
	if _, err := in.lookup(name); err == nil {
		return false, unix.EEXIST
	} else if err != unix.ENOENT {
		return false, err
	}
	if err := in.copyUp(); err != nil {
		return false, err
	}
	if c, err := in.upper.Lookup(name); err == nil && isWhiteout(c) {
		if err := in.upper.Unlink(name); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// whiteout hides the lower entry name.
//
// Preconditions: fs.mu is held; in has an upper inode without name.
func (in *inode) whiteout(name string) error {
	_, err := in.upper.Create(name, unix.S_IFCHR, 0, vfs.Owner{})
	return err
}

// Create implements vfs.Inode.
func (in *inode) Create(name string, mode uint32, rdev uint64, owner vfs.Owner) (vfs.Inode, error) {
	if in.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	wh, err := in.prepareName(name)
	if err != nil {
		return nil, err
	}
	u, err := in.upper.Create(name, mode, rdev, owner)
	if err != nil {
		if wh {
			in.whiteout(name)
		}
		return nil, err
	}
	if wh && mode&unix.S_IFMT == unix.S_IFDIR {
		if _, err := u.Create(OpaqueMarker, unix.S_IFREG, 0, vfs.Owner{}); err != nil {
			return nil, err
		}
	}
	return in.lookup(name)
}

// Symlink implements vfs.Inode.
func (in *inode) Symlink(name, target string, owner vfs.Owner) (vfs.Inode, error) {
	if in.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if _, err := in.prepareName(name); err != nil {
		return nil, err
	}
	if _, err := in.upper.Symlink(name, target, owner); err != nil {
		return nil, err
	}
	return in.lookup(name)
}

// Link implements vfs.Inode.
func (in *inode) Link(name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != in.fs {
		return unix.EXDEV
	}
	if in.typ != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if err := t.copyUp(); err != nil {
		return err
	}
	if _, err := in.prepareName(name); err != nil {
		return err
	}
	return in.upper.Link(name, t.upper)
}

// remove removes the visible child name, leaving a whiteout if the lower
// layer has it.
//
// Preconditions: fs.mu is held.
func (in *inode) remove(name string, dir bool) error {
	if in.typ != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	c, err := in.lookup(name)
	if err != nil {
		return err
	}
	switch {
	case dir && c.typ != unix.S_IFDIR:
		return unix.ENOTDIR
	case !dir && c.typ == unix.S_IFDIR:
		return unix.EISDIR
	}
	if dir {
		entries, err := c.entries()
		if err != nil {
			return err
		}
		if len(entries) != 0 {
			return unix.ENOTEMPTY
		}
	}
	if err := in.copyUp(); err != nil {
		return err
	}
	if c.upper != nil {
		if dir {
			if err := clearDir(c.upper); err != nil {
				return err
			}
			err = in.upper.Rmdir(name)
		} else {
			err = in.upper.Unlink(name)
			if st, serr := c.upper.Stat(); err == nil && (serr != nil || st.Nlink == 0) {
				delete(in.fs.origin, c.upper) // its last name
			}
		}
		if err != nil {
			return err
		}
	}
	if c.lower != nil {
		return in.whiteout(name)
	}
	return nil
}

// clearDir removes the whiteouts and opaque marker of an upper directory
// that is empty in the merged view.
func clearDir(dir vfs.Inode) error {
	f, err := dir.Open(unix.O_RDONLY)
	if err != nil {
		return err
	}
	var names []string
	err = f.(vfs.DirReader).ReadDir(0, func(d vfs.Dirent) bool {
		names = append(names, d.Name)
		return true
	})
	f.Release()
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := dir.Unlink(n); err != nil {
			return err
		}
	}
	return nil
}

// Unlink implements vfs.Inode.
func (in *inode) Unlink(name string) error {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	return in.remove(name, false)
}

// Rmdir implements vfs.Inode.
func (in *inode) Rmdir(name string) error {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	return in.remove(name, true)
}

// Rename implements vfs.Inode.
func (in *inode) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	nd, ok := newDir.(*inode)
	if !ok || nd.fs != in.fs {
		return unix.EXDEV
	}
	if flags&^vfs.RenameNoReplace != 0 {
		return unix.EINVAL
	}
	if in.typ != unix.S_IFDIR || nd.typ != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	src, err := in.lookup(oldName)
	if err != nil {
		return err
	}
	if src.typ == unix.S_IFDIR && src.lower != nil {
		return unix.EXDEV
	}
	dst, err := nd.lookup(newName)
	switch {
	case err == unix.ENOENT:
		dst = nil
	case err != nil:
		return err
	case flags&vfs.RenameNoReplace != 0:
		return unix.EEXIST
	}
	if dst != nil {
		switch {
		case src.typ == unix.S_IFDIR && dst.typ != unix.S_IFDIR:
			return unix.ENOTDIR
		case src.typ != unix.S_IFDIR && dst.typ == unix.S_IFDIR:
			return unix.EISDIR
		case dst.typ == unix.S_IFDIR:
			if dst.lower != nil {
				return unix.EXDEV
			}
			entries, err := dst.entries()
			if err != nil {
				return err
			}
			if len(entries) != 0 {
				return unix.ENOTEMPTY
			}
		}
	}
	if err := src.copyUp(); err != nil {
		return err
	}
	if err := nd.copyUp(); err != nil {
		return err
	}
	wh := false
	if dst == nil {
		if c, err := nd.upper.Lookup(newName); err == nil && isWhiteout(c) {
			if err := nd.upper.Unlink(newName); err != nil {
				return err
			}
			wh = true
		}
	}
	if err := in.upper.Rename(oldName, nd.upper, newName, 0); err != nil {
		return err
	}
	if wh && src.typ == unix.S_IFDIR {
		if _, err := src.upper.Create(OpaqueMarker, unix.S_IFREG, 0, vfs.Owner{}); err != nil {
			return err
		}
	}
	if src.lower != nil {
		return in.whiteout(oldName)
	}
	return nil
}
