package overlay

import (
	"sort"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// readAll returns every entry of a layer's directory.
func readAll(dir vfs.Inode) ([]vfs.Dirent, error) {
	f, err := dir.Open(unix.O_RDONLY | unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	dr, ok := f.(vfs.DirReader)
	if !ok {
		return nil, unix.ENOTDIR
	}
	var out []vfs.Dirent
	err = dr.ReadDir(0, func(d vfs.Dirent) bool {
		out = append(out, d)
		return true
	})
	return out, err
}

// entries returns the merged entries of in, a directory: upper entries
// (without whiteouts and the opaque marker) and the lower entries they do
// not hide, in name order, with cookies as indexes.
//
// Preconditions: fs.mu is held.
func (in *inode) entries() ([]vfs.Dirent, error) {
	in.refresh()
	byName := map[string]vfs.Dirent{}
	hidden := map[string]bool{}
	opaque := false
	if in.upper != nil {
		ents, err := readAll(in.upper)
		if err != nil {
			return nil, err
		}
		for _, d := range ents {
			switch {
			case d.Name == OpaqueMarker:
				opaque = true
			case d.Type == unix.DT_CHR:
				if c, err := in.upper.Lookup(d.Name); err == nil && isWhiteout(c) {
					hidden[d.Name] = true
					continue
				}
				fallthrough
			default:
				d.Ino |= upperInoBit
				byName[d.Name] = d
			}
		}
	}
	if in.lower != nil && !opaque && typeOf(in.lower) == unix.S_IFDIR {
		ents, err := readAll(in.lower)
		if err != nil {
			return nil, err
		}
		for _, d := range ents {
			if hidden[d.Name] {
				continue
			}
			if u, ok := byName[d.Name]; ok {
				if u.Type == unix.DT_DIR && d.Type != unix.DT_DIR {
					continue
				}
				d.Type = u.Type
			}
			byName[d.Name] = d // keep the lower inode number
		}
	}
	out := make([]vfs.Dirent, 0, len(byName))
	for _, d := range byName {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i := range out {
		out[i].Next = int64(i + 1)
	}
	return out, nil
}

// dirFile is an open overlay directory. Its merged entries are computed
// when reading starts at cookie 0 and served from that snapshot.
type dirFile struct {
	in *inode

	mu   sync.Mutex
	snap []vfs.Dirent // protected by mu
}

func (f *dirFile) Read(vfs.Blocker, []byte, int64) (int, error)  { return 0, unix.EISDIR }
func (f *dirFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EBADF }
func (f *dirFile) Stat() (vfs.Stat, error)                       { return f.in.Stat() }
func (f *dirFile) Release()                                      {}

// ReadDir implements vfs.DirReader.
func (f *dirFile) ReadDir(cookie int64, emit func(vfs.Dirent) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cookie == 0 || f.snap == nil {
		f.in.fs.mu.Lock()
		snap, err := f.in.entries()
		f.in.fs.mu.Unlock()
		if err != nil {
			return err
		}
		f.snap = snap
	}
	for i := cookie; i < int64(len(f.snap)); i++ {
		if !emit(f.snap[i]) {
			return nil
		}
	}
	return nil
}
