package syscalls

import (
	"encoding/binary"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysEpollCreate, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if int32(a[0]) <= 0 {
				return 0, unix.EINVAL
			}
			return installFile(t, vfs.NewEpoll(), false)
		}, argFD, argInt)
		tb.set(linux.SysEpollCreate1, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			flags := int(a[0])
			if flags&^unix.EPOLL_CLOEXEC != 0 {
				return 0, unix.EINVAL
			}
			return installFile(t, vfs.NewEpoll(), flags&unix.EPOLL_CLOEXEC != 0)
		}, argFD, argHex)
		tb.set(linux.SysEpollCtl, sysEpollCtl, argInt, argFD, argInt, argFD, argPtr)
		tb.set(linux.SysEpollWait, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return epollWait(t, int32(a[0]), a[1], int(int32(a[2])), msTimeout(int32(a[3])))
		}, argInt, argFD, argPtr, argInt, argInt)
		tb.set(linux.SysEpollPwait, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return withSigmask(t, a[4], a[5], func() (uintptr, error) {
				return epollWait(t, int32(a[0]), a[1], int(int32(a[2])), msTimeout(int32(a[3])))
			})
		}, argInt, argFD, argPtr, argInt, argInt, argPtr, argInt)
		tb.set(linux.SysEpollPwait2, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			timeout := time.Duration(-1)
			if a[3] != 0 {
				var ts linux.Timespec
				if err := copyIn(t, a[3], &ts); err != nil {
					return 0, err
				}
				if !ts.Valid() || ts.Sec < 0 {
					return 0, unix.EINVAL
				}
				timeout = ts.ToDuration()
			}
			return withSigmask(t, a[4], a[5], func() (uintptr, error) {
				return epollWait(t, int32(a[0]), a[1], int(int32(a[2])), timeout)
			})
		}, argInt, argFD, argPtr, argInt, argPtr, argPtr, argInt)
	})
}

// sizeofEpollEvent is sizeof(struct epoll_event): packed on x86-64.
const sizeofEpollEvent = 12

// maxEpollEvents is EP_MAX_EVENTS: maxevents above it is EINVAL.
const maxEpollEvents = (1<<31 - 1) / sizeofEpollEvent

// msTimeout converts a poll-style timeout in milliseconds (negative: for
// ever).
func msTimeout(ms int32) time.Duration {
	if ms < 0 {
		return -1
	}
	return time.Duration(ms) * time.Millisecond
}

// withSigmask runs call with the signal mask at maskAddr (if not NULL)
// in place, as pselect6, ppoll and epoll_pwait do; size must be 8.
func withSigmask(t *kernel.Task, maskAddr, size uintptr, call func() (uintptr, error)) (uintptr, error) {
	if maskAddr == 0 {
		return call()
	}
	if size != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	mask, err := copyInUint64(t, maskAddr)
	if err != nil {
		return 0, err
	}
	t.SetTemporaryMask(mask)
	ret, err := call()
	t.EndTemporaryMask(err == unix.EINTR)
	return ret, err
}

// epollFile returns the epoll that fd refers to (EBADF, or EINVAL for
// another kind of file).
func epollFile(t *kernel.Task, fd int32) (*vfs.FileDescription, *vfs.Epoll, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	ep, ok := f.Impl().(*vfs.Epoll)
	if !ok {
		f.DecRef()
		return nil, nil, unix.EINVAL
	}
	return f, ep, nil
}

func sysEpollCtl(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	epfd, op, fd := int32(a[0]), int(a[1]), int32(a[2])
	var ev vfs.EpollEvent
	if op != unix.EPOLL_CTL_DEL {
		var b [sizeofEpollEvent]byte
		if _, err := t.MM().CopyIn(a[3], b[:]); err != nil {
			return 0, err
		}
		ev.Events = binary.LittleEndian.Uint32(b[0:])
		ev.Data = binary.LittleEndian.Uint64(b[4:])
	}
	epf, err := getFile(t, epfd)
	if err != nil {
		return 0, err
	}
	defer epf.DecRef()
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	ep, ok := epf.Impl().(*vfs.Epoll)
	if !ok || epfd == fd {
		return 0, unix.EINVAL
	}
	return 0, ep.Control(epf, op, fd, f, ev)
}

// epollWait implements epoll_wait and its variants: timeout < 0 waits
// for ever. Interrupted, it fails with EINTR (never restarted, as on
// Linux).
func epollWait(t *kernel.Task, epfd int32, addr uintptr, max int, timeout time.Duration) (uintptr, error) {
	if max <= 0 || max > maxEpollEvents {
		return 0, unix.EINVAL
	}
	f, ep, err := epollFile(t, epfd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()

	var deadline <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	var entry *vfs.Entry
	for {
		if entry == nil && timeout != 0 {
			// Register before scanning so no change is missed.
			entry = vfs.NewEntry(^uint32(0))
			ep.EventRegister(entry)
			defer ep.EventUnregister(entry)
		}
		evs := ep.ReadEvents(max)
		if len(evs) > 0 || timeout == 0 {
			buf := make([]byte, len(evs)*sizeofEpollEvent)
			for i, e := range evs {
				binary.LittleEndian.PutUint32(buf[i*sizeofEpollEvent:], e.Events)
				binary.LittleEndian.PutUint64(buf[i*sizeofEpollEvent+4:], e.Data)
			}
			if _, err := t.MM().CopyOut(addr, buf); err != nil {
				return 0, err
			}
			return uintptr(len(evs)), nil
		}
		if t.CheckInterrupt() {
			return 0, unix.EINTR
		}
		select {
		case <-entry.C:
		case <-deadline:
			timeout = 0
		case <-t.Interrupted():
		}
	}
}
