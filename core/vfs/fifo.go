package vfs

// This file is named pipes: a FIFO made by mknod(2) or mkfifo(3), in any
// filesystem, is opened as a pipe (pipe.go) that the VFS keeps for the
// file while any end is open. Filesystems store only the FIFO's inode;
// their Open is not called for it.
//
// Open follows Linux's fifo_open:
//
//   - O_RDONLY waits until a writer has opened (unless a writer is already
//     there); with O_NONBLOCK it returns at once.
//   - O_WRONLY waits until a reader has opened; with O_NONBLOCK and no
//     reader it fails with ENXIO.
//   - O_RDWR never waits: the opener is its own reader and writer.
//
// A wait follows the Blocker contract (ERESTARTSYS when interrupted), and
// an interrupted open leaves no trace.
//
// # Locking
//
// fifoTable.mu is taken before pipe.mu.

import (
	"sync"

	"golang.org/x/sys/unix"
)

// fifo is the pipe of one FIFO file while it is open.
type fifo struct {
	p *pipe

	// opensR and opensW count the opens for reading and for writing
	// ever made, so that a waiting opener sees a partner that came and
	// went. Protected by fifoTable.mu.
	opensR, opensW uint64

	// q wakes openers waiting for a partner.
	q Queue
}

// fifoTable holds the open FIFOs, by file.
var fifoTable = struct {
	mu sync.Mutex
	m  map[lockKey]*fifo // protected by mu
}{m: map[lockKey]*fifo{}}

// openFIFO opens the FIFO at loc for flags' access mode.
func openFIFO(b Blocker, loc Location, flags int) (FileImpl, error) {
	k := lockKey{fs: loc.Mount.fs, ino: loc.Dentry.ino}
	nonblock := flags&unix.O_NONBLOCK != 0
	fifoTable.mu.Lock()
	defer fifoTable.mu.Unlock()
	f := fifoTable.m[k]
	if f == nil {
		f = &fifo{p: &pipe{ctime: Now()}}
		fifoTable.m[k] = f
	}
	p := f.p
	e := &fifoEnd{k: k, f: f}
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		e.r = &pipeEnd{p: p, read: true}
		p.mu.Lock()
		p.readers++
		writers := p.writers
		p.mu.Unlock()
		f.opensR++
		f.q.Notify(EventAll)
		if writers == 0 && !nonblock {
			if err := f.waitPartner(b, &f.opensW); err != nil {
				e.releaseLocked()
				return nil, err
			}
		}
	case unix.O_WRONLY:
		p.mu.Lock()
		readers := p.readers
		if readers == 0 && nonblock {
			p.mu.Unlock()
			e.dropIfUnused()
			return nil, unix.ENXIO
		}
		p.writers++
		p.mu.Unlock()
		e.w = &pipeEnd{p: p}
		f.opensW++
		f.q.Notify(EventAll)
		if readers == 0 {
			if err := f.waitPartner(b, &f.opensR); err != nil {
				e.releaseLocked()
				return nil, err
			}
		}
	default:
		e.r = &pipeEnd{p: p, read: true}
		e.w = &pipeEnd{p: p}
		p.mu.Lock()
		p.readers++
		p.writers++
		p.mu.Unlock()
		f.opensR++
		f.opensW++
		f.q.Notify(EventAll)
	}
	return e, nil
}

// waitPartner waits until *opens changes: the other end has been opened.
//
// Preconditions: fifoTable.mu is held, and is held again on return.
func (f *fifo) waitPartner(b Blocker, opens *uint64) error {
	start := *opens
	w := NewEntry(EventAll)
	f.q.Register(w)
	defer f.q.Unregister(w)
	for *opens == start {
		fifoTable.mu.Unlock()
		err := Wait(b, w)
		fifoTable.mu.Lock()
		if err != nil {
			return err
		}
	}
	return nil
}

// fifoEnd is the FileImpl of an open FIFO: a read end, a write end, or
// both (O_RDWR).
type fifoEnd struct {
	k    lockKey // immutable
	f    *fifo   // immutable
	r, w *pipeEnd
}

// Read implements FileImpl.Read.
func (e *fifoEnd) Read(b Blocker, dst []byte, off int64) (int, error) {
	if e.r == nil {
		return 0, unix.EBADF
	}
	return e.r.Read(b, dst, off)
}

// Write implements FileImpl.Write.
func (e *fifoEnd) Write(b Blocker, src []byte, off int64) (int, error) {
	if e.w == nil {
		return 0, unix.EBADF
	}
	return e.w.Write(b, src, off)
}

// Stat implements FileImpl.Stat (the VFS reports the FIFO's inode).
func (e *fifoEnd) Stat() (Stat, error) { return e.end().Stat() }

func (e *fifoEnd) end() *pipeEnd {
	if e.r != nil {
		return e.r
	}
	return e.w
}

// Release implements FileImpl.Release.
func (e *fifoEnd) Release() {
	fifoTable.mu.Lock()
	defer fifoTable.mu.Unlock()
	e.releaseLocked()
}

// releaseLocked closes e's ends and forgets the FIFO's pipe (and any data
// in it, as Linux does) once no end is open.
//
// Preconditions: fifoTable.mu is held.
func (e *fifoEnd) releaseLocked() {
	if e.r != nil {
		e.r.Release()
	}
	if e.w != nil {
		e.w.Release()
	}
	e.dropIfUnused()
}

// dropIfUnused forgets the FIFO's pipe if no end is open.
//
// Preconditions: fifoTable.mu is held.
func (e *fifoEnd) dropIfUnused() {
	p := e.f.p
	p.mu.Lock()
	unused := p.readers == 0 && p.writers == 0
	p.mu.Unlock()
	if unused && fifoTable.m[e.k] == e.f {
		delete(fifoTable.m, e.k)
	}
}

// Readiness implements Waitable.
func (e *fifoEnd) Readiness(mask uint32) uint32 {
	var r uint32
	if e.r != nil {
		r |= e.r.Readiness(mask)
	}
	if e.w != nil {
		r |= e.w.Readiness(mask)
	}
	if e.r != nil && e.w != nil {
		r &^= EventHup | EventErr // its own writer and reader
	}
	return r
}

// EventRegister implements Waitable.
func (e *fifoEnd) EventRegister(w *Entry) { e.f.p.q.Register(w) }

// EventUnregister implements Waitable.
func (e *fifoEnd) EventUnregister(w *Entry) { e.f.p.q.Unregister(w) }

// Ioctl implements Ioctler (FIONREAD).
func (e *fifoEnd) Ioctl(b Blocker, mem UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	return e.end().Ioctl(b, mem, cmd, arg)
}

// Stream implements the VFS's stream check: a FIFO has no offset.
func (e *fifoEnd) Stream() bool { return true }

// fifoOpenCount reports the open ends of the FIFO of k, for tests.
func fifoOpenCount(k lockKey) (readers, writers int, ok bool) {
	fifoTable.mu.Lock()
	defer fifoTable.mu.Unlock()
	f := fifoTable.m[k]
	if f == nil {
		return 0, 0, false
	}
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	return f.p.readers, f.p.writers, true
}
