package dev

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func newVFS(t *testing.T) (*vfs.VFS, *FS) {
	t.Helper()
	fs := New()
	v, err := vfs.New(fs)
	if err != nil {
		t.Fatal(err)
	}
	return v, fs
}

func TestDevices(t *testing.T) {
	v, _ := newVFS(t)
	open := func(path string, flags int) *vfs.FileDescription {
		t.Helper()
		fd, err := v.OpenAt(vfs.Root, v.Root(), path, flags, 0)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		t.Cleanup(fd.DecRef)
		return fd
	}
	buf := []byte{1, 2, 3, 4}
	if n, err := open("/null", unix.O_RDWR|unix.O_TRUNC).Read(nil, buf); n != 0 || err != nil {
		t.Errorf("read /dev/null = %d, %v", n, err)
	}
	if n, err := open("/null", unix.O_WRONLY).Write(nil, buf); n != 4 || err != nil {
		t.Errorf("write /dev/null = %d, %v", n, err)
	}
	if n, _ := open("/zero", unix.O_RDONLY).Read(nil, buf); n != 4 || buf[0] != 0 || buf[3] != 0 {
		t.Errorf("read /dev/zero = %d %v", n, buf)
	}
	if _, err := open("/full", unix.O_WRONLY).Write(nil, buf); err != unix.ENOSPC {
		t.Errorf("write /dev/full: %v", err)
	}
	big := make([]byte, 64)
	if n, _ := open("/urandom", unix.O_RDONLY).Read(nil, big); n != 64 {
		t.Errorf("read /dev/urandom = %d", n)
	}
	st, err := v.StatAt(vfs.Root, v.Root(), "/null", 0)
	if err != nil || st.Mode != unix.S_IFCHR|0o666 || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("stat /dev/null = %+v, %v", st, err)
	}
	if s, err := v.Readlink(vfs.Root, v.Root(), "/stdout"); s != "/proc/self/fd/1" || err != nil {
		t.Errorf("readlink /dev/stdout = %q, %v", s, err)
	}
	if err := v.Mknod(vfs.Root, v.Root(), "/x", 0o644, 0); err != unix.EPERM {
		t.Errorf("create in /dev: %v", err)
	}
	if err := v.Chmod(vfs.Root, v.Root(), "/null", 0o600, 0); err != nil {
		t.Errorf("chmod /dev/null: %v", err)
	}
	fd := open("/", unix.O_RDONLY|unix.O_DIRECTORY)
	count := 0
	fd.IterDirents(func(vfs.Dirent) bool { count++; return true })
	if count != 15 {
		t.Errorf("/dev has %d entries with . and ..", count)
	}
}

func TestTTY(t *testing.T) {
	v, fs := newVFS(t)
	fs.hostTTY = func() (int, bool) { return -1, false }
	if _, err := v.OpenAt(vfs.Root, v.Root(), "/tty", unix.O_RDWR, 0); err != unix.ENXIO {
		t.Errorf("open /dev/tty without a terminal: %v, want ENXIO", err)
	}
	// Any host fd stands in for the terminal.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	fs.hostTTY = func() (int, bool) { return p[1], true }
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/tty", unix.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	if n, err := fd.Write(nil, []byte("hi")); n != 2 || err != nil {
		t.Errorf("write to tty = %d, %v", n, err)
	}
	got := make([]byte, 2)
	unix.Read(p[0], got)
	if string(got) != "hi" {
		t.Errorf("host got %q", got)
	}
}
