package vfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// openat2(2)'s RESOLVE_* flags (<linux/openat2.h>).
const (
	ResolveNoXdev       = 0x01
	ResolveNoMagiclinks = 0x02
	ResolveNoSymlinks   = 0x04
	ResolveBeneath      = 0x08
	ResolveInRoot       = 0x10
	ResolveCached       = 0x20

	// ResolveAll is every flag openat2 knows.
	ResolveAll = ResolveNoXdev | ResolveNoMagiclinks | ResolveNoSymlinks | ResolveBeneath | ResolveInRoot | ResolveCached
)

// OpenHow is OpenAtBlocking (or OpenTmpfile) for openat2(2), with the
// resolution restricted by resolve:
//
//   - ResolveNoXdev: crossing a mount (down, up, or by an absolute path or
//     symlink) fails with EXDEV.
//   - ResolveNoSymlinks: any symbolic link to follow fails with ELOOP.
//   - ResolveNoMagiclinks: accepted; Ward's /proc links are ordinary
//     symbolic links to paths, so there are none to refuse.
//   - ResolveBeneath: an absolute path or symlink, or ".." above at, fails
//     with EXDEV.
//   - ResolveInRoot: at is the root: "/" and ".." stop there.
//   - ResolveCached: Ward has no dentry cache to limit itself to; the walk
//     is done as usual, except that O_CREAT, O_TRUNC and O_TMPFILE fail
//     with EAGAIN as on Linux.
//
// The caller has checked the flags' combinations (EINVAL).
func (v *VFS) OpenHow(b Blocker, c *Credentials, at Location, path string, flags int, mode uint32, resolve uint64) (*FileDescription, error) {
	if resolve&ResolveCached != 0 && flags&(unix.O_CREAT|unix.O_TRUNC|unix.O_TMPFILE) != 0 {
		return nil, unix.EAGAIN
	}
	resolve &^= ResolveCached | ResolveNoMagiclinks
	tmpfile := flags&unix.O_TMPFILE == unix.O_TMPFILE
	if resolve == 0 {
		if tmpfile {
			return v.OpenTmpfile(c, at, path, flags, mode)
		}
		return v.OpenAtBlocking(b, c, at, path, flags, mode)
	}
	if path == "" {
		return nil, unix.ENOENT
	}
	if len(path) >= PathMax {
		return nil, unix.ENAMETOOLONG
	}
	w := v.newWalker(c, at)
	r := &restrictedWalker{w: w, resolve: resolve, start: w.start, cur: w.start}
	if resolve&ResolveInRoot != 0 {
		w.root = w.start
	}
	follow := flags&unix.O_NOFOLLOW == 0
	if tmpfile {
		// Resolve the directory under the restrictions, then make the
		// file there.
		dir, err := r.walk(path, true)
		if err != nil {
			return nil, err
		}
		return v.OpenTmpfile(c, dir, ".", flags, mode)
	}
	if flags&unix.O_PATH != 0 || flags&unix.O_CREAT == 0 {
		loc, err := r.walk(path, follow)
		if err != nil {
			return nil, err
		}
		if flags&unix.O_PATH != 0 {
			if flags&unix.O_DIRECTORY != 0 && !loc.IsDir() {
				return nil, unix.ENOTDIR
			}
			fd := NewDescription(pathFile{loc}, DescriptionOptions{Location: loc, Flags: unix.O_PATH})
			fd.path = true
			return fd, nil
		}
		return v.open(b, c, loc, flags, false)
	}
	if flags&unix.O_DIRECTORY != 0 {
		return nil, unix.EINVAL
	}
	for {
		name, trailing, err := r.walkParent(path)
		if err != nil {
			return nil, err
		}
		dir := r.cur
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
				continue
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
		next := v.crossDown(loc)
		if resolve&ResolveNoXdev != 0 && next.Mount != dir.Mount {
			return nil, unix.EXDEV
		}
		if next.Dentry.mode == unix.S_IFLNK && follow {
			target, err := r.link(next)
			if err != nil {
				return nil, err
			}
			path = target // continues from r.cur, the link's directory
			continue
		}
		return v.open(b, c, next, flags, false)
	}
}

// restrictedWalker is a path walk under openat2's RESOLVE_* restrictions.
type restrictedWalker struct {
	w       *walker
	resolve uint64
	start   Location // the dirfd's location

	// cur is where the walk is; depth counts the levels below start, for
	// RESOLVE_BENEATH.
	cur   Location
	depth int
}

// link reads the symbolic link at loc, to be followed, and moves to the
// root for an absolute target.
func (r *restrictedWalker) link(loc Location) (string, error) {
	if r.resolve&ResolveNoSymlinks != 0 {
		return "", unix.ELOOP
	}
	target, err := r.w.readlink(loc)
	if err != nil {
		return "", err
	}
	return target, nil
}

// jumpToRoot handles a leading "/" of a path or symlink target.
func (r *restrictedWalker) jumpToRoot() error {
	if r.resolve&ResolveBeneath != 0 {
		return unix.EXDEV
	}
	if r.resolve&ResolveNoXdev != 0 && r.w.root.Mount != r.cur.Mount {
		return unix.EXDEV
	}
	r.cur, r.depth = r.w.root, 0
	return nil
}

// walk resolves path from r.cur to its final location.
func (r *restrictedWalker) walk(path string, follow bool) (Location, error) {
	for {
		name, trailing, err := r.walkParent(path)
		if err != nil {
			return Location{}, err
		}
		if name == "" {
			return r.cur, nil
		}
		next, err := r.step(name)
		if err != nil {
			return Location{}, err
		}
		if next.Dentry.mode == unix.S_IFLNK && (follow || trailing) {
			target, err := r.link(next)
			if err != nil {
				return Location{}, err
			}
			if trailing {
				target += "/"
			}
			path = target
			continue
		}
		if trailing && !next.IsDir() {
			return Location{}, unix.ENOTDIR
		}
		r.cur = next
		if name != "." && name != ".." {
			r.depth++
		}
		return next, nil
	}
}

// walkParent walks every component of path but the last from r.cur,
// leaving r.cur at the directory, and returns the last component and
// whether a slash followed it.
func (r *restrictedWalker) walkParent(path string) (string, bool, error) {
	if path == "" {
		return "", false, unix.ENOENT
	}
	for {
		if strings.HasPrefix(path, "/") {
			if err := r.jumpToRoot(); err != nil {
				return "", false, err
			}
			path = strings.TrimLeft(path, "/")
		}
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return path, false, nil
		}
		comp, rest := path[:i], strings.TrimLeft(path[i:], "/")
		if rest == "" {
			return comp, true, nil
		}
		next, err := r.step(comp)
		if err != nil {
			return "", false, err
		}
		path = rest
		if next.Dentry.mode == unix.S_IFLNK {
			target, err := r.link(next)
			if err != nil {
				return "", false, err
			}
			path = target + "/" + path
			if len(path) >= PathMax {
				return "", false, unix.ENAMETOOLONG
			}
			continue
		}
		if comp != "." && comp != ".." {
			r.depth++
		}
		r.cur = next
	}
}

// step looks up one component from r.cur, enforcing the restrictions, and
// returns its location; the caller moves there (".." moves at once, as it
// is never a link to follow).
func (r *restrictedWalker) step(name string) (Location, error) {
	if name == ".." && r.resolve&ResolveBeneath != 0 {
		if r.depth == 0 {
			return Location{}, unix.EXDEV
		}
		r.depth--
	}
	next, err := r.w.step(r.cur, name)
	if err != nil {
		return Location{}, err
	}
	if r.resolve&ResolveNoXdev != 0 && next.Mount != r.cur.Mount {
		return Location{}, unix.EXDEV
	}
	if name == ".." {
		r.cur = next
	}
	return next, nil
}
