package vfs_test

import (
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
	"golang.org/x/sys/unix"
)

// fifoTree returns a VFS on a memfs with the FIFO /p.
func fifoTree(t *testing.T) (*vfs.VFS, func(b vfs.Blocker, flags int) (*vfs.FileDescription, error)) {
	t.Helper()
	v, err := vfs.New(memfs.New(memfs.Options{Mode: 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Mknod(vfs.Root, v.Root(), "/p", unix.S_IFIFO|0o644, 0); err != nil {
		t.Fatal(err)
	}
	return v, func(b vfs.Blocker, flags int) (*vfs.FileDescription, error) {
		return v.OpenAtBlocking(b, vfs.Root, v.Root(), "/p", flags, 0)
	}
}

func TestFIFONonblockingOpen(t *testing.T) {
	_, open := fifoTree(t)
	_, err := open(nil, unix.O_WRONLY|unix.O_NONBLOCK)
	wantErr(t, "writer without reader", err, unix.ENXIO)
	r, err := open(nil, unix.O_RDONLY|unix.O_NONBLOCK)
	wantErr(t, "nonblocking reader", err, nil)
	defer r.DecRef()
	buf := make([]byte, 8)
	if n, err := r.Read(nil, buf); n != 0 || err != nil {
		t.Errorf("read without writer: %d, %v; want end of file", n, err)
	}
	w, err := open(nil, unix.O_WRONLY|unix.O_NONBLOCK)
	wantErr(t, "writer with reader", err, nil)
	defer w.DecRef()
	if _, err := w.Write(nil, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.Read(nil, buf); string(buf[:n]) != "abc" {
		t.Errorf("read %q", buf[:n])
	}
	if st, err := r.Stat(); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("stat: %+v %v", st, err)
	}
}

func TestFIFOBlockingOpen(t *testing.T) {
	_, open := fifoTree(t)
	type res struct {
		fd  *vfs.FileDescription
		err error
	}
	// A reader waits for a writer.
	got := make(chan res)
	go func() {
		fd, err := open(nil, unix.O_RDONLY)
		got <- res{fd, err}
	}()
	select {
	case r := <-got:
		t.Fatalf("reader did not wait: %v", r.err)
	case <-time.After(20 * time.Millisecond):
	}
	w, err := open(nil, unix.O_WRONLY)
	wantErr(t, "writer", err, nil)
	r := <-got
	wantErr(t, "reader", r.err, nil)
	w.Write(nil, []byte("x"))
	buf := make([]byte, 4)
	if n, _ := r.fd.Read(nil, buf); n != 1 {
		t.Errorf("read %d bytes", n)
	}
	r.fd.DecRef()
	w.DecRef()

	// A writer waits for a reader, and an interrupted wait leaves no end
	// open behind it.
	intr := make(interrupter)
	go func() {
		fd, err := open(intr, unix.O_WRONLY)
		got <- res{fd, err}
	}()
	time.Sleep(20 * time.Millisecond)
	close(intr)
	wantErr(t, "interrupted writer", (<-got).err, vfs.ErrInterrupted)
	_, err = open(nil, unix.O_WRONLY|unix.O_NONBLOCK)
	wantErr(t, "no writer left behind, no reader", err, unix.ENXIO)

	// O_RDWR never waits.
	rw, err := open(nil, unix.O_RDWR)
	wantErr(t, "O_RDWR", err, nil)
	rw.Write(nil, []byte("self"))
	if n, _ := rw.Read(nil, buf); string(buf[:n]) != "self" {
		t.Errorf("O_RDWR read %q", buf[:n])
	}
	rw.DecRef()
}

func TestFIFODataDiscardedWhenClosed(t *testing.T) {
	_, open := fifoTree(t)
	rw, _ := open(nil, unix.O_RDWR)
	rw.Write(nil, []byte("stale"))
	rw.DecRef()
	r, err := open(nil, unix.O_RDONLY|unix.O_NONBLOCK)
	wantErr(t, "reopen", err, nil)
	defer r.DecRef()
	if n, err := r.Read(nil, make([]byte, 8)); n != 0 || err != nil {
		t.Errorf("read after last close: %d, %v; want the pipe emptied", n, err)
	}
}
