package overlay

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// copyUpChunk is the size of the data copies of copy-up.
const copyUpChunk = 64 << 10

// copyUp gives in an upper inode, copying the lower file (and first its
// parent directories) into the upper layer.
//
// Preconditions: fs.mu is held.
func (in *inode) copyUp() error {
	in.refresh()
	if in.upper != nil {
		return nil
	}
	if err := in.parent.copyUp(); err != nil {
		return err
	}
	st, err := in.lower.Stat()
	if err != nil {
		return err
	}
	owner := vfs.Owner{UID: st.UID, GID: st.GID}
	dir := in.parent.upper
	var u vfs.Inode
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		target, err := in.lower.Readlink()
		if err != nil {
			return err
		}
		u, err = dir.Symlink(in.name, target, owner)
		if err != nil {
			return err
		}
	case unix.S_IFREG:
		u, err = dir.Create(in.name, unix.S_IFREG|st.Mode&07777, 0, owner)
		if err != nil {
			return err
		}
		if err := copyData(in.lower, u, st.Size); err != nil {
			dir.Unlink(in.name)
			return err
		}
	default:
		u, err = dir.Create(in.name, st.Mode&(unix.S_IFMT|07777), st.Rdev, owner)
		if err != nil {
			return err
		}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		u.SetStat(&vfs.SetStat{
			Mask: vfs.SetMode | vfs.SetAtime | vfs.SetMtime | vfs.SetCtime,
			Mode: st.Mode & 07777, Atime: st.Atime, Mtime: st.Mtime, Ctime: st.Ctime,
		})
	}
	in.upper = u
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		in.fs.origin[u] = st.Ino
	}
	return nil
}

// copyData copies size bytes of from's data into to.
func copyData(from, to vfs.Inode, size int64) error {
	src, err := from.Open(unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer src.Release()
	dst, err := to.Open(unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer dst.Release()
	buf := make([]byte, copyUpChunk)
	for off := int64(0); off < size; {
		n, err := src.Read(nil, buf, off)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if allZero(buf[:n]) {
			// Leave holes as holes: sparse lower files stay sparse.
			off += int64(n)
			if off >= size {
				return to.SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: off})
			}
			continue
		}
		if _, err := dst.Write(nil, buf[:n], off); err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
