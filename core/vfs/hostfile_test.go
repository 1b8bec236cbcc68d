package vfs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// fakeMemory is a UserMemory of one buffer at address 0x1000.
type fakeMemory struct{ buf []byte }

func (m *fakeMemory) CopyIn(addr uintptr, dst []byte) (int, error) {
	return copy(dst, m.buf[addr-0x1000:]), nil
}

func (m *fakeMemory) CopyOut(addr uintptr, src []byte) (int, error) {
	return copy(m.buf[addr-0x1000:], src), nil
}

func hostPipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

func TestHostFile(t *testing.T) {
	hr, hw := hostPipe(t)
	r, err := vfs.ImportHostFD(hr, vfs.HostFileOptions{Flags: unix.O_RDONLY})
	if err != nil {
		t.Fatal(err)
	}
	defer r.DecRef()
	w, err := vfs.ImportHostFD(hw, vfs.HostFileOptions{Flags: unix.O_WRONLY})
	if err != nil {
		t.Fatal(err)
	}
	defer w.DecRef()
	if n, err := w.Write(nil, []byte("hi")); n != 2 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	mem := &fakeMemory{buf: make([]byte, 64)}
	if _, err := r.Ioctl(nil, mem, vfs.FIONREAD, 0x1000); err != nil || mem.buf[0] != 2 {
		t.Errorf("FIONREAD = %d, %v", mem.buf[0], err)
	}
	if _, err := r.Ioctl(nil, mem, vfs.TCGETS, 0x1000); err != unix.ENOTTY {
		t.Errorf("TCGETS on a pipe: %v", err)
	}
	if r.Readiness(vfs.EventIn) != vfs.EventIn {
		t.Error("host pipe with data not readable")
	}
	buf := make([]byte, 10)
	if n, err := r.Read(nil, buf); string(buf[:n]) != "hi" || err != nil {
		t.Fatalf("read = %q, %v", buf[:n], err)
	}
	intr := make(interrupter)
	errc := make(chan error)
	go func() {
		_, err := r.Read(intr, buf)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(intr)
	select {
	case err := <-errc:
		if err != vfs.ErrInterrupted {
			t.Errorf("interrupted host read: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("host read not interrupted")
	}
	r.SetStatusFlags(unix.O_NONBLOCK)
	if _, err := r.Read(nil, buf); err != unix.EAGAIN {
		t.Errorf("non-blocking empty read: %v", err)
	}
	e := vfs.NewEntry(vfs.EventIn)
	r.EventRegister(e)
	unix.Write(hw, []byte("x"))
	select {
	case <-e.C:
	case <-time.After(2 * time.Second):
		t.Error("no readiness notification from host fd")
	}
	r.EventUnregister(e)
}

type fixedJobControl struct{ pgid int32 }

func (j *fixedJobControl) ForegroundPgrp() (int32, error)  { return j.pgid, nil }
func (j *fixedJobControl) SetForegroundPgrp(p int32) error { j.pgid = p; return nil }
func (j *fixedJobControl) Session() int32                  { return 1 }

// backgroundTask is a Blocker that is a task of session sid for job
// control, which the kernel would stop: it records the signal asked for.
type backgroundTask struct {
	sid  int32
	sigs []int
}

func (b *backgroundTask) Interrupted() <-chan struct{} { return nil }
func (b *backgroundTask) SessionID() int32             { return b.sid }
func (b *backgroundTask) ProcessGroupID() int32        { return 99 }
func (b *backgroundTask) TerminalAccess(fg int32, sig int) error {
	b.sigs = append(b.sigs, sig)
	return unix.EIO
}

func TestHostTerminal(t *testing.T) {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		t.Skip(err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		t.Skip(err)
	}
	slave, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip(err)
	}
	defer unix.Close(slave)
	unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, &unix.Winsize{Row: 42, Col: 99})

	tty, err := vfs.ImportHostFD(slave, vfs.HostFileOptions{Flags: unix.O_RDWR})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.DecRef()
	if !vfs.IsTerminal(tty) {
		t.Fatal("pty slave not a terminal")
	}
	mem := &fakeMemory{buf: make([]byte, 64)}
	if _, err := tty.Ioctl(nil, mem, vfs.TIOCGWINSZ, 0x1000); err != nil || mem.buf[0] != 42 || mem.buf[2] != 99 {
		t.Errorf("TIOCGWINSZ = %v, %v", mem.buf[:4], err)
	}
	if _, err := tty.Ioctl(nil, mem, vfs.TCGETS, 0x1000); err != nil {
		t.Errorf("TCGETS: %v", err)
	}
	if _, err := tty.Ioctl(nil, mem, vfs.TCSETS, 0x1000); err != nil {
		t.Errorf("TCSETS with what TCGETS returned: %v", err)
	}
	vfs.SetJobControl(&fixedJobControl{pgid: 7})
	defer vfs.SetJobControl(nil)
	// Job control: a read of the terminal by a task of its session asks
	// the kernel (SIGTTIN); one of another session does not.
	bg := &backgroundTask{sid: 1}
	if _, err := tty.Read(bg, make([]byte, 1)); err != unix.EIO || len(bg.sigs) != 1 || bg.sigs[0] != int(unix.SIGTTIN) {
		t.Errorf("background read: %v, signals %v", err, bg.sigs)
	}
	other := &backgroundTask{sid: 5}
	unix.Write(master, []byte("x\n"))
	if _, err := tty.Read(other, make([]byte, 4)); err != nil || len(other.sigs) != 0 {
		t.Errorf("read by another session: %v, signals %v", err, other.sigs)
	}
	if _, err := tty.Ioctl(nil, mem, vfs.TIOCGPGRP, 0x1000); err != nil || mem.buf[0] != 7 {
		t.Errorf("TIOCGPGRP = %d, %v", mem.buf[0], err)
	}
	mem.buf[0] = 9
	if _, err := tty.Ioctl(nil, mem, vfs.TIOCSPGRP, 0x1000); err != nil {
		t.Errorf("TIOCSPGRP: %v", err)
	}
	if _, err := tty.Ioctl(nil, mem, 0x5401+0x100, 0x1000); err != unix.ENOTTY {
		t.Errorf("unknown ioctl: %v", err)
	}
	unix.Write(master, []byte("typed\n"))
	buf := make([]byte, 16)
	if n, err := tty.Read(nil, buf); err != nil || string(buf[:n]) != "typed\n" {
		t.Errorf("tty read = %q, %v", buf[:n], err)
	}
}

// TestHostRegularFileSharesOffset checks that an imported regular file
// (Ward's stdout redirected to a file) reads, writes and seeks at the
// offset it shares with the host descriptor, as an inherited descriptor
// does, so output around Ward's own is neither overwritten nor lost.
func TestHostRegularFileSharesOffset(t *testing.T) {
	path := t.TempDir() + "/out"
	hfd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(hfd)
	unix.Write(hfd, []byte("before\n"))
	f, err := vfs.ImportHostFD(hfd, vfs.HostFileOptions{Flags: unix.O_RDWR})
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	if n, err := f.Write(nil, []byte("inside\n")); n != 7 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	unix.Write(hfd, []byte("after\n"))
	if off, err := f.Seek(0, unix.SEEK_CUR); off != 20 || err != nil {
		t.Errorf("lseek(SEEK_CUR) = %d, %v; want 20, the host's offset", off, err)
	}
	if off, err := f.Seek(7, unix.SEEK_SET); off != 7 || err != nil {
		t.Fatalf("lseek(7) = %d, %v", off, err)
	}
	buf := make([]byte, 7)
	if n, err := f.Read(nil, buf); string(buf[:n]) != "inside\n" || err != nil {
		t.Errorf("read = %q, %v", buf[:n], err)
	}
	if off, _ := unix.Seek(hfd, 0, unix.SEEK_CUR); off != 14 {
		t.Errorf("host offset after the sandbox's read = %d, want 14", off)
	}
	if n, err := f.ReadAt(nil, buf[:6], 0); string(buf[:n]) != "before" || err != nil {
		t.Errorf("pread = %q, %v", buf[:n], err)
	}
	got := make([]byte, 64)
	n, _ := unix.Pread(hfd, got, 0)
	if string(got[:n]) != "before\ninside\nafter\n" {
		t.Errorf("file = %q", got[:n])
	}
}
