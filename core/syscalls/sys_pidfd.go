package syscalls

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Process file descriptors: pidfd_open, CLONE_PIDFD (sys_process.go),
// pidfd_send_signal and waitid(P_PIDFD). A pidfd names one process, whose
// PID may be reused once it is reaped; it polls readable once the process
// has exited, and is always close-on-exec. The Go runtime (os.StartProcess,
// os.Process.Wait and Signal) and Python's asyncio use them when the kernel
// has them. pidfd_getfd (stealing another process's descriptor) is not
// implemented (ENOSYS), nor PIDFD_THREAD pidfds of single threads.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysPidfdOpen, sysPidfdOpen, argInt, argInt, argHex)
		tb.set(linux.SysPidfdSendSignal, sysPidfdSendSignal, argInt, argFD, argSignal, argPtr, argHex)
	})
}

// pidFD is the file of a pidfd.
type pidFD struct {
	// tg is the process; nil for one that was reaped before the file
	// was made (a CLONE_PIDFD child that exited at once, its parent
	// ignoring SIGCHLD).
	tg *kernel.ThreadGroup

	q    vfs.Queue
	once sync.Once
	// stop ends the goroutine that waits for the exit, on Release.
	stop chan struct{}
}

func newPidFD(tg *kernel.ThreadGroup, nonblock bool) *vfs.FileDescription {
	p := &pidFD{tg: tg, stop: make(chan struct{})}
	flags := unix.O_RDWR
	if nonblock {
		flags |= unix.O_NONBLOCK
	}
	return vfs.NewDescription(p, vfs.DescriptionOptions{Flags: flags, Stream: true})
}

// exited reports whether the process has exited.
func (p *pidFD) exited() bool {
	if p.tg == nil {
		return true
	}
	select {
	case <-p.tg.Exited():
		return true
	default:
		return false
	}
}

// Read implements vfs.FileImpl: a pidfd has nothing to read.
func (p *pidFD) Read(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Write implements vfs.FileImpl.
func (p *pidFD) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Stat implements vfs.FileImpl: an anonymous inode.
func (p *pidFD) Stat() (vfs.Stat, error) {
	return vfs.Stat{Nlink: 1, Mode: 0o600, Blksize: 4096}, nil
}

// Release implements vfs.FileImpl.
func (p *pidFD) Release() { close(p.stop) }

// AnonName names the file in /proc/[pid]/fd.
func (p *pidFD) AnonName() string { return "[pidfd]" }

// Readiness implements vfs.Waitable: readable once the process exited.
func (p *pidFD) Readiness(mask uint32) uint32 {
	if p.exited() {
		return vfs.EventIn & mask
	}
	return 0
}

// EventRegister implements vfs.Waitable. The first registration starts
// a goroutine that notifies the waiters when the process exits (or the
// file is released).
func (p *pidFD) EventRegister(e *vfs.Entry) {
	p.q.Register(e)
	if p.tg == nil {
		return
	}
	p.once.Do(func() {
		exited := p.tg.Exited()
		go func() {
			select {
			case <-exited:
				p.q.Notify(vfs.EventIn)
			case <-p.stop:
			}
		}()
	})
}

// EventUnregister implements vfs.Waitable.
func (p *pidFD) EventUnregister(e *vfs.Entry) { p.q.Unregister(e) }

// pidfdOf returns the process of pidfd fd, and whether it was opened
// non-blocking.
func pidfdOf(t *kernel.Task, fd int32) (*pidFD, bool, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, false, err
	}
	defer f.DecRef()
	p, ok := f.Impl().(*pidFD)
	if !ok {
		return nil, false, unix.EBADF
	}
	return p, f.StatusFlags()&unix.O_NONBLOCK != 0, nil
}

func sysPidfdOpen(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	pid, flags := int32(a[0]), a[1]
	if flags&^unix.O_NONBLOCK != 0 || pid <= 0 {
		return 0, unix.EINVAL
	}
	tg, isThread := t.Kernel().ProcessByPID(pid)
	if isThread {
		return 0, unix.EINVAL // a thread that leads no process
	}
	if tg == nil {
		return 0, unix.ESRCH
	}
	return installFile(t, newPidFD(tg, flags&unix.O_NONBLOCK != 0), true)
}

func sysPidfdSendSignal(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	sig, infoAddr, flags := int(a[1]), a[2], a[3]
	if flags != 0 {
		return 0, unix.EINVAL
	}
	p, _, err := pidfdOf(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	if p.exited() {
		return 0, unix.ESRCH
	}
	if infoAddr == 0 {
		return 0, t.SendSignalTo(p.tg, sig)
	}
	var info linux.Siginfo
	if err := copyIn(t, infoAddr, &info); err != nil {
		return 0, err
	}
	if int(info.Signo) != sig {
		return 0, unix.EINVAL
	}
	return 0, t.QueueSignal(p.tg, sig, &info)
}

// pidfdWaitTarget returns the PID that waitid(P_PIDFD, fd) waits for, and
// whether the pidfd is non-blocking (then a wait that would block is
// EAGAIN). A process already reaped is no child to wait for.
func pidfdWaitTarget(t *kernel.Task, fd int32) (int32, bool, error) {
	p, nonblock, err := pidfdOf(t, fd)
	if err != nil {
		return 0, false, unix.EBADF
	}
	if p.tg == nil || p.tg.Reaped() {
		return 0, false, unix.ECHILD
	}
	return p.tg.TGID(), nonblock, nil
}
