package vfs_test

import (
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
	"golang.org/x/sys/unix"
)

// lockTree returns a VFS on a memfs with the regular file /f.
func lockTree(t *testing.T) (*vfs.VFS, func(flags int) *vfs.FileDescription) {
	t.Helper()
	v, err := vfs.New(memfs.New(memfs.Options{Mode: 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	open := func(flags int) *vfs.FileDescription {
		t.Helper()
		fd, err := v.OpenAt(vfs.Root, v.Root(), "/f", flags|unix.O_CREAT, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fd.DecRef)
		return fd
	}
	return v, open
}

func TestFlock(t *testing.T) {
	_, open := lockTree(t)
	a, b := open(unix.O_RDWR), open(unix.O_RDONLY)
	wantErr(t, "a LOCK_SH", a.Flock(nil, unix.LOCK_SH), nil)
	wantErr(t, "b LOCK_SH", b.Flock(nil, unix.LOCK_SH|unix.LOCK_NB), nil)
	wantErr(t, "a LOCK_EX while b shares", a.Flock(nil, unix.LOCK_EX|unix.LOCK_NB), unix.EWOULDBLOCK)
	wantErr(t, "b LOCK_UN", b.Flock(nil, unix.LOCK_UN), nil)
	wantErr(t, "a LOCK_EX", a.Flock(nil, unix.LOCK_EX|unix.LOCK_NB), nil)
	wantErr(t, "bad op", a.Flock(nil, 0), unix.EINVAL)

	// A blocked LOCK_EX is interruptible, and gets the lock when it goes.
	intr := make(interrupter)
	done := make(chan error)
	go func() { done <- b.Flock(intr, unix.LOCK_EX) }()
	time.Sleep(20 * time.Millisecond)
	close(intr)
	wantErr(t, "interrupted wait", <-done, vfs.ErrInterrupted)
	go func() { done <- b.Flock(nil, unix.LOCK_EX) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("LOCK_EX did not wait: %v", err)
	default:
	}
	wantErr(t, "a LOCK_UN", a.Flock(nil, unix.LOCK_UN), nil)
	wantErr(t, "woken LOCK_EX", <-done, nil)
}

func TestFlockReleasedWithDescription(t *testing.T) {
	v, open := lockTree(t)
	a := open(unix.O_RDWR)
	c, err := v.OpenAt(vfs.Root, v.Root(), "/f", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "c LOCK_EX", c.Flock(nil, unix.LOCK_EX), nil)
	wantErr(t, "a conflicts", a.Flock(nil, unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK)
	c.DecRef()
	wantErr(t, "a after c's release", a.Flock(nil, unix.LOCK_SH|unix.LOCK_NB), nil)
}

func TestRecordLocks(t *testing.T) {
	_, open := lockTree(t)
	fd := open(unix.O_RDWR)
	p1, p2 := vfs.NewFDTable(16), vfs.NewFDTable(16)
	set := func(owner any, typ int16, start, length int64) error {
		return fd.SetRecordLock(nil, owner, vfs.RecordLock{Type: typ, Start: start, Len: length, PID: 1}, false)
	}
	get := func(owner any, typ int16, start, length int64) vfs.RecordLock {
		l, err := fd.GetRecordLock(owner, vfs.RecordLock{Type: typ, Start: start, Len: length})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	wantErr(t, "p1 write [0,10)", set(p1, vfs.WriteLock, 0, 10), nil)
	wantErr(t, "p1 read [20,EOF)", set(p1, vfs.ReadLock, 20, 0), nil)
	wantErr(t, "p2 read [5,6)", set(p2, vfs.ReadLock, 5, 1), unix.EAGAIN)
	wantErr(t, "p2 read [25,30)", set(p2, vfs.ReadLock, 25, 5), nil)
	wantErr(t, "p2 write [10,20)", set(p2, vfs.WriteLock, 10, 10), nil)
	wantErr(t, "p1 may relock its own range", set(p1, vfs.ReadLock, 0, 10), nil)
	if l := get(p2, vfs.WriteLock, 3, 1); l.Type != vfs.ReadLock || l.Start != 0 || l.Len != 10 || l.PID != 1 {
		t.Errorf("GETLK: %+v", l)
	}
	if l := get(p1, vfs.WriteLock, 0, 10); l.Type != vfs.UnlockLock {
		t.Errorf("GETLK of own locks: %+v", l)
	}
	// Unlocking the middle splits p1's lock.
	wantErr(t, "p1 unlock [4,6)", set(p1, vfs.UnlockLock, 4, 2), nil)
	wantErr(t, "p2 write [4,6)", set(p2, vfs.WriteLock, 4, 2), nil)
	wantErr(t, "p2 write [3,4)", set(p2, vfs.WriteLock, 3, 1), unix.EAGAIN)
	// Negative lengths lock before start.
	if l := get(p2, vfs.WriteLock, 10, -3); l.Type != vfs.ReadLock || l.Start != 6 {
		t.Errorf("GETLK with negative length: %+v", l)
	}
	wantErr(t, "range before 0", set(p1, vfs.ReadLock, 2, -5), unix.EINVAL)
	// Closing any descriptor of the file releases the owner's locks.
	fd.ReleasePOSIXLocks(p1)
	wantErr(t, "p2 write [0,4) after release", set(p2, vfs.WriteLock, 0, 4), nil)
	// Read lock on a write-only description is EBADF.
	wo := open(unix.O_WRONLY)
	wantErr(t, "read lock on O_WRONLY", wo.SetRecordLock(nil, p1, vfs.RecordLock{Type: vfs.ReadLock, Len: 1}, false), unix.EBADF)
}

func TestRecordLockWaitAndDeadlock(t *testing.T) {
	_, open := lockTree(t)
	fd := open(unix.O_RDWR)
	p1, p2 := vfs.NewFDTable(16), vfs.NewFDTable(16)
	lock := func(owner any, start int64, wait bool) error {
		return fd.SetRecordLock(nil, owner, vfs.RecordLock{Type: vfs.WriteLock, Start: start, Len: 1}, wait)
	}
	wantErr(t, "p1 [0]", lock(p1, 0, false), nil)
	wantErr(t, "p2 [1]", lock(p2, 1, false), nil)
	done := make(chan error)
	go func() { done <- lock(p2, 0, true) }() // p2 waits for p1
	time.Sleep(20 * time.Millisecond)
	wantErr(t, "p1 waiting for p2 deadlocks", lock(p1, 1, true), unix.EDEADLK)
	fd.ReleasePOSIXLocks(p1)
	wantErr(t, "p2's wait ends", <-done, nil)

	// OFD locks belong to the description.
	a, b := open(unix.O_RDWR), open(unix.O_RDWR)
	ofd := func(f *vfs.FileDescription, wait bool) error {
		return f.SetRecordLock(nil, f, vfs.RecordLock{Type: vfs.WriteLock, Start: 100, Len: 1}, wait)
	}
	wantErr(t, "a OFD", ofd(a, false), nil)
	wantErr(t, "b OFD conflicts", ofd(b, false), unix.EAGAIN)
	intr := make(interrupter)
	go func() {
		done <- b.SetRecordLock(intr, b, vfs.RecordLock{Type: vfs.WriteLock, Start: 100, Len: 1}, true)
	}()
	time.Sleep(20 * time.Millisecond)
	close(intr)
	wantErr(t, "interrupted SETLKW", <-done, vfs.ErrInterrupted)
}

func TestFDTableCloseReleasesPOSIXLocks(t *testing.T) {
	_, open := lockTree(t)
	fd := open(unix.O_RDWR)
	other := open(unix.O_RDWR)
	tab := vfs.NewFDTable(16)
	n, err := tab.New(fd, false)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tab.New(other, false)
	wantErr(t, "lock", fd.SetRecordLock(nil, tab, vfs.RecordLock{Type: vfs.WriteLock, Len: 0}, false), nil)
	p2 := vfs.NewFDTable(16)
	wantErr(t, "conflict", fd.SetRecordLock(nil, p2, vfs.RecordLock{Type: vfs.WriteLock, Len: 1}, false), unix.EAGAIN)
	// Closing another descriptor of the same file drops the lock.
	f, err := tab.Remove(m)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef()
	wantErr(t, "after close", fd.SetRecordLock(nil, p2, vfs.RecordLock{Type: vfs.WriteLock, Len: 1}, false), nil)
	tab.RemoveAll()
	_ = n
}
