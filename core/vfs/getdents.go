package vfs

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

// Directory offsets: "." is at 0, ".." at 1, and the filesystem's entry at
// cookie c at c+2.
const dirCookieBase = 2

// IterDirents calls emit for the directory's entries from the file offset
// on, "." and ".." first, and advances the offset past every entry emit
// accepts. It stops when emit returns false (that entry stays unread) or at
// the end of the directory. Each Dirent's Next is the offset to resume
// after it, the d_off of getdents64.
func (fd *FileDescription) IterDirents(emit func(Dirent) bool) error {
	if fd.path {
		return unix.EBADF
	}
	dr, ok := fd.impl.(DirReader)
	if !ok {
		return unix.ENOTDIR
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.off < dirCookieBase {
		self, parent := fd.dotInos()
		if fd.off == 0 {
			if !emit(Dirent{Name: ".", Ino: self, Type: unix.DT_DIR, Next: 1}) {
				return nil
			}
			fd.off = 1
		}
		if !emit(Dirent{Name: "..", Ino: parent, Type: unix.DT_DIR, Next: dirCookieBase}) {
			return nil
		}
		fd.off = dirCookieBase
	}
	return dr.ReadDir(fd.off-dirCookieBase, func(d Dirent) bool {
		d.Next += dirCookieBase
		if !emit(d) {
			return false
		}
		fd.off = d.Next
		return true
	})
}

// dotInos returns the inode numbers of "." and "..".
func (fd *FileDescription) dotInos() (self, parent uint64) {
	if !fd.loc.Valid() {
		st, _ := fd.impl.Stat()
		return st.Ino, st.Ino
	}
	self = fd.loc.Dentry.ino
	p := fd.loc.Mount.vfs.Parent(fd.loc)
	return self, p.Dentry.ino
}

// Getdents64 fills dst with linux_dirent64 records from the file offset on
// (getdents64(2)) and returns the number of bytes used. It returns EINVAL
// if dst cannot hold the next record, and 0 at the end of the directory.
func (fd *FileDescription) Getdents64(dst []byte) (int, error) {
	buf := dst[:0]
	tooSmall := false
	err := fd.IterDirents(func(d Dirent) bool {
		rec := linux.Dirent64{Ino: d.Ino, Off: d.Next, Type: d.Type, Name: d.Name}
		if len(buf)+rec.SizeBytes() > len(dst) {
			tooSmall = len(buf) == 0
			return false
		}
		buf = linux.AppendDirent64(buf, rec)
		return true
	})
	if len(buf) > 0 {
		return len(buf), nil
	}
	if err != nil {
		return 0, err
	}
	if tooSmall {
		return 0, unix.EINVAL
	}
	return 0, nil
}
