package dev

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// userMem stands in for an address space: addresses are offsets.
type userMem []byte

func (m userMem) CopyIn(addr uintptr, dst []byte) (int, error) {
	if int(addr)+len(dst) > len(m) {
		return 0, unix.EFAULT
	}
	return copy(dst, m[addr:]), nil
}

func (m userMem) CopyOut(addr uintptr, src []byte) (int, error) {
	if int(addr)+len(src) > len(m) {
		return 0, unix.EFAULT
	}
	return copy(m[addr:], src), nil
}

// fakeSessions is a Sessions with one caller and a record of signals.
type fakeSessions struct {
	mu     sync.Mutex
	caller Caller
	sigs   []string // "pgid:sig" or "pid=sig"
}

func (f *fakeSessions) Caller() (Caller, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.caller, true
}
func (f *fakeSessions) GroupSession(pgid int32) (int32, bool) { return f.caller.SID, pgid > 0 }
func (f *fakeSessions) SessionAlive(int32) bool               { return true }
func (f *fakeSessions) SignalGroup(pgid int32, sig int) {
	f.mu.Lock()
	f.sigs = append(f.sigs, fmt.Sprintf("%d:%d", pgid, sig))
	f.mu.Unlock()
}
func (f *fakeSessions) SignalProcess(pid int32, sig int) {
	f.mu.Lock()
	f.sigs = append(f.sigs, fmt.Sprintf("%d=%d", pid, sig))
	f.mu.Unlock()
}
func (f *fakeSessions) signals() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sigs...)
}

// ptyPair opens a master, unlocks it and opens its slave.
type ptyPair struct {
	t      *testing.T
	v      *vfs.VFS
	fs     *FS
	master *vfs.FileDescription
	slave  *vfs.FileDescription
	n      uint32
	mem    userMem
}

func openPair(t *testing.T) *ptyPair {
	t.Helper()
	v, fs := newVFS(t)
	pp := &ptyPair{t: t, v: v, fs: fs, mem: make(userMem, 256)}
	m, err := v.OpenAt(vfs.Root, v.Root(), "/ptmx", unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	pp.master = m
	t.Cleanup(func() {
		if pp.master != nil {
			pp.master.DecRef()
		}
	})
	pp.n = pp.ioctlGet(m, tiocgptn)
	name := fmt.Sprintf("/pts/%d", pp.n)
	if _, err := v.OpenAt(vfs.Root, v.Root(), name, unix.O_RDWR|unix.O_NOCTTY, 0); err != unix.EIO {
		t.Errorf("open locked %s: %v, want EIO", name, err)
	}
	pp.ioctlSet(m, tiocsptlck, 0)
	s, err := v.OpenAt(vfs.Root, v.Root(), name, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	pp.slave = s
	t.Cleanup(func() {
		if pp.slave != nil {
			pp.slave.DecRef()
		}
	})
	return pp
}

func (pp *ptyPair) ioctlGet(fd *vfs.FileDescription, cmd uint32) uint32 {
	pp.t.Helper()
	if _, err := fd.Ioctl(nil, pp.mem, cmd, 0); err != nil {
		pp.t.Fatalf("ioctl %#x: %v", cmd, err)
	}
	return binary.LittleEndian.Uint32(pp.mem)
}

func (pp *ptyPair) ioctlSet(fd *vfs.FileDescription, cmd uint32, v uint32) error {
	binary.LittleEndian.PutUint32(pp.mem, v)
	_, err := fd.Ioctl(nil, pp.mem, cmd, 0)
	return err
}

func (pp *ptyPair) termios() termios {
	pp.t.Helper()
	if _, err := pp.slave.Ioctl(nil, pp.mem, vfs.TCGETS, 0); err != nil {
		pp.t.Fatalf("TCGETS: %v", err)
	}
	var t termios
	t.unmarshal(pp.mem[:termiosSize])
	return t
}

func (pp *ptyPair) setTermios(t termios) {
	pp.t.Helper()
	copy(pp.mem, t.marshal(termiosSize))
	if _, err := pp.slave.Ioctl(nil, pp.mem, vfs.TCSETS, 0); err != nil {
		pp.t.Fatalf("TCSETS: %v", err)
	}
}

func (pp *ptyPair) write(fd *vfs.FileDescription, s string) {
	pp.t.Helper()
	if n, err := fd.Write(nil, []byte(s)); n != len(s) || err != nil {
		pp.t.Fatalf("write %q = %d, %v", s, n, err)
	}
}

// read reads once, without blocking.
func (pp *ptyPair) read(fd *vfs.FileDescription) (string, error) {
	buf := make([]byte, 1024)
	n, err := fd.Impl().Read(vfs.NonBlocking, buf, 0)
	return string(buf[:n]), err
}

func (pp *ptyPair) expect(fd *vfs.FileDescription, want string) {
	pp.t.Helper()
	if got, err := pp.read(fd); got != want || err != nil {
		pp.t.Errorf("read = %q, %v; want %q", got, err, want)
	}
}

func TestPtyCanonical(t *testing.T) {
	pp := openPair(t)
	pp.write(pp.master, "abc\rdef\x7fg\n")
	pp.expect(pp.slave, "abc\n")
	pp.expect(pp.slave, "deg\n")
	if _, err := pp.read(pp.slave); err != unix.EAGAIN {
		t.Errorf("read of an empty slave: %v, want EAGAIN", err)
	}
	pp.expect(pp.master, "abc\r\ndef\b \bg\r\n") // the echo

	// A partial line is not readable; ^D ends it without a newline, and
	// ^D on an empty line is end of file.
	pp.write(pp.master, "xy")
	if got, err := pp.read(pp.slave); err != unix.EAGAIN {
		t.Errorf("read of a partial line = %q, %v", got, err)
	}
	pp.write(pp.master, "\x04\x04")
	pp.expect(pp.slave, "xy")
	pp.expect(pp.slave, "")
	pp.expect(pp.master, "xy")

	// ^U kills the line, ^W a word.
	pp.write(pp.master, "one two\x17three\x15four\n")
	pp.expect(pp.slave, "four\n")

	// A read shorter than the line leaves the rest.
	pp.write(pp.master, "hello\n")
	buf := make([]byte, 2)
	if n, _ := pp.slave.Read(nil, buf); string(buf[:n]) != "he" {
		t.Errorf("short read = %q", buf[:n])
	}
	pp.expect(pp.slave, "llo\n")

	// FIONREAD counts complete lines only.
	pp.write(pp.master, "ab\ncd")
	if n := pp.ioctlGet(pp.slave, vfs.FIONREAD); n != 3 {
		t.Errorf("FIONREAD = %d, want 3", n)
	}
}

func TestPtyOutput(t *testing.T) {
	pp := openPair(t)
	pp.write(pp.slave, "x\ny\n")
	if n := pp.ioctlGet(pp.master, vfs.FIONREAD); n != 6 {
		t.Errorf("master FIONREAD = %d, want 6", n)
	}
	pp.expect(pp.master, "x\r\ny\r\n")
	tm := pp.termios()
	tm.oflag &^= unix.OPOST
	pp.setTermios(tm)
	pp.write(pp.slave, "x\ny\n")
	pp.expect(pp.master, "x\ny\n")
}

func TestPtyRaw(t *testing.T) {
	pp := openPair(t)
	tm := pp.termios()
	if tm.lflag&unix.ICANON == 0 || tm.oflag&unix.ONLCR == 0 {
		t.Fatalf("default termios %+v", tm)
	}
	// cfmakeraw
	tm.iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tm.oflag &^= unix.OPOST
	tm.lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tm.cc[vMIN], tm.cc[vTIME] = 1, 0
	pp.setTermios(tm)

	fake := &fakeSessions{caller: Caller{PID: 7, PGID: 7, SID: 7}}
	pp.fs.SetSessions(fake)
	pp.write(pp.master, "\x03a\rb\x7f\x04")
	pp.expect(pp.slave, "\x03a\rb\x7f\x04")
	if _, err := pp.read(pp.master); err != unix.EAGAIN {
		t.Errorf("raw mode echoed: %v", err)
	}
	if s := fake.signals(); len(s) != 0 {
		t.Errorf("raw ^C raised %v", s)
	}
	// Going back to canonical keeps what was not read as a line.
	pp.write(pp.master, "zz")
	tm.lflag |= unix.ICANON
	pp.setTermios(tm)
	pp.expect(pp.slave, "zz")
}

func TestPtyVMinVTime(t *testing.T) {
	pp := openPair(t)
	tm := pp.termios()
	tm.lflag &^= unix.ICANON | unix.ECHO
	tm.cc[vMIN], tm.cc[vTIME] = 0, 0
	pp.setTermios(tm)
	buf := make([]byte, 8)
	if n, err := pp.slave.Read(nil, buf); n != 0 || err != nil {
		t.Errorf("VMIN 0 VTIME 0 read = %d, %v", n, err)
	}
	tm.cc[vTIME] = 1 // 0.1s
	pp.setTermios(tm)
	start := time.Now()
	if n, err := pp.slave.Read(nil, buf); n != 0 || err != nil || time.Since(start) < 80*time.Millisecond {
		t.Errorf("VTIME 1 read = %d, %v after %v", n, err, time.Since(start))
	}
	tm.cc[vMIN], tm.cc[vTIME] = 3, 0
	pp.setTermios(tm)
	go func() {
		for _, c := range "abc" {
			time.Sleep(10 * time.Millisecond)
			pp.master.Write(nil, []byte{byte(c)})
		}
	}()
	if n, err := pp.slave.Read(nil, buf); string(buf[:n]) != "abc" || err != nil {
		t.Errorf("VMIN 3 read = %q, %v", buf[:n], err)
	}
}

func TestPtyBlockingRead(t *testing.T) {
	pp := openPair(t)
	done := make(chan string)
	go func() {
		buf := make([]byte, 64)
		n, _ := pp.slave.Read(nil, buf)
		done <- string(buf[:n])
	}()
	time.Sleep(20 * time.Millisecond)
	e := vfs.NewEntry(vfs.EventIn)
	pp.master.EventRegister(e)
	defer pp.master.EventUnregister(e)
	if r := pp.master.Readiness(vfs.EventIn | vfs.EventOut); r != vfs.EventOut {
		t.Errorf("idle master readiness %#x", r)
	}
	pp.write(pp.master, "line\n")
	select {
	case got := <-done:
		if got != "line\n" {
			t.Errorf("blocked read got %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked slave read not woken")
	}
	select {
	case <-e.C:
	default:
		t.Error("echo did not notify the master's waiters")
	}
	if r := pp.master.Readiness(vfs.EventIn); r != vfs.EventIn {
		t.Errorf("master readiness after echo %#x", r)
	}

	// An interrupted read returns ERESTARTSYS.
	intr := make(chan struct{})
	close(intr)
	if _, err := pp.slave.Read(blocker(intr), make([]byte, 4)); err != vfs.ErrInterrupted {
		t.Errorf("interrupted read: %v", err)
	}
}

type blocker chan struct{}

func (b blocker) Interrupted() <-chan struct{} { return b }

func TestPtySlaveClose(t *testing.T) {
	pp := openPair(t)
	pp.write(pp.slave, "bye")
	pp.slave.DecRef()
	pp.slave = nil
	pp.expect(pp.master, "bye")
	if _, err := pp.read(pp.master); err != unix.EIO {
		t.Errorf("master read without a slave: %v, want EIO", err)
	}
	if r := pp.master.Readiness(vfs.EventIn | vfs.EventOut); r != vfs.EventOut|vfs.EventHup {
		t.Errorf("master readiness without a slave %#x", r)
	}
}

func TestPtyMasterClose(t *testing.T) {
	pp := openPair(t)
	name := fmt.Sprintf("/pts/%d", pp.n)
	pp.write(pp.master, "unread\n")
	pp.master.DecRef()
	pp.master = nil
	if got, err := pp.read(pp.slave); got != "" || err != nil {
		t.Errorf("hung-up slave read = %q, %v; want end of file", got, err)
	}
	if _, err := pp.slave.Write(nil, []byte("x")); err != unix.EIO {
		t.Errorf("hung-up slave write: %v, want EIO", err)
	}
	if _, err := pp.slave.Ioctl(nil, pp.mem, vfs.TCGETS, 0); err != unix.EIO {
		t.Errorf("hung-up TCGETS: %v, want EIO", err)
	}
	all := uint32(vfs.EventIn | vfs.EventOut | vfs.EventErr | vfs.EventHup)
	if r := pp.slave.Readiness(vfs.EventIn | vfs.EventOut); r != all {
		t.Errorf("hung-up slave readiness %#x", r)
	}
	if _, err := pp.v.StatAt(vfs.Root, pp.v.Root(), name, 0); err != unix.ENOENT {
		t.Errorf("stat %s after the master closed: %v", name, err)
	}
}

func TestPtyJobControl(t *testing.T) {
	pp := openPair(t)
	fake := &fakeSessions{caller: Caller{PID: 5, PGID: 6, SID: 9}}
	pp.fs.SetSessions(fake)
	// Not a session leader: EPERM; not the controlling tty: ENOTTY.
	if _, err := pp.slave.Ioctl(nil, pp.mem, vfs.TIOCSCTTY, 0); err != unix.EPERM {
		t.Errorf("TIOCSCTTY by a non-leader: %v", err)
	}
	if _, err := pp.slave.Ioctl(nil, pp.mem, vfs.TIOCGPGRP, 0); err != unix.ENOTTY {
		t.Errorf("TIOCGPGRP without a controlling tty: %v", err)
	}
	fake.caller = Caller{PID: 9, PGID: 9, SID: 9}
	if _, err := pp.slave.Ioctl(nil, pp.mem, vfs.TIOCSCTTY, 0); err != nil {
		t.Fatalf("TIOCSCTTY: %v", err)
	}
	if g := pp.ioctlGet(pp.slave, vfs.TIOCGPGRP); g != 9 {
		t.Errorf("TIOCGPGRP = %d", g)
	}
	if s := pp.ioctlGet(pp.slave, tiocgsid); s != 9 {
		t.Errorf("TIOCGSID = %d", s)
	}
	if err := pp.ioctlSet(pp.slave, vfs.TIOCSPGRP, 12); err != nil {
		t.Errorf("TIOCSPGRP: %v", err)
	}
	if g := pp.ioctlGet(pp.master, vfs.TIOCGPGRP); g != 12 {
		t.Errorf("TIOCGPGRP on the master = %d", g)
	}

	// ^C: SIGINT to the foreground group, echoed, the line flushed.
	pp.write(pp.master, "partial\x03")
	if s := fake.signals(); len(s) != 1 || s[0] != fmt.Sprintf("12:%d", unix.SIGINT) {
		t.Errorf("signals after ^C: %v", s)
	}
	pp.write(pp.master, "\n")
	pp.expect(pp.slave, "\n")
	pp.expect(pp.master, "partial^C\r\n")

	// TIOCSWINSZ: SIGWINCH when the size changes.
	ws := winsize{row: 24, col: 80}
	copy(pp.mem, ws.marshal())
	if _, err := pp.master.Ioctl(nil, pp.mem, vfs.TIOCSWINSZ, 0); err != nil {
		t.Fatal(err)
	}
	clear(pp.mem)
	pp.slave.Ioctl(nil, pp.mem, vfs.TIOCGWINSZ, 0)
	var got winsize
	got.unmarshal(pp.mem)
	if got != ws {
		t.Errorf("TIOCGWINSZ = %+v", got)
	}
	if s := fake.signals(); len(s) != 2 || s[1] != fmt.Sprintf("12:%d", unix.SIGWINCH) {
		t.Errorf("signals after TIOCSWINSZ: %v", s)
	}

	// /dev/tty is now this pty.
	tty, err := pp.v.OpenAt(vfs.Root, pp.v.Root(), "/tty", unix.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /dev/tty: %v", err)
	}
	pp.write(tty, "via tty\n")
	tty.DecRef()
	pp.expect(pp.master, "via tty\r\n")

	// Closing the master hangs up the session.
	pp.master.DecRef()
	pp.master = nil
	if s := fake.signals(); len(s) != 6 || s[2] != fmt.Sprintf("12:%d", unix.SIGHUP) || s[4] != fmt.Sprintf("9=%d", unix.SIGHUP) {
		t.Errorf("signals after hangup: %v", s)
	}
}

func TestPtsDirectory(t *testing.T) {
	pp := openPair(t)
	m2, err := pp.v.OpenAt(vfs.Root, pp.v.Root(), "/pts/ptmx", unix.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.DecRef()
	fd, err := pp.v.OpenAt(vfs.Root, pp.v.Root(), "/pts", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	var names []string
	fd.IterDirents(func(d vfs.Dirent) bool { names = append(names, d.Name); return true })
	if fmt.Sprint(names) != "[. .. 0 1 ptmx]" {
		t.Errorf("/dev/pts lists %v", names)
	}
	st, err := pp.v.StatAt(vfs.Root, pp.v.Root(), "/pts/0", 0)
	if err != nil || st.Mode != unix.S_IFCHR|0o620 || st.Rdev != unix.Mkdev(136, 0) || st.GID != 5 {
		t.Errorf("stat /dev/pts/0 = %+v, %v", st, err)
	}
	if st, err := pp.slave.Stat(); err != nil || st.Rdev != unix.Mkdev(136, 0) {
		t.Errorf("fstat of the slave = %+v, %v", st, err)
	}
	if st, err := pp.master.Stat(); err != nil || st.Rdev != unix.Mkdev(5, 2) {
		t.Errorf("fstat of the master = %+v, %v", st, err)
	}
}

func TestPtyTermios2(t *testing.T) {
	pp := openPair(t)
	if _, err := pp.master.Ioctl(nil, pp.mem, tcgets2, 0); err != nil {
		t.Fatal(err)
	}
	var tm termios
	tm.unmarshal(pp.mem[:termios2Size])
	if tm.ispeed != 38400 || tm.lflag != defaultTermios().lflag {
		t.Errorf("TCGETS2 = %+v", tm)
	}
}
