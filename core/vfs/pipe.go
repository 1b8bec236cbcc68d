package vfs

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Pipe sizes, as on Linux.
const (
	// PipeSize is the capacity of a pipe's buffer.
	PipeSize = 64 << 10

	// PipeBuf is PIPE_BUF: writes of at most this many bytes are atomic.
	PipeBuf = 4096
)

// pipeInos numbers pipes for Stat.
var pipeInos atomic.Uint64

// pipeDev is the device number pipes report (an anonymous device).
const pipeDev = 0xd

// pipe is the buffer shared by a pipe's two ends.
type pipe struct {
	ino   uint64   // immutable
	ctime Timespec // immutable

	mu sync.Mutex

	// buf holds the unread bytes, at most PipeSize (pipe_ring.go).
	// Protected by mu.
	buf pipeRing

	// readers and writers count the open read and write ends. Protected
	// by mu.
	readers, writers int

	// q wakes blocked readers (EventIn) and writers (EventOut).
	q Queue
}

// NewPipe returns the read and write ends of a new pipe (pipe2(2)). flags
// may include O_NONBLOCK (for both ends); O_CLOEXEC is the caller's.
func NewPipe(flags int) (r, w *FileDescription) {
	p := &pipe{ino: pipeInos.Add(1), ctime: Now(), readers: 1, writers: 1}
	flags &= unix.O_NONBLOCK | unix.O_DIRECT
	r = NewDescription(&pipeEnd{p: p, read: true}, DescriptionOptions{Flags: flags | unix.O_RDONLY, Stream: true})
	w = NewDescription(&pipeEnd{p: p}, DescriptionOptions{Flags: flags | unix.O_WRONLY, Stream: true})
	return r, w
}

// pipeEnd is the FileImpl of one end of a pipe.
type pipeEnd struct {
	p    *pipe
	read bool // immutable
}

// Read implements FileImpl.Read: it returns what is buffered, waits while
// the pipe is empty and has writers, and returns 0 (end of file) when it is
// empty without writers.
func (e *pipeEnd) Read(b Blocker, dst []byte, _ int64) (int, error) {
	if !e.read {
		return 0, unix.EBADF
	}
	if len(dst) == 0 {
		return 0, nil
	}
	p := e.p
	var w *Entry
	for {
		p.mu.Lock()
		if p.buf.len() > 0 {
			n := p.buf.read(dst)
			p.mu.Unlock()
			p.q.Notify(EventOut)
			if w != nil {
				p.q.Unregister(w)
			}
			return n, nil
		}
		if p.writers == 0 {
			p.mu.Unlock()
			if w != nil {
				p.q.Unregister(w)
			}
			return 0, nil
		}
		if w == nil {
			w = NewEntry(EventIn | EventHup)
			p.q.Register(w)
		}
		p.mu.Unlock()
		if err := Wait(b, w); err != nil {
			p.q.Unregister(w)
			return 0, err
		}
	}
}

// Write implements FileImpl.Write. Writes of at most PipeBuf bytes are
// atomic; longer ones may be split between readers' reads. Without
// readers it fails with EPIPE (the caller raises SIGPIPE). A write of
// nothing succeeds at once, as on Linux.
func (e *pipeEnd) Write(b Blocker, src []byte, _ int64) (int, error) {
	if e.read {
		return 0, unix.EBADF
	}
	if len(src) == 0 {
		return 0, nil
	}
	p := e.p
	done := 0
	var w *Entry
	defer func() {
		if w != nil {
			p.q.Unregister(w)
		}
	}()
	for {
		p.mu.Lock()
		if p.readers == 0 {
			p.mu.Unlock()
			if done > 0 {
				return done, nil
			}
			return 0, unix.EPIPE
		}
		room := p.buf.room()
		need := len(src) - done
		if need <= PipeBuf && room < need {
			room = 0 // atomic: all or nothing
		}
		if room > 0 {
			done += p.buf.write(src[done:])
			p.mu.Unlock()
			p.q.Notify(EventIn)
			if done == len(src) {
				return done, nil
			}
			continue
		}
		if w == nil {
			w = NewEntry(EventOut | EventErr)
			p.q.Register(w)
		}
		p.mu.Unlock()
		if err := Wait(b, w); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// Stat implements FileImpl.Stat.
func (e *pipeEnd) Stat() (Stat, error) {
	p := e.p
	p.mu.Lock()
	size := p.buf.len()
	p.mu.Unlock()
	return Stat{
		Dev: pipeDev, Ino: p.ino, Nlink: 1, Mode: unix.S_IFIFO | 0o600,
		Size: int64(size), Blksize: PipeBuf,
		Atime: p.ctime, Mtime: p.ctime, Ctime: p.ctime,
	}, nil
}

// Release implements FileImpl.Release: closing the last writer makes
// readers see end of file; closing the last reader makes writers fail.
// Closing the last end of all drops what the pipe held, and its buffer.
func (e *pipeEnd) Release() {
	p := e.p
	p.mu.Lock()
	if e.read {
		p.readers--
	} else {
		p.writers--
	}
	if p.readers == 0 && p.writers == 0 {
		p.buf.free()
	}
	p.mu.Unlock()
	p.q.Notify(EventAll)
}

// Readiness implements Waitable.
func (e *pipeEnd) Readiness(mask uint32) uint32 {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var r uint32
	if e.read {
		if p.buf.len() > 0 {
			r |= EventIn
		}
		if p.writers == 0 {
			r |= EventHup
		}
	} else {
		if p.readers == 0 {
			r |= EventErr
		} else if p.buf.room() > 0 {
			r |= EventOut
		}
	}
	return r & (mask | EventErr | EventHup)
}

// EventRegister implements Waitable.
func (e *pipeEnd) EventRegister(w *Entry) { e.p.q.Register(w) }

// EventUnregister implements Waitable.
func (e *pipeEnd) EventUnregister(w *Entry) { e.p.q.Unregister(w) }

// Ioctl implements Ioctler: FIONREAD reports the bytes buffered.
func (e *pipeEnd) Ioctl(_ Blocker, mem UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != FIONREAD {
		return 0, unix.ENOTTY
	}
	e.p.mu.Lock()
	n := e.p.buf.len()
	e.p.mu.Unlock()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	if _, err := mem.CopyOut(arg, b[:]); err != nil {
		return 0, err
	}
	return 0, nil
}
