package syscalls

import (
	"errors"
	"io"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/loader"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysExecve, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, execveAt(t, atFDCWD, a[0], a[1], a[2], 0)
		}, argInt, argPath, argStrv, argStrv)
		tb.set(linux.SysExecveat, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, execveAt(t, int32(a[0]), a[1], a[2], a[3], int(a[4]))
		}, argInt, argFD, argPath, argStrv, argStrv, argHex)
	})
}

func execveAt(t *kernel.Task, dirfd int32, pathAddr, argvAddr, envAddr uintptr, flags int) error {
	if flags&^(unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW) != 0 {
		return unix.EINVAL
	}
	path, err := copyInPath(t, pathAddr, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return err
	}
	argv, err := copyInStrv(t, argvAddr, maxArgs, maxArgStrLen)
	if err != nil {
		return err
	}
	envv, err := copyInStrv(t, envAddr, maxArgs, maxArgStrLen)
	if err != nil {
		return err
	}
	at, err := startAt(t, dirfd, path)
	if err != nil {
		return err
	}
	img, err := Load(t, at, path, argv, envv, flags&unix.AT_SYMLINK_NOFOLLOW != 0)
	if err != nil {
		return err
	}
	t.Exec(img)
	return kernel.ErrNoReturn
}

// Load loads the program at path (relative to at) into a new address
// space for t: the loading half of execve, also used to start init.
func Load(t *kernel.Task, at vfs.Location, path string, argv, envv []string, noFollow bool) (*kernel.Image, error) {
	fs := fsctx(t)
	creds := vfsCreds(t)
	m, err := t.Kernel().NewMemoryManager()
	if err != nil {
		t.Kernel().Log().Error("exec: cannot create an address space", "err", err)
		return nil, unix.ENOMEM
	}
	// names maps the paths opened to their absolute paths: the one
	// finally loaded is /proc/[pid]/exe (not its PT_INTERP, opened last).
	names := map[string]string{}
	open := func(p string) (io.ReaderAt, int64, error) {
		flags := unix.O_RDONLY
		if noFollow && p == path {
			flags |= unix.O_NOFOLLOW
		}
		start := at
		if len(p) > 0 && p[0] == '/' {
			start = fs.Cwd()
		}
		f, err := fs.VFS.OpenAt(creds, start, p, flags, 0)
		if err != nil {
			if err == unix.ELOOP && noFollow {
				return nil, 0, unix.ELOOP
			}
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.DecRef()
			return nil, 0, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			f.DecRef()
			return nil, 0, unix.EACCES
		}
		if err := fs.VFS.Access(creds, start, p, unix.X_OK, 0); err != nil {
			f.DecRef()
			return nil, 0, err
		}
		if creds.UID == 0 && st.Mode&0o111 == 0 {
			// Root may read anything but executes only what has an
			// execute bit somewhere.
			f.DecRef()
			return nil, 0, unix.EACCES
		}
		abs, err := fs.VFS.PathOf(f.Location())
		if err != nil {
			abs = p
		}
		names[p] = abs
		return fileReader{f: f, name: abs}, st.Size, nil
	}
	c := t.Credentials()
	stackLimit := t.ThreadGroup().Limit(unix.RLIMIT_STACK).Cur
	// The platform's vDSO, if it maps one in every address space, is
	// the program's: clock reads then cost no system call.
	var extra []linux.AuxEntry
	if vp, ok := t.Kernel().Platform().(platform.VDSOProvider); ok {
		if addr, _ := vp.VDSO(); addr != 0 {
			extra = append(extra, linux.AuxEntry{Key: linux.AT_SYSINFO_EHDR, Value: uint64(addr)})
		}
	}
	img, err := loader.Exec(m, open, loader.Args{
		Argv:       argv,
		Envv:       envv,
		Filename:   path,
		Creds:      loader.Credentials{UID: c.RealUID, EUID: c.EffectiveUID, GID: c.RealGID, EGID: c.EffectiveGID},
		StackLimit: stackLimit,
		Randomize:  true,
		ExtraAuxv:  extra,
	})
	if err != nil {
		m.Release()
		var errno unix.Errno
		if errors.As(err, &errno) {
			if errno == unix.ENOEXEC {
				t.Kernel().Log().Info("exec failed", "path", path, "err", err)
			}
			return nil, errno
		}
		t.Kernel().Log().Warn("exec failed", "path", path, "err", err)
		return nil, unix.ENOEXEC
	}
	return &kernel.Image{
		MM:    m,
		Entry: img.Entry,
		Stack: img.StackPointer,
		Name:  names[img.Path],
		Argv:  img.Argv,
		Envv:  envv,
	}, nil
}

// fileReader reads an open file for the loader; its CachedFile method
// (sys_mmap.go) lets the loader map it through the page cache.
type fileReader struct {
	f    *vfs.FileDescription
	name string // absolute path
}

func (r fileReader) ReadAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, err := r.f.ReadAt(nil, p[done:], off+int64(done))
		done += n
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, io.EOF
		}
	}
	return done, nil
}

func (r fileReader) Close() error {
	r.f.DecRef()
	return nil
}
