package vfs

import (
	"errors"

	"golang.org/x/sys/unix"
)

// This file moves data between two open files inside the kernel, for
// sendfile(2), splice(2), tee(2) and copy_file_range(2). Data passes
// through a kernel buffer; what is read from a pipe is consumed only once
// it has been written, so a short or failed write loses nothing.

// spliceChunk is the most one step moves (a pipe's capacity).
const spliceChunk = PipeSize

// IsPipe reports whether fd is a pipe or an open FIFO.
func (fd *FileDescription) IsPipe() bool { return fd.pipeOf(false) != nil || fd.pipeOf(true) != nil }

// pipeOf returns the pipe end of fd for reading (read) or writing, or nil.
func (fd *FileDescription) pipeOf(read bool) *pipeEnd {
	switch impl := fd.impl.(type) {
	case *pipeEnd:
		if impl.read == read {
			return impl
		}
	case *fifoEnd:
		if read {
			return impl.r
		}
		return impl.w
	}
	return nil
}

// SamePipe reports whether a and b are ends of the same pipe.
func SamePipe(a, b *FileDescription) bool {
	pa, pb := a.anyPipe(), b.anyPipe()
	return pa != nil && pa == pb
}

func (fd *FileDescription) anyPipe() *pipe {
	if e := fd.pipeOf(true); e != nil {
		return e.p
	}
	if e := fd.pipeOf(false); e != nil {
		return e.p
	}
	return nil
}

// peek copies up to len(dst) buffered bytes of the pipe without consuming
// them, waiting (per b) while it is empty and has writers; 0 is end of
// file.
func (e *pipeEnd) peek(b Blocker, dst []byte) (int, error) {
	p := e.p
	var w *Entry
	defer func() {
		if w != nil {
			p.q.Unregister(w)
		}
	}()
	for {
		p.mu.Lock()
		if p.buf.len() > 0 {
			n := p.buf.peek(dst)
			p.mu.Unlock()
			return n, nil
		}
		if p.writers == 0 {
			p.mu.Unlock()
			return 0, nil
		}
		if w == nil {
			w = NewEntry(EventIn | EventHup)
			p.q.Register(w)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		if err := Wait(b, w); err != nil {
			return 0, err
		}
	}
}

// consume drops the first n buffered bytes, which peek returned.
func (e *pipeEnd) consume(n int) {
	p := e.p
	p.mu.Lock()
	p.buf.discard(min(n, p.buf.len()))
	p.mu.Unlock()
	p.q.Notify(EventOut)
}

// TransferOptions configures Transfer.
type TransferOptions struct {
	// InOff and OutOff, when not nil, are the positions to read and write
	// at (and are advanced); nil means the description's file offset.
	InOff, OutOff *int64

	// NonBlock makes the pipe ends involved non-blocking
	// (SPLICE_F_NONBLOCK), whatever their descriptions' flags.
	NonBlock bool

	// Tee copies from the input pipe without consuming (tee(2)).
	Tee bool

	// Once stops after the first step that moved data, as splice does
	// with a pipe (it moves what the pipe holds and returns).
	Once bool
}

// Transfer moves up to count bytes from in to out and returns how many it
// moved. Access and type checks are the caller's (they differ between the
// calls); Transfer blocks as in's and out's reads and writes do, and
// returns what it moved if interrupted or failed after moving something.
func Transfer(b Blocker, in, out *FileDescription, count int64, opts TransferOptions) (int64, error) {
	inPipe := in.pipeOf(true)
	bIn, bOut := in.blocker(b), out.blocker(b)
	if opts.NonBlock {
		if inPipe != nil {
			bIn = NonBlocking
		}
		if out.pipeOf(false) != nil {
			bOut = NonBlocking
		}
	}
	buf := make([]byte, min(count, spliceChunk))
	var done int64
	for done < count {
		chunk := buf[:min(count-done, int64(len(buf)))]
		// Read without losing anything a failed write would drop.
		var n int
		var err error
		var inPos int64
		switch {
		case inPipe != nil:
			n, err = inPipe.peek(bIn, chunk)
		case in.stream:
			n, err = in.impl.Read(bIn, chunk, 0)
		case opts.InOff != nil:
			inPos = *opts.InOff
			n, err = in.impl.Read(bIn, chunk, inPos)
		default:
			inPos = in.currentOffset()
			n, err = in.impl.Read(bIn, chunk, inPos)
		}
		if err != nil || n == 0 {
			if done > 0 && (err == nil || errors.Is(err, unix.EAGAIN) || err == ErrInterrupted) {
				return done, nil
			}
			return done, err
		}
		var w int
		switch {
		case out.stream:
			w, err = out.impl.Write(bOut, chunk[:n], 0)
		case opts.OutOff != nil:
			w, err = out.impl.Write(bOut, chunk[:n], *opts.OutOff)
			*opts.OutOff += int64(w)
		default:
			w, err = out.writeAtOffset(bOut, chunk[:n])
		}
		if w > 0 {
			switch {
			case inPipe != nil:
				if !opts.Tee {
					inPipe.consume(w)
				}
			case in.stream:
			case opts.InOff != nil:
				*opts.InOff += int64(w)
			default:
				in.setOffset(inPos + int64(w))
			}
			done += int64(w)
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if w < n || opts.Once || (inPipe != nil && n < len(chunk)) {
			break
		}
		if inPipe != nil || out.pipeOf(false) != nil {
			// After the first step, take only what is there without
			// waiting, as Linux's pipe splicing does.
			bIn, bOut = NonBlocking, NonBlocking
			if inPipe != nil {
				if r := inPipe.Readiness(EventIn); r&EventIn == 0 {
					break
				}
			}
		}
	}
	return done, nil
}

// writeAtOffset writes src at the file offset (or the end with O_APPEND)
// and advances it.
func (fd *FileDescription) writeAtOffset(b Blocker, src []byte) (int, error) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if o, ok := fd.impl.(OffsetOwner); ok {
		return o.WriteCurrent(b, src)
	}
	if fd.flags.Load()&unix.O_APPEND != 0 {
		n, err := fd.impl.Write(b, src, -1)
		if st, serr := fd.impl.Stat(); serr == nil {
			fd.off = st.Size
		}
		return n, err
	}
	n, err := fd.impl.Write(b, src, fd.off)
	fd.off += int64(n)
	return n, err
}

// currentOffset returns the file offset, wherever it is kept (see
// OffsetOwner).
func (fd *FileDescription) currentOffset() int64 {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if o, ok := fd.impl.(OffsetOwner); ok {
		off, _ := o.SeekCurrent(0, unix.SEEK_CUR)
		return off
	}
	return fd.off
}

// setOffset sets the file offset, wherever it is kept.
func (fd *FileDescription) setOffset(off int64) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if o, ok := fd.impl.(OffsetOwner); ok {
		o.SeekCurrent(off, unix.SEEK_SET)
		return
	}
	fd.off = off
}

// Readable and Writable report whether fd was opened for reading and for
// writing (not O_PATH).
func (fd *FileDescription) Readable() bool { return fd.readable() }

// Writable: see Readable.
func (fd *FileDescription) Writable() bool { return fd.writable() }

// SameFile reports whether a and b are open on the same file.
func SameFile(a, b *FileDescription) bool {
	return a.loc.Valid() && b.loc.Valid() && a.lockKey() == b.lockKey()
}
