package vfs

import "sync"

// This file is a pipe's buffer: a ring of PipeSize bytes. The bytes are
// taken from a pool on the first write and kept while the pipe has an
// open end, however often it is drained: a pipe that carries a stream
// (cat | gzip) would otherwise allocate, and Go clear, a buffer for every
// write. When the last end closes, the buffer goes back to the pool with
// whatever it held (as on Linux, a pipe's data dies with it), so the next
// pipe does not clear 64 KiB either. A pipe that has never been written
// holds no buffer.

// pipeBufs holds the buffers of closed pipes. Their contents are stale;
// a ring never lets a reader see a byte that was not written into it.
var pipeBufs = sync.Pool{New: func() any { return new([PipeSize]byte) }}

// pipeRing is the unread bytes of a pipe. The zero value is an empty ring
// without a buffer. Its owner serialises access (pipe.mu), and no slice of
// data outlives the call that made it: bytes are only copied in and out.
type pipeRing struct {
	data *[PipeSize]byte // nil until the first write and after free
	head int             // index of the first unread byte in data
	n    int             // unread bytes, at most PipeSize
}

// PipeSize is a power of two, so that an index wraps with a mask.
const pipeMask = PipeSize - 1

var _ [0]struct{} = [PipeSize & pipeMask]struct{}{}

// len returns the number of unread bytes.
func (r *pipeRing) len() int { return r.n }

// room returns the number of bytes a write can take.
func (r *pipeRing) room() int { return PipeSize - r.n }

// write appends as much of src as fits (in at most two copies) and returns
// how much that was.
func (r *pipeRing) write(src []byte) int {
	n := min(len(src), r.room())
	if n == 0 {
		return 0
	}
	if r.data == nil {
		r.data = pipeBufs.Get().(*[PipeSize]byte)
		r.head = 0
	}
	tail := (r.head + r.n) & pipeMask
	c := copy(r.data[tail:], src[:n])
	copy(r.data[:], src[c:n])
	r.n += n
	return n
}

// peek copies up to len(dst) unread bytes into dst (in at most two copies)
// without consuming them, and returns how many it copied.
func (r *pipeRing) peek(dst []byte) int {
	n := min(len(dst), r.n)
	if n == 0 {
		return 0
	}
	c := copy(dst[:n], r.data[r.head:])
	copy(dst[c:n], r.data[:])
	return n
}

// discard consumes the first n unread bytes (n is at most r.len()).
func (r *pipeRing) discard(n int) {
	r.n -= n
	if r.n == 0 {
		// Start over at the front: the next writes and reads of up to
		// PipeSize bytes are then one copy each.
		r.head = 0
		return
	}
	r.head = (r.head + n) & pipeMask
}

// read copies up to len(dst) unread bytes into dst, consumes them, and
// returns how many.
func (r *pipeRing) read(dst []byte) int {
	n := r.peek(dst)
	r.discard(n)
	return n
}

// free drops the unread bytes and returns the buffer to the pool.
//
// Preconditions: nothing can use the ring any more, or everything that
// may use it is serialised with this call (a later write takes a new
// buffer).
func (r *pipeRing) free() {
	if r.data != nil {
		pipeBufs.Put(r.data)
	}
	*r = pipeRing{}
}
