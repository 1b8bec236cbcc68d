package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysRead, sysRead, argInt, argFD, argOutBuf, argInt)
		tb.set(linux.SysWrite, sysWrite, argInt, argFD, argInBuf, argInt)
		tb.set(linux.SysPread64, sysPread64, argInt, argFD, argOutBuf, argInt, argInt)
		tb.set(linux.SysPwrite64, sysPwrite64, argInt, argFD, argInBuf, argInt, argInt)
		tb.set(linux.SysReadv, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return vectorIO(t, int32(a[0]), a[1], int(a[2]), -1, false)
		}, argInt, argFD, argPtr, argInt)
		tb.set(linux.SysWritev, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return vectorIO(t, int32(a[0]), a[1], int(a[2]), -1, true)
		}, argInt, argFD, argPtr, argInt)
		tb.set(linux.SysPreadv, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return vectorIOAt(t, a, false)
		}, argInt, argFD, argPtr, argInt, argInt)
		tb.set(linux.SysPwritev, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return vectorIOAt(t, a, true)
		}, argInt, argFD, argPtr, argInt, argInt)
		tb.set(linux.SysLseek, sysLseek, argInt, argFD, argInt, argInt)
	})
}

// Limits of one read or write (Linux's MAX_RW_COUNT) and of the kernel
// buffer a call uses at a time.
const (
	maxRWCount = 0x7ffff000
	ioChunk    = 1 << 20
)

// oneIOVec is the buffer of read(2) and write(2): count bytes at addr,
// clamped to MAX_RW_COUNT.
func oneIOVec(addr, count uintptr) []mm.IOVec {
	return []mm.IOVec{{Base: addr, Len: min(count, maxRWCount)}}
}

// rwFile returns fd's description checked for I/O (not O_PATH).
func rwFile(t *kernel.Task, fd int32) (*vfs.FileDescription, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, err
	}
	if f.IsPath() {
		f.DecRef()
		return nil, unix.EBADF
	}
	return f, nil
}

// isStream reports whether a short transfer must end the call (pipes,
// terminals): only regular files are read and written in several chunks.
func isStream(f *vfs.FileDescription) bool {
	t, err := f.FileType()
	return err != nil || t != unix.S_IFREG
}

// readInto reads up to the total length of dst's buffers from f (at off,
// or at the file offset when off < 0) and copies what it read into them,
// in order. A regular file is read in chunks until it returns less than
// asked; any other file is read once, as readv(2) reads a pipe in one go.
// With empty buffers f is still asked (a read of 0 bytes reports errors
// such as EISDIR); the caller decides whether to call then.
func readInto(t *kernel.Task, f *vfs.FileDescription, dst []mm.IOVec, off int64) (int, error) {
	n := ioLen(dst)
	stream := isStream(f)
	var buf []byte // holds stale bytes: only buf[:got] is copied out
	if n > 0 {
		buf = getIOBuf(min(n, ioChunk))
		defer putIOBuf(buf)
	}
	done := 0
	for done < n || n == 0 {
		chunk := min(n-done, len(buf))
		var got int
		var err error
		if off >= 0 {
			got, err = f.ReadAt(t, buf[:chunk], off+int64(done))
		} else {
			got, err = f.Read(t, buf[:chunk])
		}
		if got > 0 {
			c, cerr := t.MM().CopyOutVec(dst, buf[:got])
			done += c
			dst = skipIOVecs(dst, c)
			if cerr != nil {
				if done > 0 {
					return done, nil
				}
				return 0, cerr
			}
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if got < chunk || stream || n == 0 {
			break
		}
	}
	return done, nil
}

// writeFrom copies the bytes of src's buffers, in order, and writes them
// to f (at off, or at the file offset when off < 0), in chunks of at most
// ioChunk bytes: a writev(2) of at most PIPE_BUF bytes to a pipe is one
// atomic write. It stops at the first short write or fault.
func writeFrom(t *kernel.Task, f *vfs.FileDescription, src []mm.IOVec, off int64) (int, error) {
	n := ioLen(src)
	var buf []byte // holds stale bytes: only buf[:c] is written
	if n > 0 {
		buf = getIOBuf(min(n, ioChunk))
		defer putIOBuf(buf)
	}
	done := 0
	for done < n || n == 0 {
		chunk := min(n-done, len(buf))
		c, cerr := t.MM().CopyInVec(src, buf[:chunk])
		if cerr != nil && c == 0 {
			if done > 0 {
				return done, nil
			}
			return 0, cerr
		}
		var wrote int
		var err error
		if off >= 0 {
			wrote, err = f.WriteAt(t, buf[:c], off+int64(done))
		} else {
			wrote, err = f.Write(t, buf[:c])
		}
		done += wrote
		src = skipIOVecs(src, wrote)
		if err != nil {
			if done > 0 && err != unix.EPIPE {
				return done, nil
			}
			if err == unix.EPIPE {
				sendSIGPIPE(t)
			}
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if wrote < c || cerr != nil || n == 0 {
			break
		}
	}
	return done, nil
}

// ioLen returns the total length of iovs, at most maxRWCount.
func ioLen(iovs []mm.IOVec) int {
	var n uintptr
	for _, v := range iovs {
		n += v.Len
		if n >= maxRWCount {
			return maxRWCount
		}
	}
	return int(n)
}

// skipIOVecs returns iovs without their first n bytes. It may change the
// first buffer iovs keeps.
func skipIOVecs(iovs []mm.IOVec, n int) []mm.IOVec {
	for len(iovs) > 0 && uintptr(n) >= iovs[0].Len {
		n -= int(iovs[0].Len)
		iovs = iovs[1:]
	}
	if n > 0 {
		iovs[0].Base += uintptr(n)
		iovs[0].Len -= uintptr(n)
	}
	return iovs
}

// sendSIGPIPE is what a write to a pipe without readers does besides EPIPE.
func sendSIGPIPE(t *kernel.Task) {
	t.Kernel().SendSignal(nil, t.ThreadGroup(), int(unix.SIGPIPE))
}

func sysRead(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := rwFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	n, err := readInto(t, f, oneIOVec(a[1], a[2]), -1)
	return uintptr(n), err
}

func sysWrite(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := rwFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	n, err := writeFrom(t, f, oneIOVec(a[1], a[2]), -1)
	return uintptr(n), err
}

func sysPread64(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	f, err := rwFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	n, err := readInto(t, f, oneIOVec(a[1], a[2]), int64(a[3]))
	return uintptr(n), err
}

func sysPwrite64(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	f, err := rwFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	n, err := writeFrom(t, f, oneIOVec(a[1], a[2]), int64(a[3]))
	return uintptr(n), err
}

func vectorIOAt(t *kernel.Task, a *kernel.SyscallArgs, write bool) (uintptr, error) {
	off := int64(a[3])
	if off < 0 {
		return 0, unix.EINVAL
	}
	return vectorIO(t, int32(a[0]), a[1], int(a[2]), off, write)
}

// vectorIO implements readv, writev, preadv and pwritev: the buffers are
// one transfer, gathered into and scattered from a kernel buffer, so that
// a pipe or socket is read once (not once per buffer, which would wait for
// more after filling the first) and a writev of at most PIPE_BUF bytes to
// a pipe is atomic.
func vectorIO(t *kernel.Task, fd int32, iovAddr uintptr, count int, off int64, write bool) (uintptr, error) {
	f, err := rwFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	iovs, err := t.MM().CopyInIOVecs(iovAddr, count)
	if err != nil {
		return 0, err
	}
	if ioLen(iovs) == 0 {
		return 0, nil
	}
	var n int
	if write {
		n, err = writeFrom(t, f, iovs, off)
	} else {
		n, err = readInto(t, f, iovs, off)
	}
	return uintptr(n), err
}

func sysLseek(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	off, err := f.Seek(int64(a[1]), int(a[2]))
	return uintptr(off), err
}
