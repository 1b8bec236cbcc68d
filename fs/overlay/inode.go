package overlay

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// inode is a file of the overlay: its upper and lower inodes. Inodes are
// made afresh by each Lookup, so an inode found before another one copied
// the same file up learns of the copy in refresh.
type inode struct {
	fs     *FS
	parent *inode // nil for the root; immutable
	name   string // immutable
	typ    uint32 // S_IFMT; immutable
	ino    uint64 // immutable

	// upper is nil until the file is copied up or if it is lower-only;
	// lower is nil for upper-only files. Protected by fs.mu.
	upper vfs.Inode
	lower vfs.Inode
}

// refresh picks up an upper inode made since in was looked up.
//
// Preconditions: fs.mu is held.
func (in *inode) refresh() {
	if in.upper != nil || in.parent == nil {
		return
	}
	in.parent.refresh()
	if in.parent.upper == nil {
		return
	}
	if u, err := in.parent.upper.Lookup(in.name); err == nil && !isWhiteout(u) {
		in.upper = u
	}
}

// top returns the inode that answers for in: upper if there is one.
//
// Preconditions: fs.mu is held.
func (in *inode) top() vfs.Inode {
	in.refresh()
	if in.upper != nil {
		return in.upper
	}
	return in.lower
}

// Stat implements vfs.Inode.
func (in *inode) Stat() (vfs.Stat, error) {
	in.fs.mu.Lock()
	t := in.top()
	lower := in.lower
	in.fs.mu.Unlock()
	st, err := t.Stat()
	st.Ino = in.ino
	if err == nil && in.typ == unix.S_IFDIR && lower != nil && t != lower {
		// A merged directory: its upper copy holds only what the
		// sandbox changed, so the link count and size that programs
		// see are the lower directory's when those are larger.
		if lst, lerr := lower.Stat(); lerr == nil {
			st.Nlink = max(st.Nlink, lst.Nlink)
			st.Size = max(st.Size, lst.Size)
			st.Blocks = max(st.Blocks, lst.Blocks)
		}
	}
	return st, err
}

// Readlink implements vfs.Inode.
func (in *inode) Readlink() (string, error) {
	in.fs.mu.Lock()
	t := in.top()
	in.fs.mu.Unlock()
	return t.Readlink()
}

// SetStat implements vfs.Inode.
func (in *inode) SetStat(s *vfs.SetStat) error {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if s.Mask&vfs.SetSize != 0 && in.typ != unix.S_IFREG {
		if in.typ == unix.S_IFDIR {
			return unix.EISDIR
		}
		return unix.EINVAL
	}
	if err := in.copyUp(); err != nil {
		return err
	}
	return in.upper.SetStat(s)
}

// Open implements vfs.Inode.
func (in *inode) Open(flags int) (vfs.FileImpl, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if in.typ == unix.S_IFDIR {
		return &dirFile{in: in}, nil
	}
	if in.typ == unix.S_IFREG && (flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0) {
		if err := in.copyUp(); err != nil {
			return nil, err
		}
	}
	return in.top().Open(flags)
}

// lookup returns the visible child name of in, or ENOENT.
//
// Preconditions: fs.mu is held; in is a directory.
func (in *inode) lookup(name string) (*inode, error) {
	if name == OpaqueMarker {
		return nil, unix.ENOENT
	}
	in.refresh()
	var u, l vfs.Inode
	lowerVisible := in.lower != nil
	if in.upper != nil {
		c, err := in.upper.Lookup(name)
		switch {
		case err == nil && isWhiteout(c):
			return nil, unix.ENOENT
		case err == nil:
			u = c
		case err != unix.ENOENT:
			return nil, err
		}
		lowerVisible = lowerVisible && !isOpaque(in.upper)
	}
	if lowerVisible && (u == nil || typeOf(u) != unix.S_IFDIR || !isOpaque(u)) {
		c, err := in.lower.Lookup(name)
		switch {
		case err == nil:
			l = c
		case err != unix.ENOENT:
			return nil, err
		}
	}
	// An upper non-directory keeps its lower inode (for the inode
	// number, and so that removing it leaves a whiteout).
	child := &inode{fs: in.fs, parent: in, name: name, upper: u, lower: l}
	switch {
	case l != nil:
		st, err := l.Stat()
		if err != nil {
			return nil, err
		}
		child.ino = st.Ino
		child.typ = st.Mode & unix.S_IFMT
		if u != nil {
			child.typ = typeOf(u)
		}
	case u != nil:
		st, err := u.Stat()
		if err != nil {
			return nil, err
		}
		child.ino = st.Ino | upperInoBit
		if ino, ok := in.fs.origin[u]; ok {
			child.ino = ino
		}
		child.typ = st.Mode & unix.S_IFMT
	default:
		return nil, unix.ENOENT
	}
	return child, nil
}

// Lookup implements vfs.Inode.
func (in *inode) Lookup(name string) (vfs.Inode, error) {
	if in.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	c, err := in.lookup(name)
	if err != nil {
		return nil, err
	}
	return c, nil
}
