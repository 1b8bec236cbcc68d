package syscalls

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// signalfd: a descriptor from which a process reads its pending signals
// (those of the reading thread and of its process) instead of having them
// delivered. util-linux's script and event loops use it.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysSignalfd4, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return signalfd(t, int32(a[0]), a[1], a[2], int(a[3]))
		}, argInt, argFD, argPtr, argInt, argHex)
		tb.set(linux.SysSignalfd, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return signalfd(t, int32(a[0]), a[1], a[2], 0)
		}, argInt, argFD, argPtr, argInt)
	})
}

// sizeofSignalfdSiginfo is sizeof(struct signalfd_siginfo) (<linux/signalfd.h>).
const sizeofSignalfdSiginfo = 128

func signalfd(t *kernel.Task, fd int32, maskAddr, size uintptr, flags int) (uintptr, error) {
	if size != 8 || flags&^(unix.SFD_CLOEXEC|unix.SFD_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	mask, err := copyInUint64(t, maskAddr)
	if err != nil {
		return 0, err
	}
	// SIGKILL and SIGSTOP can never be read.
	mask &^= 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)
	if fd != -1 {
		f, err := getFile(t, fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		sf, ok := f.Impl().(*signalFile)
		if !ok {
			return 0, unix.EINVAL
		}
		sf.setMask(mask)
		return uintptr(fd), nil
	}
	sf := &signalFile{k: t.Kernel(), mask: mask}
	sf.remove = t.ThreadGroup().AddSignalWatcher(func() { sf.q.Notify(vfs.EventIn) })
	f := vfs.NewDescription(sf, vfs.DescriptionOptions{Flags: unix.O_RDWR | flags&unix.O_NONBLOCK, Stream: true})
	defer f.DecRef()
	n, err := files(t).New(f, flags&unix.SFD_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// signalFile is a signalfd's FileImpl.
type signalFile struct {
	k      *kernel.Kernel
	q      vfs.Queue
	remove func()

	mu   sync.Mutex
	mask uint64 // protected by mu
}

func (s *signalFile) setMask(m uint64) {
	s.mu.Lock()
	s.mask = m
	s.mu.Unlock()
	s.q.Notify(vfs.EventIn)
}

func (s *signalFile) getMask() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mask
}

// reader returns the task reading: the one whose goroutine this is.
func (s *signalFile) reader() (*kernel.Task, bool) {
	return s.k.TaskForCurrentThread()
}

// Read implements vfs.FileImpl: it fills dst with signalfd_siginfo records.
func (s *signalFile) Read(b vfs.Blocker, dst []byte, _ int64) (int, error) {
	if len(dst) < sizeofSignalfdSiginfo {
		return 0, unix.EINVAL
	}
	t, ok := s.reader()
	if !ok {
		return 0, unix.EINVAL
	}
	n := 0
	for {
		for n+sizeofSignalfdSiginfo <= len(dst) {
			info, ok := t.DequeueSignal(s.getMask())
			if !ok {
				break
			}
			encodeSignalfdSiginfo(dst[n:n+sizeofSignalfdSiginfo], &info)
			n += sizeofSignalfdSiginfo
		}
		if n > 0 {
			return n, nil
		}
		e := vfs.NewEntry(vfs.EventIn)
		s.q.Register(e)
		if t.PendingIn(s.getMask()) {
			s.q.Unregister(e)
			continue
		}
		err := vfs.Wait(b, e)
		s.q.Unregister(e)
		if err != nil {
			return 0, err
		}
	}
}

// encodeSignalfdSiginfo writes struct signalfd_siginfo from a siginfo.
func encodeSignalfdSiginfo(b []byte, si *linux.Siginfo) {
	clear(b)
	raw := linux.Marshal(si)
	le.PutUint32(b[0:], uint32(si.Signo))
	le.PutUint32(b[4:], le.Uint32(raw[4:]))   // si_errno
	le.PutUint32(b[8:], uint32(si.Code))      // si_code
	le.PutUint32(b[12:], uint32(si.PID()))    // ssi_pid
	le.PutUint32(b[16:], si.UID())            // ssi_uid
	le.PutUint32(b[40:], uint32(si.Status())) // ssi_status (SIGCHLD)
	le.PutUint64(b[48:], si.Value())          // ssi_ptr (rt signals' value)
	le.PutUint64(b[72:], si.Addr())           // ssi_addr (faults)
	if si.Signo != int32(unix.SIGCHLD) {
		le.PutUint32(b[40:], 0)
		le.PutUint32(b[44:], uint32(si.Value())) // ssi_int
	}
}

// Write implements vfs.FileImpl: a signalfd is read-only.
func (s *signalFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Stat implements vfs.FileImpl: an anonymous inode.
func (s *signalFile) Stat() (vfs.Stat, error) {
	return vfs.Stat{Dev: 0xe, Ino: 1, Nlink: 1, Mode: 0o600, Blksize: 4096}, nil
}

// Release implements vfs.FileImpl.
func (s *signalFile) Release() { s.remove() }

// Readiness implements vfs.Waitable: readable when a signal of the mask is
// pending for the polling task.
func (s *signalFile) Readiness(mask uint32) uint32 {
	t, ok := s.reader()
	if ok && t.PendingIn(s.getMask()) {
		return mask & vfs.EventIn
	}
	return 0
}

// EventRegister implements vfs.Waitable.
func (s *signalFile) EventRegister(e *vfs.Entry) { s.q.Register(e) }

// EventUnregister implements vfs.Waitable.
func (s *signalFile) EventUnregister(e *vfs.Entry) { s.q.Unregister(e) }
