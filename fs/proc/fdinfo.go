package proc

import (
	"fmt"
	"strconv"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// fdinfoDir is /proc/[pid]/fdinfo: a file per open descriptor telling its
// offset, status flags, mount and inode.
type fdinfoDir struct{ d *pidDir }

func (fi *fdinfoDir) entries() ([]entry, error) {
	tbl := fdTable(fi.d.tg)
	if tbl == nil {
		return nil, nil
	}
	pid := fi.d.tg.TGID()
	fds := tbl.FDs()
	out := make([]entry, len(fds))
	for i, n := range fds {
		out[i] = entry{name: strconv.Itoa(n), ino: fdinfoIno(pid, n), mode: unix.S_IFREG, key: int64(n)}
	}
	return out, nil
}

func (fi *fdinfoDir) lookup(name string) (*node, error) {
	tbl := fdTable(fi.d.tg)
	if tbl == nil {
		return nil, unix.ENOENT
	}
	n, ok := parseID(name)
	if !ok {
		return nil, unix.ENOENT
	}
	f, _, err := tbl.Get(int(n))
	if err != nil {
		return nil, unix.ENOENT
	}
	f.DecRef()
	f2 := fi.d.newNode(fdinfoIno(fi.d.tg.TGID(), int(n)), unix.S_IFREG|0o444)
	f2.read = func() ([]byte, error) { return fi.info(int(n)) }
	return f2, nil
}

// info is the contents of fdinfo/n.
func (fi *fdinfoDir) info(n int) ([]byte, error) {
	tbl := fdTable(fi.d.tg)
	if tbl == nil {
		return nil, unix.ENOENT
	}
	f, cloexec, err := tbl.Get(n)
	if err != nil {
		return nil, unix.ENOENT
	}
	defer f.DecRef()
	return []byte(formatFDInfo(fdInfoOf(f, cloexec))), nil
}

// oLargefile is the kernel's O_LARGEFILE on x86-64.
const oLargefile = 0o100000

// fdInfo is what fdinfo/N shows.
type fdInfo struct {
	Pos   int64
	Flags int // the status flags, with O_CLOEXEC for a close-on-exec fd
	MntID int
	Ino   uint64
}

// fdInfoOf gathers the fdinfo of an open description.
func fdInfoOf(f *vfs.FileDescription, cloexec bool) fdInfo {
	in := fdInfo{Flags: f.StatusFlags()}
	if cloexec {
		in.Flags |= unix.O_CLOEXEC
	}
	if pos, err := f.Seek(0, unix.SEEK_CUR); err == nil {
		in.Pos = pos
	}
	if loc := f.Location(); loc.Valid() {
		in.MntID = mountID(loc.Mount)
		// open(2) on 64-bit Linux always adds O_LARGEFILE (which is 0
		// in the C library's, and x/sys's, headers).
		in.Flags |= oLargefile
	}
	if st, err := f.Stat(); err == nil {
		in.Ino = st.Ino
	}
	return in
}

// formatFDInfo formats fdinfo/N as Linux's seq_show does (the flags in
// octal with a leading 0).
func formatFDInfo(in fdInfo) string {
	return fmt.Sprintf("pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", in.Pos, in.Flags, in.MntID, in.Ino)
}
