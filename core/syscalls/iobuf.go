package syscalls

import "sync"

// This file is the kernel buffers that read(2), write(2) and their vector
// and positional forms move data through, between the application's
// memory and a file. They come from two pools, one per size class, instead
// of a new (and cleared) allocation per call.
//
// A buffer is not cleared when it is taken: it holds another call's
// bytes. A reader of it sees only what it wrote into it first: readInto
// copies out only the bytes the file returned, and writeFrom writes only
// the bytes CopyIn filled. A buffer goes back to its pool when the call
// that took it is done with it; FileImpl.Read and Write must not keep
// their dst or src after they return (none does: they copy).

const (
	// smallIOBuf is the smaller size class: a pipe's capacity, and more
	// than most reads and writes ask for.
	smallIOBuf = 64 << 10

	// The larger class is ioChunk, the most one step of a call moves.
)

var (
	smallIOBufs = sync.Pool{New: func() any { return new([smallIOBuf]byte) }}
	largeIOBufs = sync.Pool{New: func() any { return new([ioChunk]byte) }}
)

// getIOBuf returns a buffer of n bytes, 0 < n <= ioChunk, with stale
// contents. The caller gives it back with putIOBuf.
func getIOBuf(n int) []byte {
	if n <= smallIOBuf {
		return smallIOBufs.Get().(*[smallIOBuf]byte)[:n]
	}
	return largeIOBufs.Get().(*[ioChunk]byte)[:n]
}

// putIOBuf returns a buffer getIOBuf made to its pool.
//
// Preconditions: nothing uses b, or anything sliced from it, any more.
func putIOBuf(b []byte) {
	switch cap(b) {
	case smallIOBuf:
		smallIOBufs.Put((*[smallIOBuf]byte)(b[:smallIOBuf]))
	case ioChunk:
		largeIOBufs.Put((*[ioChunk]byte)(b[:ioChunk]))
	}
}
