package dev

import (
	"sort"
	"strconv"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// newPty allocates the lowest free pty number and returns the master of a
// new pair, for a process opening /dev/ptmx.
func (fs *FS) newPty(opened *node) (vfs.FileImpl, error) {
	c, _ := fs.caller()
	now := vfs.Now()
	p := &pty{
		fs: fs, ld: newLdisc(), locked: true, masterOpen: true,
		mode: ptsMode, uid: c.UID, gid: ttyGroup, atime: now, mtime: now, ctime: now,
	}
	fs.ptsMu.Lock()
	defer fs.ptsMu.Unlock()
	for i := uint32(0); ; i++ {
		if i >= maxPtys {
			return nil, unix.ENOSPC
		}
		if _, used := fs.ptys[i]; !used {
			p.index = i
			break
		}
	}
	fs.ptys[p.index] = p
	return &masterFile{p: p, node: opened}, nil
}

// removePty forgets a pair whose master is closed.
func (fs *FS) removePty(p *pty) {
	fs.ptsMu.Lock()
	defer fs.ptsMu.Unlock()
	if fs.ptys[p.index] == p {
		delete(fs.ptys, p.index)
	}
	for sid, q := range fs.cttys {
		if q == p {
			delete(fs.cttys, sid)
		}
	}
}

// openTTY opens /dev/tty: the controlling pty of the caller's session, or
// else the host terminal Ward runs on, or else ENXIO.
func (fs *FS) openTTY(flags int) (vfs.FileImpl, error) {
	if c, ok := fs.caller(); ok {
		fs.ptsMu.Lock()
		p := fs.cttys[c.SID]
		fs.ptsMu.Unlock()
		if p != nil {
			if err := p.openSlave(true); err != nil {
				return nil, err
			}
			return &slaveFile{p: p}, nil
		}
	}
	fd, ok := fs.hostTTY()
	if !ok {
		return nil, unix.ENXIO
	}
	return vfs.NewHostFile(fd)
}

// ptsDir is the contents of /dev/pts: the slaves of the open masters and
// a ptmx.
type ptsDirFile struct{ n *node }

func (f *ptsDirFile) Read(vfs.Blocker, []byte, int64) (int, error)  { return 0, unix.EISDIR }
func (f *ptsDirFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EBADF }
func (f *ptsDirFile) Stat() (vfs.Stat, error)                       { return f.n.Stat() }
func (f *ptsDirFile) Release()                                      {}

// ptmxCookie is the ReadDir cookie of /dev/pts/ptmx, after every pty.
const ptmxCookie = maxPtys

// ReadDir implements vfs.DirReader: the ptys by number (the cookie is the
// number), then ptmx.
func (f *ptsDirFile) ReadDir(cookie int64, emit func(vfs.Dirent) bool) error {
	fs := f.n.fs
	fs.ptsMu.Lock()
	idx := make([]uint32, 0, len(fs.ptys))
	for i := range fs.ptys {
		idx = append(idx, i)
	}
	fs.ptsMu.Unlock()
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	for _, i := range idx {
		if int64(i) < cookie {
			continue
		}
		if !emit(vfs.Dirent{Name: strconv.Itoa(int(i)), Ino: ptsInoBase + uint64(i), Type: unix.DT_CHR, Next: int64(i) + 1}) {
			return nil
		}
	}
	if cookie <= ptmxCookie {
		k := f.n.kids["ptmx"]
		emit(vfs.Dirent{Name: "ptmx", Ino: k.ino, Type: unix.DT_CHR, Next: ptmxCookie + 1})
	}
	return nil
}

// lookupPts finds /dev/pts/name.
func (fs *FS) lookupPts(dir *node, name string) (vfs.Inode, error) {
	if k, ok := dir.kids[name]; ok {
		return k, nil
	}
	i, err := strconv.ParseUint(name, 10, 32)
	if err != nil || strconv.FormatUint(i, 10) != name {
		return nil, unix.ENOENT
	}
	fs.ptsMu.Lock()
	p := fs.ptys[uint32(i)]
	fs.ptsMu.Unlock()
	if p == nil {
		return nil, unix.ENOENT
	}
	return &ptsNode{p: p}, nil
}

// ptsNode is /dev/pts/N, the slave of pty N.
type ptsNode struct {
	vfs.NotDir
	vfs.NotSymlink
	p *pty
}

// Stat implements vfs.Inode.
func (n *ptsNode) Stat() (vfs.Stat, error) {
	p := n.p
	p.mu.Lock()
	defer p.mu.Unlock()
	return vfs.Stat{
		Ino: ptsInoBase + uint64(p.index), Nlink: 1, Mode: unix.S_IFCHR | p.mode,
		UID: p.uid, GID: p.gid, Rdev: linux.MakeDev(ptsMajor, p.index), Blksize: 1024,
		Atime: p.atime, Mtime: p.mtime, Ctime: p.ctime,
	}, nil
}

// SetStat implements vfs.Inode: grantpt and chmod may change the mode and
// owner; truncation is ignored, as for any terminal.
func (n *ptsNode) SetStat(s *vfs.SetStat) error {
	p := n.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.Mask&vfs.SetMode != 0 {
		p.mode = s.Mode & 0o7777
	}
	if s.Mask&vfs.SetUID != 0 {
		p.uid = s.UID
	}
	if s.Mask&vfs.SetGID != 0 {
		p.gid = s.GID
	}
	if s.Mask&vfs.SetAtime != 0 {
		p.atime = s.Atime
	}
	if s.Mask&vfs.SetMtime != 0 {
		p.mtime = s.Mtime
	}
	if s.Mask&vfs.SetCtime != 0 {
		p.ctime = s.Ctime
	}
	return nil
}

// Open implements vfs.Inode: it fails with EIO while the pty is locked
// (TIOCSPTLCK) or once its master is closed.
func (n *ptsNode) Open(flags int) (vfs.FileImpl, error) {
	if err := n.p.openSlave(flags&unix.O_NOCTTY != 0); err != nil {
		return nil, err
	}
	return &slaveFile{p: n.p}, nil
}
