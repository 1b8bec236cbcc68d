package vfs_test

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// countingFile counts releases.
type countingFile struct{ released *int }

func (f countingFile) Read(vfs.Blocker, []byte, int64) (int, error)  { return 0, nil }
func (f countingFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, nil }
func (f countingFile) Stat() (vfs.Stat, error)                       { return vfs.Stat{}, nil }
func (f countingFile) Release()                                      { *f.released++ }

func newCounting() (*vfs.FileDescription, *int) {
	n := new(int)
	return vfs.NewDescription(countingFile{n}, vfs.DescriptionOptions{Flags: unix.O_RDWR}), n
}

func TestFDTable(t *testing.T) {
	tab := vfs.NewFDTable(4)
	f, released := newCounting()
	for want := 0; want < 4; want++ {
		fd, err := tab.New(f, want == 1)
		if err != nil || fd != want {
			t.Fatalf("New = %d, %v; want %d", fd, err, want)
		}
	}
	if _, err := tab.New(f, false); err != unix.EMFILE {
		t.Fatalf("New past the limit: %v, want EMFILE", err)
	}
	// Close 2: the lowest free descriptor is reused.
	old, err := tab.Remove(2)
	if err != nil {
		t.Fatal(err)
	}
	old.DecRef()
	if fd, _ := tab.New(f, false); fd != 2 {
		t.Errorf("New after close(2) = %d", fd)
	}
	if _, err := tab.Remove(7); err != unix.EBADF {
		t.Errorf("Remove(7): %v", err)
	}

	// dup2 over an open descriptor returns the replaced description.
	g, gReleased := newCounting()
	replaced, err := tab.NewAt(3, g, true)
	if err != nil || replaced != f {
		t.Fatalf("NewAt(3) replaced %v, %v", replaced, err)
	}
	replaced.DecRef()
	g.DecRef() // the table holds it now
	if _, err := tab.NewAt(4, g, false); err != unix.EBADF {
		t.Errorf("NewAt past the limit: %v, want EBADF", err)
	}
	got, cloexec, err := tab.Get(3)
	if err != nil || got != g || !cloexec {
		t.Errorf("Get(3) = %v, %v, %v", got, cloexec, err)
	}
	got.DecRef()

	// fork shares descriptions; exec closes cloexec ones in one table only.
	child := tab.Fork()
	tab.CloseOnExec()
	if fds := tab.FDs(); len(fds) != 2 || fds[0] != 0 || fds[1] != 2 {
		t.Errorf("after CloseOnExec: %v", tab.FDs())
	}
	if len(child.FDs()) != 4 {
		t.Errorf("child lost descriptors: %v", child.FDs())
	}
	if *gReleased != 0 {
		t.Error("description released while the child still maps it")
	}
	child.RemoveAll()
	if *gReleased != 1 {
		t.Errorf("g released %d times after the child exited", *gReleased)
	}
	tab.RemoveAll()
	f.DecRef() // the creation reference
	if *released != 1 {
		t.Errorf("f released %d times", *released)
	}
	if err := tab.SetCloseOnExec(0, true); err != unix.EBADF {
		t.Errorf("SetCloseOnExec on closed fd: %v", err)
	}
	tab2 := vfs.NewFDTable(100)
	h, _ := newCounting()
	if fd, err := tab2.NewFrom(10, h, false); fd != 10 || err != nil {
		t.Errorf("NewFrom(10) = %d, %v", fd, err)
	}
	if _, err := tab2.NewFrom(100, h, false); err != unix.EINVAL {
		t.Errorf("NewFrom(limit): %v", err)
	}
}

func TestStatusFlags(t *testing.T) {
	f, _ := newCounting()
	f.SetStatusFlags(unix.O_NONBLOCK | unix.O_APPEND | unix.O_WRONLY)
	got := f.StatusFlags()
	if got&unix.O_ACCMODE != unix.O_RDWR || got&unix.O_NONBLOCK == 0 || got&unix.O_APPEND == 0 {
		t.Errorf("status flags %#x", got)
	}
}
