package hostfs

import (
	"encoding/binary"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// regFile is an open host regular file.
type regFile struct {
	fs *FS
	fd int // immutable; closed by Release
}

// Read implements vfs.FileImpl.
func (f *regFile) Read(_ vfs.Blocker, dst []byte, off int64) (int, error) {
	n, err := unix.Pread(f.fd, dst, off)
	if n < 0 {
		n = 0
	}
	return n, err
}

// Write implements vfs.FileImpl.
func (f *regFile) Write(_ vfs.Blocker, src []byte, off int64) (int, error) {
	if f.fs.readonly {
		return 0, unix.EROFS
	}
	if off < 0 {
		var st unix.Stat_t
		if err := unix.Fstat(f.fd, &st); err != nil {
			return 0, err
		}
		off = st.Size
	}
	n, err := unix.Pwrite(f.fd, src, off)
	f.fs.changed()
	if n < 0 {
		n = 0
	}
	return n, err
}

// Stat implements vfs.FileImpl.
func (f *regFile) Stat() (vfs.Stat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return vfs.Stat{}, err
	}
	return f.fs.stat(&st), nil
}

// Sync implements vfs.Syncer.
func (f *regFile) Sync() error {
	if f.fs.readonly {
		return nil
	}
	return unix.Fsync(f.fd)
}

// Release implements vfs.FileImpl.
func (f *regFile) Release() { unix.Close(f.fd) }

// dirFile is an open host directory. Its entries are read from the host in
// full when reading starts at cookie 0 and served from that snapshot, so a
// cookie is an index into it.
type dirFile struct {
	fs *FS
	fd int // immutable; closed by Release

	mu      sync.Mutex
	entries []vfs.Dirent // protected by mu
}

func (f *dirFile) Read(vfs.Blocker, []byte, int64) (int, error)  { return 0, unix.EISDIR }
func (f *dirFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EBADF }

// Stat implements vfs.FileImpl.
func (f *dirFile) Stat() (vfs.Stat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return vfs.Stat{}, err
	}
	return f.fs.stat(&st), nil
}

// Release implements vfs.FileImpl.
func (f *dirFile) Release() { unix.Close(f.fd) }

// ReadDir implements vfs.DirReader.
func (f *dirFile) ReadDir(cookie int64, emit func(vfs.Dirent) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cookie == 0 || f.entries == nil {
		if err := f.load(); err != nil {
			return err
		}
	}
	for i := cookie; i < int64(len(f.entries)); i++ {
		if !emit(f.entries[i]) {
			return nil
		}
	}
	return nil
}

// load reads every entry of the host directory.
//
// Preconditions: f.mu is held.
func (f *dirFile) load() error {
	if _, err := unix.Seek(f.fd, 0, unix.SEEK_SET); err != nil {
		return err
	}
	f.entries = f.entries[:0]
	if f.entries == nil {
		f.entries = []vfs.Dirent{}
	}
	buf := make([]byte, 32<<10)
	var st unix.Stat_t
	unix.Fstat(f.fd, &st)
	for {
		n, err := unix.Getdents(f.fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		for b := buf[:n]; len(b) >= 19; {
			ino := binary.LittleEndian.Uint64(b[0:])
			reclen := int(binary.LittleEndian.Uint16(b[16:]))
			typ := b[18]
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			b = b[reclen:]
			if s := string(name); s != "." && s != ".." {
				// The entry's device is the directory's unless it is
				// a mount point; the index is only for uniqueness.
				st.Ino = ino
				f.entries = append(f.entries, vfs.Dirent{
					Name: s, Ino: f.fs.ino(&st), Type: typ, Next: int64(len(f.entries) + 1),
				})
			}
		}
	}
}
