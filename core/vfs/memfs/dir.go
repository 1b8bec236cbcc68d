package memfs

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Lookup implements vfs.Inode.
func (in *inode) Lookup(name string) (vfs.Inode, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() {
		return nil, unix.ENOTDIR
	}
	e, ok := in.children[name]
	if !ok {
		return nil, unix.ENOENT
	}
	return e.inode, nil
}

// insert adds child as name.
//
// Preconditions: fs.mu is held; in is a directory without name.
func (in *inode) insert(name string, child *inode) {
	e := &entry{name: name, serial: in.nextSerial, inode: child}
	in.nextSerial++
	in.children[name] = e
	in.order.ReplaceOrInsert(e)
	if child.isDir() {
		in.nlink++
	}
	now := vfs.Now()
	in.mtime, in.ctime = now, now
}

// remove drops the entry name, and the child's link.
//
// Preconditions: fs.mu is held; in has name.
func (in *inode) remove(name string) {
	e := in.children[name]
	delete(in.children, name)
	in.order.Delete(e)
	child := e.inode
	if child.isDir() {
		in.nlink--
		child.nlink = 0
	} else {
		child.nlink--
	}
	now := vfs.Now()
	in.mtime, in.ctime = now, now
	child.ctime = now
	child.maybeFree()
}

// Create implements vfs.Inode.
func (in *inode) Create(name string, mode uint32, rdev uint64, owner vfs.Owner) (vfs.Inode, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() {
		return nil, unix.ENOTDIR
	}
	if in.nlink == 0 {
		return nil, unix.ENOENT
	}
	if _, ok := in.children[name]; ok {
		return nil, unix.EEXIST
	}
	switch mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFDIR, unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK, unix.S_IFSOCK:
	default:
		return nil, unix.EINVAL
	}
	child := in.fs.newInode(mode, rdev, owner)
	if child.isDir() {
		child.nlink = 2
	}
	in.insert(name, child)
	return child, nil
}

// Symlink implements vfs.Inode.
func (in *inode) Symlink(name, target string, owner vfs.Owner) (vfs.Inode, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() {
		return nil, unix.ENOTDIR
	}
	if in.nlink == 0 {
		return nil, unix.ENOENT
	}
	if _, ok := in.children[name]; ok {
		return nil, unix.EEXIST
	}
	child := in.fs.newInode(unix.S_IFLNK|0o777, 0, owner)
	child.target = target
	in.insert(name, child)
	return child, nil
}

// Link implements vfs.Inode.
func (in *inode) Link(name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != in.fs {
		return unix.EXDEV
	}
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() {
		return unix.ENOTDIR
	}
	if t.isDir() {
		return unix.EPERM
	}
	if _, ok := in.children[name]; ok {
		return unix.EEXIST
	}
	if t.nlink == 0 {
		return unix.ENOENT
	}
	t.nlink++
	t.ctime = vfs.Now()
	in.insert(name, t)
	return nil
}

// Unlink implements vfs.Inode.
func (in *inode) Unlink(name string) error {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() {
		return unix.ENOTDIR
	}
	e, ok := in.children[name]
	if !ok {
		return unix.ENOENT
	}
	if e.inode.isDir() {
		return unix.EISDIR
	}
	in.remove(name)
	return nil
}

// Rmdir implements vfs.Inode.
func (in *inode) Rmdir(name string) error {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() {
		return unix.ENOTDIR
	}
	e, ok := in.children[name]
	if !ok {
		return unix.ENOENT
	}
	if !e.inode.isDir() {
		return unix.ENOTDIR
	}
	if len(e.inode.children) != 0 {
		return unix.ENOTEMPTY
	}
	in.remove(name)
	return nil
}

// Rename implements vfs.Inode.
func (in *inode) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	nd, ok := newDir.(*inode)
	if !ok || nd.fs != in.fs {
		return unix.EXDEV
	}
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() || !nd.isDir() {
		return unix.ENOTDIR
	}
	src, ok := in.children[oldName]
	if !ok {
		return unix.ENOENT
	}
	dst, exists := nd.children[newName]
	if flags&vfs.RenameExchange != 0 {
		if !exists {
			return unix.ENOENT
		}
		a, b := src.inode, dst.inode
		in.removeEntry(oldName)
		nd.removeEntry(newName)
		in.insert(oldName, b)
		nd.insert(newName, a)
		return nil
	}
	if exists {
		if flags&vfs.RenameNoReplace != 0 {
			return unix.EEXIST
		}
		if dst.inode == src.inode {
			return nil
		}
		switch {
		case src.inode.isDir() && !dst.inode.isDir():
			return unix.ENOTDIR
		case !src.inode.isDir() && dst.inode.isDir():
			return unix.EISDIR
		case dst.inode.isDir() && len(dst.inode.children) != 0:
			return unix.ENOTEMPTY
		}
		nd.remove(newName)
	}
	child := src.inode
	in.removeEntry(oldName)
	nd.insert(newName, child)
	child.ctime = vfs.Now()
	return nil
}

// removeEntry drops the entry name without touching the child's links.
//
// Preconditions: fs.mu is held; in has name.
func (in *inode) removeEntry(name string) {
	e := in.children[name]
	delete(in.children, name)
	in.order.Delete(e)
	if e.inode.isDir() {
		in.nlink--
	}
	now := vfs.Now()
	in.mtime, in.ctime = now, now
}

// dirFile is an open directory.
type dirFile struct{ in *inode }

func (f *dirFile) Read(vfs.Blocker, []byte, int64) (int, error)  { return 0, unix.EISDIR }
func (f *dirFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EBADF }
func (f *dirFile) Stat() (vfs.Stat, error)                       { return f.in.Stat() }
func (f *dirFile) Release()                                      {}

// readDirBatch is how many entries ReadDir copies per lock hold.
const readDirBatch = 64

// ReadDir implements vfs.DirReader. The cookie is the serial of the next
// entry, so reading resumes correctly across creations and removals.
func (f *dirFile) ReadDir(cookie int64, emit func(vfs.Dirent) bool) error {
	for {
		batch := make([]vfs.Dirent, 0, readDirBatch)
		f.in.fs.mu.Lock()
		f.in.order.AscendGreaterOrEqual(&entry{serial: cookie}, func(e *entry) bool {
			batch = append(batch, vfs.Dirent{
				Name: e.name, Ino: e.inode.ino, Type: vfs.DirentType(e.inode.mode), Next: e.serial + 1,
			})
			return len(batch) < readDirBatch
		})
		f.in.fs.mu.Unlock()
		for _, d := range batch {
			if !emit(d) {
				return nil
			}
			cookie = d.Next
		}
		if len(batch) < readDirBatch {
			return nil
		}
	}
}
