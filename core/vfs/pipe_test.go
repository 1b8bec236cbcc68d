package vfs_test

import (
	"bytes"
	"fmt"
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

// pattern returns n bytes of a stream that does not repeat with a period
// of PipeSize or any of its divisors, starting at byte off of the stream.
func pattern(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		x := uint32(off + i)
		b[i] = byte(x ^ x>>8 ^ x>>17)
	}
	return b
}

// fionread returns the bytes buffered in the pipe, as FIONREAD reports.
func fionread(t *testing.T, f *vfs.FileDescription) int {
	t.Helper()
	mem := &fakeMemory{buf: make([]byte, 4)}
	if _, err := f.Ioctl(nil, mem, vfs.FIONREAD, 0x1000); err != nil {
		t.Fatalf("FIONREAD: %v", err)
	}
	return int(mem.buf[0]) | int(mem.buf[1])<<8 | int(mem.buf[2])<<16 | int(mem.buf[3])<<24
}

// TestPipeStream passes a byte stream through a pipe in writes and reads
// of odd sizes, so that the buffer wraps around at every position, and
// checks that it comes out whole and in order.
func TestPipeStream(t *testing.T) {
	r, w := vfs.NewPipe(0)
	total := 6 << 20
	if testing.Short() {
		total = 1 << 20
	}
	writes := []int{1, 7, vfs.PipeBuf - 1, vfs.PipeBuf, vfs.PipeBuf + 1, 333, vfs.PipeSize - 1, vfs.PipeSize, vfs.PipeSize + 1, 100000, 12345}
	reads := []int{13, vfs.PipeSize, 1, 5000, vfs.PipeSize + 7, 4096, 77777, 2}
	errc := make(chan error, 1)
	go func() {
		defer w.DecRef()
		src := pattern(0, total)
		for i, off := 0, 0; off < total; i++ {
			n := min(writes[i%len(writes)], total-off)
			// A blocking write moves all of it, however it is split.
			got, err := w.Write(nil, src[off:off+n])
			if err != nil || got != n {
				errc <- fmt.Errorf("write %d at %d = %d, %v", n, off, got, err)
				return
			}
			off += n
		}
		errc <- nil
	}()
	defer r.DecRef()
	buf := make([]byte, 100000)
	off := 0
	for i := 0; ; i++ {
		n, err := r.Read(nil, buf[:reads[i%len(reads)]])
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if n == 0 {
			break
		}
		if want := pattern(off, n); !bytes.Equal(buf[:n], want) {
			t.Fatalf("read %d bytes at %d: stream differs", n, off)
		}
		off += n
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if off != total {
		t.Fatalf("read %d bytes, want %d", off, total)
	}
}

// TestPipeFullAndEmpty walks a non-blocking pipe between its edges with the
// buffer's start in the middle, checking contents, sizes and readiness.
func TestPipeFullAndEmpty(t *testing.T) {
	r, w := vfs.NewPipe(unix.O_NONBLOCK)
	defer r.DecRef()
	defer w.DecRef()
	check := func(step string, size int) {
		t.Helper()
		if got := fionread(t, r); got != size {
			t.Errorf("%s: FIONREAD = %d, want %d", step, got, size)
		}
		if st, err := r.Stat(); err != nil || st.Size != int64(size) {
			t.Errorf("%s: stat size = %d, %v; want %d", step, st.Size, err, size)
		}
		var wantR, wantW uint32
		if size > 0 {
			wantR = vfs.EventIn
		}
		if size < vfs.PipeSize {
			wantW = vfs.EventOut
		}
		if got := r.Readiness(vfs.EventIn | vfs.EventOut); got != wantR {
			t.Errorf("%s: read end readiness = %#x, want %#x", step, got, wantR)
		}
		if got := w.Readiness(vfs.EventIn | vfs.EventOut); got != wantW {
			t.Errorf("%s: write end readiness = %#x, want %#x", step, got, wantW)
		}
	}
	write := func(off, n, want int) {
		t.Helper()
		got, err := w.Write(nil, pattern(off, n))
		if want == 0 {
			if err != unix.EAGAIN {
				t.Fatalf("write %d = %d, %v; want EAGAIN", n, got, err)
			}
			return
		}
		if got != want || err != nil {
			t.Fatalf("write %d = %d, %v; want %d", n, got, err, want)
		}
	}
	read := func(off, n, want int) {
		t.Helper()
		buf := make([]byte, n)
		got, err := r.Read(nil, buf)
		if want == 0 {
			if err != unix.EAGAIN {
				t.Fatalf("read %d = %d, %v; want EAGAIN", n, got, err)
			}
			return
		}
		if got != want || err != nil {
			t.Fatalf("read %d = %d, %v; want %d", n, got, err, want)
		}
		if !bytes.Equal(buf[:got], pattern(off, got)) {
			t.Fatalf("read %d at %d: wrong bytes", got, off)
		}
	}

	check("new", 0)
	read(0, 10, 0)
	write(0, 100, 100)
	read(0, 60, 60)
	check("start moved", 40)
	// Fill up to the byte: the data now wraps around the end.
	write(100, vfs.PipeSize, vfs.PipeSize-40)
	check("full", vfs.PipeSize)
	write(0, 1, 0)
	write(0, vfs.PipeBuf+1, 0)
	if n, err := w.Write(nil, nil); n != 0 || err != nil {
		t.Fatalf("empty write to a full pipe = %d, %v; want 0", n, err)
	}
	// One byte free: one byte fits, an atomic two do not.
	read(60, 1, 1)
	check("one free", vfs.PipeSize-1)
	write(0, 2, 0)
	write(vfs.PipeSize+60, 1, 1)
	check("full again", vfs.PipeSize)
	// Drain in one read across the wrap.
	read(61, 2*vfs.PipeSize, vfs.PipeSize)
	check("drained", 0)
	read(0, 10, 0)
	// A drained pipe takes a full buffer in one write and gives it back
	// in one read.
	write(7, vfs.PipeSize+1, vfs.PipeSize)
	check("full from empty", vfs.PipeSize)
	read(7, vfs.PipeSize, vfs.PipeSize)
	check("empty again", 0)
}

// TestPipeAtomicBlockingWrite checks that a blocked write of at most
// PIPE_BUF bytes goes in only once all of it fits.
func TestPipeAtomicBlockingWrite(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer r.DecRef()
	defer w.DecRef()
	if n, err := w.Write(nil, pattern(0, vfs.PipeSize-100)); n != vfs.PipeSize-100 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	done := make(chan int)
	go func() {
		n, _ := w.Write(nil, pattern(vfs.PipeSize-100, 300))
		done <- n
	}()
	time.Sleep(20 * time.Millisecond)
	if got := fionread(t, r); got != vfs.PipeSize-100 {
		t.Fatalf("atomic write split: %d bytes buffered, want %d", got, vfs.PipeSize-100)
	}
	// 250 bytes free: still not enough.
	read := func(off, n int) {
		t.Helper()
		buf := make([]byte, n)
		if got, err := r.Read(nil, buf); got != n || err != nil || !bytes.Equal(buf, pattern(off, n)) {
			t.Fatalf("read %d at %d = %d, %v", n, off, got, err)
		}
	}
	read(0, 150)
	time.Sleep(20 * time.Millisecond)
	if got := fionread(t, r); got != vfs.PipeSize-250 {
		t.Fatalf("atomic write split: %d bytes buffered, want %d", got, vfs.PipeSize-250)
	}
	read(150, 50)
	select {
	case n := <-done:
		if n != 300 {
			t.Fatalf("write = %d, want 300", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("atomic write not woken when room appeared")
	}
	read(200, vfs.PipeSize-200+300-100)
}

// TestPipeFramedAtomicWrites has writers send messages of various sizes up
// to PIPE_BUF while a reader reads in odd sizes; every message must come
// out in one piece.
func TestPipeFramedAtomicWrites(t *testing.T) {
	r, w := vfs.NewPipe(0)
	const writers, each = 4, 300
	var wg sync.WaitGroup
	for id := 0; id < writers; id++ {
		wg.Add(1)
		go func(id byte) {
			defer wg.Done()
			for seq := 0; seq < each; seq++ {
				size := 4 + (seq*1237+int(id)*311)%(vfs.PipeBuf-3) // 4..PipeBuf
				msg := bytes.Repeat([]byte{id}, size)
				msg[0], msg[1], msg[2] = byte(size>>8), byte(size), byte(seq)
				if n, err := w.Write(nil, msg); n != size || err != nil {
					t.Errorf("write = %d, %v", n, err)
				}
			}
		}(byte(id))
	}
	go func() { wg.Wait(); w.DecRef() }()
	defer r.DecRef()
	var all []byte
	buf := make([]byte, 9999)
	for i := 0; ; i++ {
		n, err := r.Read(nil, buf[:1+(i*7919)%len(buf)])
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		all = append(all, buf[:n]...)
	}
	var next [writers]int
	for off := 0; off < len(all); {
		if len(all)-off < 4 {
			t.Fatalf("truncated message at %d", off)
		}
		size := int(all[off])<<8 | int(all[off+1])
		id := all[off+3]
		if size < 4 || size > vfs.PipeBuf || off+size > len(all) || int(id) >= writers {
			t.Fatalf("bad message header at %d: size %d, writer %d", off, size, id)
		}
		if int(all[off+2]) != next[id]&0xff {
			t.Fatalf("writer %d: message %d out of order at %d", id, next[id], off)
		}
		if !bytes.Equal(all[off+3:off+size], bytes.Repeat([]byte{id}, size-3)) {
			t.Fatalf("message of writer %d at %d interleaved", id, off)
		}
		next[id]++
		off += size
	}
	for id, n := range next {
		if n != each {
			t.Errorf("writer %d: %d messages, want %d", id, n, each)
		}
	}
}

// TestPipeWriterWokenByReader checks that a writer blocked on a full pipe
// is notified as a reader drains it and finishes its write.
func TestPipeWriterWokenByReader(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer r.DecRef()
	defer w.DecRef()
	const size = 3*vfs.PipeSize + 123
	done := make(chan error, 1)
	go func() {
		n, err := w.Write(nil, pattern(0, size))
		if err == nil && n != size {
			err = fmt.Errorf("write = %d, want %d", n, size)
		}
		done <- err
	}()
	buf := make([]byte, 1000)
	for off := 0; off < size; {
		time.Sleep(time.Millisecond / 10)
		n, err := r.Read(nil, buf)
		if err != nil || n == 0 {
			t.Fatalf("read at %d = %d, %v", off, n, err)
		}
		if !bytes.Equal(buf[:n], pattern(off, n)) {
			t.Fatalf("read at %d: wrong bytes", off)
		}
		off += n
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPipeEOFAfterWrap reads data that wraps around the buffer after the
// writer has gone, then end of file.
func TestPipeEOFAfterWrap(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer r.DecRef()
	w.Write(nil, pattern(0, vfs.PipeSize-10))
	r.Read(nil, make([]byte, vfs.PipeSize-20))
	w.Write(nil, pattern(vfs.PipeSize-10, 500))
	e := vfs.NewEntry(vfs.EventHup)
	r.EventRegister(e)
	defer r.EventUnregister(e)
	w.DecRef()
	select {
	case <-e.C:
	case <-time.After(time.Second):
		t.Fatal("no POLLHUP notification when the writer closed")
	}
	buf := make([]byte, 1000)
	if n, err := r.Read(nil, buf); n != 510 || err != nil || !bytes.Equal(buf[:n], pattern(vfs.PipeSize-20, 510)) {
		t.Fatalf("read = %d, %v", n, err)
	}
	if n, err := r.Read(nil, buf); n != 0 || err != nil {
		t.Fatalf("read after data = %d, %v; want EOF", n, err)
	}
}

// waitBuffered waits until the pipe holds n bytes.
func waitBuffered(t *testing.T, f *vfs.FileDescription, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); fionread(t, f) != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pipe holds %d bytes, want %d", fionread(t, f), n)
		}
	}
}

// TestPipeEPIPEAfterPartialWrite closes the reader under a blocked writer:
// the write returns what went in, and the next one fails.
func TestPipeEPIPEAfterPartialWrite(t *testing.T) {
	r, w := vfs.NewPipe(0)
	defer w.DecRef()
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	go func() {
		n, err := w.Write(nil, make([]byte, vfs.PipeSize+3*vfs.PipeBuf))
		done <- result{n, err}
	}()
	waitBuffered(t, r, vfs.PipeSize)
	r.Read(nil, make([]byte, 10))
	waitBuffered(t, r, vfs.PipeSize) // the writer took the 10 bytes of room
	r.DecRef()
	if res := <-done; res.n != vfs.PipeSize+10 || res.err != nil {
		t.Fatalf("write cut by the reader closing = %d, %v; want %d", res.n, res.err, vfs.PipeSize+10)
	}
	if _, err := w.Write(nil, []byte("x")); err != unix.EPIPE {
		t.Fatalf("write without readers: %v, want EPIPE", err)
	}
}

// TestPipeTransferWrapped tees and splices from a pipe whose data wraps
// around its buffer.
func TestPipeTransferWrapped(t *testing.T) {
	a, aw := vfs.NewPipe(unix.O_NONBLOCK)
	defer a.DecRef()
	defer aw.DecRef()
	aw.Write(nil, pattern(0, 60000))
	a.Read(nil, make([]byte, 50000))
	aw.Write(nil, pattern(60000, 40000)) // 50000..100000, wrapped
	const want = 50000

	b, bw := vfs.NewPipe(0)
	defer b.DecRef()
	defer bw.DecRef()
	n, err := vfs.Transfer(nil, a, bw, 1<<20, vfs.TransferOptions{Tee: true, NonBlock: true})
	if n != want || err != nil {
		t.Fatalf("tee = %d, %v; want %d", n, err, want)
	}
	if got := fionread(t, a); got != want {
		t.Fatalf("tee consumed: %d bytes left, want %d", got, want)
	}
	c, cw := vfs.NewPipe(0)
	defer c.DecRef()
	defer cw.DecRef()
	n, err = vfs.Transfer(nil, a, cw, 1<<20, vfs.TransferOptions{NonBlock: true})
	if n != want || err != nil {
		t.Fatalf("splice = %d, %v; want %d", n, err, want)
	}
	if got := fionread(t, a); got != 0 {
		t.Fatalf("splice left %d bytes", got)
	}
	for _, p := range []*vfs.FileDescription{b, c} {
		buf := make([]byte, 2*want)
		if n, err := p.Read(nil, buf); n != want || err != nil || !bytes.Equal(buf[:n], pattern(50000, want)) {
			t.Fatalf("read of the copy = %d, %v", n, err)
		}
	}
}

// BenchmarkPipe moves 64 KiB chunks through a pipe, as tools/bench's pipe
// benchmark does without the system calls.
func BenchmarkPipe(b *testing.B) {
	r, w := vfs.NewPipe(0)
	defer r.DecRef()
	const chunk = 64 << 10
	b.SetBytes(chunk)
	b.ReportAllocs()
	go func() {
		defer w.DecRef()
		src := make([]byte, chunk)
		for i := 0; i < b.N; i++ {
			if _, err := w.Write(nil, src); err != nil {
				return
			}
		}
	}()
	dst := make([]byte, chunk)
	for {
		n, err := r.Read(nil, dst)
		if n == 0 || err != nil {
			break
		}
	}
}
