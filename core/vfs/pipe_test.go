package vfs_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// interrupter is a Blocker the test fires.
type interrupter chan struct{}

func (i interrupter) Interrupted() <-chan struct{} { return i }

func TestPipeEOF(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer r.DecRef()
	if n, err := w.Write(nil, []byte("abc")); n != 3 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	w.DecRef()
	buf := make([]byte, 10)
	if n, err := r.Read(nil, buf); n != 3 || err != nil || string(buf[:3]) != "abc" {
		t.Fatalf("read = %d %q, %v", n, buf[:n], err)
	}
	if n, err := r.Read(nil, buf); n != 0 || err != nil {
		t.Fatalf("read after writer closed = %d, %v; want EOF", n, err)
	}
	if got := r.Readiness(vfs.EventIn); got&vfs.EventHup == 0 {
		t.Errorf("readiness without writers = %#x, want POLLHUP", got)
	}
}

func TestPipeEPIPE(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer w.DecRef()
	r.DecRef()
	if _, err := w.Write(nil, []byte("x")); err != unix.EPIPE {
		t.Fatalf("write without readers: %v, want EPIPE", err)
	}
	if got := w.Readiness(vfs.EventOut); got&vfs.EventErr == 0 {
		t.Errorf("readiness without readers = %#x, want POLLERR", got)
	}
}

func TestPipeNonblocking(t *testing.T) {
	r, w := vfs.NewPipe(unix.O_NONBLOCK)
	defer r.DecRef()
	defer w.DecRef()
	buf := make([]byte, 10)
	if _, err := r.Read(nil, buf); err != unix.EAGAIN {
		t.Fatalf("empty non-blocking read: %v", err)
	}
	big := make([]byte, vfs.PipeSize+100)
	n, err := w.Write(nil, big)
	if n != vfs.PipeSize || err != nil {
		t.Fatalf("filling write = %d, %v", n, err)
	}
	if _, err := w.Write(nil, []byte("x")); err != unix.EAGAIN {
		t.Fatalf("write to full pipe: %v", err)
	}
	if w.Readiness(vfs.EventOut) != 0 {
		t.Error("full pipe reports POLLOUT")
	}
	// Free 100 bytes: an atomic write of 200 must not go in partially.
	r.Read(nil, make([]byte, 100))
	if _, err := w.Write(nil, make([]byte, 200)); err != unix.EAGAIN {
		t.Fatalf("atomic write without room: %v", err)
	}
	if n, err := w.Write(nil, make([]byte, 100)); n != 100 || err != nil {
		t.Fatalf("write that fits = %d, %v", n, err)
	}
	if _, err := w.Seek(0, unix.SEEK_SET); err != unix.ESPIPE {
		t.Errorf("seek on pipe: %v", err)
	}
	st, err := r.Stat()
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("pipe stat = %+v, %v", st, err)
	}
}

func TestPipeBlockingAndInterrupt(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer r.DecRef()
	defer w.DecRef()

	// A blocked reader wakes for data.
	done := make(chan string)
	go func() {
		buf := make([]byte, 10)
		n, _ := r.Read(nil, buf)
		done <- string(buf[:n])
	}()
	time.Sleep(20 * time.Millisecond)
	w.Write(nil, []byte("wake"))
	if got := <-done; got != "wake" {
		t.Fatalf("blocked read got %q", got)
	}

	// A blocked reader is interrupted.
	intr := make(interrupter)
	errc := make(chan error)
	go func() {
		_, err := r.Read(intr, make([]byte, 10))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(intr)
	if err := <-errc; err != vfs.ErrInterrupted {
		t.Fatalf("interrupted read: %v, want ERESTARTSYS", err)
	}

	// A writer blocked on a full pipe is interrupted after a partial
	// write and reports the bytes written.
	intr2 := make(interrupter)
	nc := make(chan int)
	go func() {
		n, _ := w.Write(intr2, make([]byte, vfs.PipeSize+10))
		nc <- n
	}()
	time.Sleep(20 * time.Millisecond)
	close(intr2)
	if n := <-nc; n != vfs.PipeSize {
		t.Fatalf("interrupted big write returned %d, want %d", n, vfs.PipeSize)
	}
}

func TestPipeConcurrentAtomicWrites(t *testing.T) {
	r, w := vfs.NewPipe(0)
	const writers, each, size = 4, 50, vfs.PipeBuf
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(c byte) {
			defer wg.Done()
			msg := bytes.Repeat([]byte{c}, size)
			for j := 0; j < each; j++ {
				if n, err := w.Write(nil, msg); n != size || err != nil {
					t.Errorf("write = %d, %v", n, err)
				}
			}
		}(byte('a' + i))
	}
	go func() { wg.Wait(); w.DecRef() }()
	var all []byte
	buf := make([]byte, 3000)
	for {
		n, err := r.Read(nil, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		all = append(all, buf[:n]...)
	}
	r.DecRef()
	if len(all) != writers*each*size {
		t.Fatalf("read %d bytes, want %d", len(all), writers*each*size)
	}
	for i := 0; i < len(all); i += size {
		if !bytes.Equal(all[i:i+size], bytes.Repeat(all[i:i+1], size)) {
			t.Fatalf("write at %d interleaved", i)
		}
	}
}

func TestPipeWaitable(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer r.DecRef()
	defer w.DecRef()
	e := vfs.NewEntry(vfs.EventIn)
	r.EventRegister(e)
	defer r.EventUnregister(e)
	w.Write(nil, []byte("x"))
	select {
	case <-e.C:
	case <-time.After(time.Second):
		t.Fatal("no readiness notification")
	}
	if r.Readiness(vfs.EventIn) != vfs.EventIn {
		t.Error("not readable")
	}
}
