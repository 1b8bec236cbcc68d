package vfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// Limits of path resolution, as in Linux.
const (
	// MaxSymlinks is the most symbolic links one resolution follows
	// before failing with ELOOP.
	MaxSymlinks = 40

	// PathMax is the size limit of a path including its NUL (ENAMETOOLONG).
	PathMax = 4096

	// NameMax is the length limit of one component (ENAMETOOLONG).
	NameMax = 255
)

// resolveFlags control the final component of a resolution.
type resolveFlags int

const (
	// resolveFollow follows a final symbolic link.
	resolveFollow resolveFlags = 1 << iota
	// resolveEmptyPath resolves "" to the starting location
	// (AT_EMPTY_PATH).
	resolveEmptyPath
)

// walker is the state of one path resolution.
type walker struct {
	v     *VFS
	creds *Credentials
	root  Location // where "/" and ".." stop
	start Location // where a relative path starts
	links int      // symbolic links followed so far
}

func (v *VFS) newWalker(creds *Credentials, start Location) *walker {
	if !start.Valid() {
		start = v.Root()
	}
	return &walker{v: v, creds: creds, root: v.Root(), start: start}
}

// resolve returns the location path names, starting at start for a relative
// path.
func (v *VFS) resolve(creds *Credentials, start Location, path string, flags resolveFlags) (Location, error) {
	if path == "" && flags&resolveEmptyPath != 0 {
		if !start.Valid() {
			return Location{}, unix.EBADF
		}
		return start, nil
	}
	return v.newWalker(creds, start).walk(path, flags&resolveFollow != 0)
}

// resolveFlagsAt converts the *at(2) flags AT_SYMLINK_NOFOLLOW and
// AT_EMPTY_PATH; follow says whether the call follows symlinks by default.
func resolveFlagsAt(atFlags int, follow bool) resolveFlags {
	var f resolveFlags
	if follow && atFlags&unix.AT_SYMLINK_NOFOLLOW == 0 {
		f |= resolveFollow
	}
	if atFlags&unix.AT_EMPTY_PATH != 0 {
		f |= resolveEmptyPath
	}
	return f
}

// walk resolves path completely. follow says whether a final symbolic link
// is followed; a trailing slash always follows it and requires a directory.
func (w *walker) walk(path string, follow bool) (Location, error) {
	for {
		dir, name, mustDir, err := w.walkParent(path)
		if err != nil {
			return Location{}, err
		}
		loc := dir
		if name != "" {
			if loc, err = w.step(dir, name); err != nil {
				return Location{}, err
			}
		}
		if loc.Dentry.mode == unix.S_IFLNK && (follow || mustDir) {
			target, err := w.readlink(loc)
			if err != nil {
				return Location{}, err
			}
			if mustDir {
				target += "/"
			}
			w.start, path = dir, target
			continue
		}
		if mustDir && !loc.IsDir() {
			return Location{}, unix.ENOTDIR
		}
		return loc, nil
	}
}

// walkParent resolves every component of path but the last, following
// symbolic links. It returns the directory, the last component ("" when the
// path names the starting directory or the root itself, as "/" does) and
// whether the path ended in a slash.
func (w *walker) walkParent(path string) (dir Location, name string, trailingSlash bool, err error) {
	if path == "" {
		return Location{}, "", false, unix.ENOENT
	}
	if len(path) >= PathMax {
		return Location{}, "", false, unix.ENAMETOOLONG
	}
	cur := w.start
	for {
		if strings.HasPrefix(path, "/") {
			cur = w.root
			path = strings.TrimLeft(path, "/")
		}
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return cur, path, false, nil
		}
		comp, rest := path[:i], path[i:]
		if strings.TrimLeft(rest, "/") == "" {
			return cur, comp, true, nil
		}
		next, err := w.step(cur, comp)
		if err != nil {
			return Location{}, "", false, err
		}
		path = strings.TrimLeft(rest, "/")
		if next.Dentry.mode == unix.S_IFLNK {
			target, err := w.readlink(next)
			if err != nil {
				return Location{}, "", false, err
			}
			// Continue at the link's target, relative to the directory
			// holding the link; the rest of the path follows it.
			path = target + "/" + path
			if len(path) >= PathMax {
				return Location{}, "", false, unix.ENAMETOOLONG
			}
			continue
		}
		cur = next
	}
}

// readlink reads the symbolic link at loc on behalf of a walk, counting it.
func (w *walker) readlink(loc Location) (string, error) {
	w.links++
	if w.links > MaxSymlinks {
		return "", unix.ELOOP
	}
	target, err := loc.Dentry.inode.Readlink()
	if err != nil {
		return "", err
	}
	if target == "" {
		return "", unix.ENOENT
	}
	return target, nil
}

// step looks up one component in the directory dir, checking search
// permission, and crosses into any mount on the result.
func (w *walker) step(dir Location, name string) (Location, error) {
	if err := w.mayWalk(dir); err != nil {
		return Location{}, err
	}
	switch name {
	case ".":
		return dir, nil
	case "..":
		return w.dotdot(dir), nil
	}
	if len(name) > NameMax {
		return Location{}, unix.ENAMETOOLONG
	}
	child, err := lookupChild(dir, name)
	if err != nil {
		return Location{}, err
	}
	return w.v.crossDown(child), nil
}

// mayWalk checks that dir is a directory the walker may search.
func (w *walker) mayWalk(dir Location) error {
	if dir.Dentry.mode != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	if w.creds.UID == 0 {
		return nil
	}
	st, err := dir.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	return CheckPermission(w.creds, st.Mode, st.UID, st.GID, MayExec)
}

// lookupChild looks name up in dir, without permission checks or mount
// crossing.
func lookupChild(dir Location, name string) (Location, error) {
	inode, err := dir.Dentry.inode.Lookup(name)
	if err != nil {
		return Location{}, err
	}
	st, err := inode.Stat()
	if err != nil {
		return Location{}, err
	}
	d := &Dentry{parent: dir.Dentry, name: name, inode: inode, ino: st.Ino, mode: st.Mode & unix.S_IFMT}
	return Location{dir.Mount, d}, nil
}

// dotdot returns the parent of dir: the root stays the root, and the root
// of a mount goes up to the parent of its mount point.
func (w *walker) dotdot(dir Location) Location {
	for {
		if dir.same(w.root) {
			return dir
		}
		if dir.Dentry.parent != nil {
			break
		}
		if dir.Mount.parent == nil {
			return dir // a detached root
		}
		dir = Location{dir.Mount.parent, dir.Mount.point}
	}
	return w.v.crossDown(Location{dir.Mount, dir.Dentry.parent})
}

// Parent returns the directory above loc, as ".." resolves it from the VFS
// root.
func (v *VFS) Parent(loc Location) Location {
	return v.newWalker(Root, loc).dotdot(loc)
}
