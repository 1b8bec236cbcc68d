package memfs

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// CreateTmpfile implements vfs.TmpfileCreator: a regular file with no
// links, freed when its last open file is released (O_TMPFILE,
// memfd_create). It cannot be linked into a directory later (linkat of an
// O_TMPFILE file is ENOENT).
func (in *inode) CreateTmpfile(mode uint32, owner vfs.Owner) (vfs.Inode, error) {
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	if !in.isDir() {
		return nil, unix.ENOTDIR
	}
	if in.nlink == 0 {
		return nil, unix.ENOENT
	}
	if mode&unix.S_IFMT != unix.S_IFREG {
		return nil, unix.EINVAL
	}
	child := in.fs.newInode(mode, 0, owner)
	child.nlink = 0
	return child, nil
}
