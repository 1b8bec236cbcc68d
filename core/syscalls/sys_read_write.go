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
	st, err := f.Stat()
	return err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG
}

// readInto reads up to n bytes of f (at off, or at the file offset when
// off < 0) and copies them to addr, in chunks.
func readInto(t *kernel.Task, f *vfs.FileDescription, addr uintptr, n int, off int64) (int, error) {
	if n > maxRWCount {
		n = maxRWCount
	}
	stream := isStream(f)
	done := 0
	for done < n || n == 0 {
		chunk := n - done
		if chunk > ioChunk {
			chunk = ioChunk
		}
		buf := make([]byte, chunk)
		var got int
		var err error
		if off >= 0 {
			got, err = f.ReadAt(t, buf, off+int64(done))
		} else {
			got, err = f.Read(t, buf)
		}
		if got > 0 {
			c, cerr := t.MM().CopyOut(addr+uintptr(done), buf[:got])
			done += c
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

// writeFrom copies n bytes from addr and writes them to f.
func writeFrom(t *kernel.Task, f *vfs.FileDescription, addr uintptr, n int, off int64) (int, error) {
	if n > maxRWCount {
		n = maxRWCount
	}
	done := 0
	for done < n || n == 0 {
		chunk := n - done
		if chunk > ioChunk {
			chunk = ioChunk
		}
		buf := make([]byte, chunk)
		c, cerr := t.MM().CopyIn(addr+uintptr(done), buf)
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
	n, err := readInto(t, f, a[1], int(int64(a[2])&0x7fffffffffffffff), -1)
	return uintptr(n), err
}

func sysWrite(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := rwFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	n, err := writeFrom(t, f, a[1], int(int64(a[2])&0x7fffffffffffffff), -1)
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
	n, err := readInto(t, f, a[1], int(int64(a[2])&0x7fffffffffffffff), int64(a[3]))
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
	n, err := writeFrom(t, f, a[1], int(int64(a[2])&0x7fffffffffffffff), int64(a[3]))
	return uintptr(n), err
}

func vectorIOAt(t *kernel.Task, a *kernel.SyscallArgs, write bool) (uintptr, error) {
	off := int64(a[3])
	if off < 0 {
		return 0, unix.EINVAL
	}
	return vectorIO(t, int32(a[0]), a[1], int(a[2]), off, write)
}

// vectorIO implements readv, writev, preadv and pwritev, one iovec at a
// time; a short transfer ends the call.
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
	total := 0
	for _, v := range iovs {
		if v.Len == 0 {
			continue
		}
		o := int64(-1)
		if off >= 0 {
			o = off + int64(total)
		}
		var n int
		if write {
			n, err = writeFrom(t, f, v.Base, int(v.Len), o)
		} else {
			n, err = readInto(t, f, v.Base, int(v.Len), o)
		}
		total += n
		if err != nil {
			if total > 0 {
				return uintptr(total), nil
			}
			return 0, err
		}
		if n < int(v.Len) {
			break
		}
	}
	return uintptr(total), nil
}

var _ = mm.PageSize

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
