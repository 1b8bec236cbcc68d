package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// fadvise64 and readahead are hints; there is nothing for them to do (file
// pages are read on demand), so they check their arguments as Linux does
// and succeed. cat, cp and the C library's stdio call fadvise64.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysFadvise64, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := hintFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			defer f.DecRef()
			if st, err := f.Stat(); err == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
				return 0, unix.ESPIPE
			}
			if int64(a[2]) < 0 || a[3] > unix.FADV_NOREUSE {
				return 0, unix.EINVAL
			}
			return 0, nil
		}, argInt, argFD, argInt, argInt, argInt)
		tb.set(linux.SysReadahead, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			f, err := hintFile(t, int32(a[0]))
			if err != nil {
				return 0, err
			}
			defer f.DecRef()
			if st, err := f.Stat(); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
				return 0, unix.EINVAL
			}
			if f.StatusFlags()&unix.O_ACCMODE == unix.O_WRONLY {
				return 0, unix.EBADF
			}
			return 0, nil
		}, argInt, argFD, argInt, argInt)
	})
}

// hintFile returns fd's description, with a reference, for a hint. O_PATH
// is EBADF.
func hintFile(t *kernel.Task, fd int32) (*vfs.FileDescription, error) {
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
