package syscalls

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysPoll, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			timeout := time.Duration(-1)
			if ms := int32(a[2]); ms >= 0 {
				timeout = time.Duration(ms) * time.Millisecond
			}
			return doPoll(t, a[0], int(a[1]), timeout)
		}, argInt, argPtr, argInt, argInt)
		tb.set(linux.SysPpoll, sysPpoll, argInt, argPtr, argInt, argPtr, argPtr, argInt)
	})
}

const maxPollFDs = 1 << 20

func sysPpoll(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[2] != 0 {
		var ts linux.Timespec
		if err := copyIn(t, a[2], &ts); err != nil {
			return 0, err
		}
		if !ts.Valid() || ts.Sec < 0 {
			return 0, unix.EINVAL
		}
		timeout = ts.ToDuration()
	}
	if a[3] != 0 {
		// The temporary signal mask matters only once signal handlers
		// are delivered; apply it for the duration of the call anyway.
		if a[4] != 8 {
			return 0, unix.EINVAL
		}
		mask, err := copyInUint64(t, a[3])
		if err != nil {
			return 0, err
		}
		old, err := t.SigProcMask(unix.SIG_SETMASK, &mask)
		if err != nil {
			return 0, err
		}
		defer t.SigProcMask(unix.SIG_SETMASK, &old)
	}
	return doPoll(t, a[0], int(a[1]), timeout)
}

// doPoll implements poll and ppoll: timeout < 0 waits for ever.
func doPoll(t *kernel.Task, addr uintptr, n int, timeout time.Duration) (uintptr, error) {
	if n < 0 || n > maxPollFDs {
		return 0, unix.EINVAL
	}
	pfds := make([]linux.Pollfd, n)
	buf := make([]byte, n*linux.SizeofPollfd)
	if _, err := t.MM().CopyIn(addr, buf); err != nil {
		return 0, err
	}
	for i := range pfds {
		pfds[i].UnmarshalBytes(buf[i*linux.SizeofPollfd:])
	}
	files := make([]*vfs.FileDescription, n)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.DecRef()
			}
		}
	}()
	for i, p := range pfds {
		if p.FD >= 0 {
			if f, err := getFile(t, p.FD); err == nil {
				files[i] = f
			}
		}
	}
	scan := func() int {
		ready := 0
		for i := range pfds {
			p := &pfds[i]
			p.Revents = 0
			if p.FD < 0 {
				continue
			}
			if files[i] == nil {
				p.Revents = unix.POLLNVAL
			} else {
				p.Revents = int16(files[i].Readiness(uint32(uint16(p.Events)) | unix.POLLERR | unix.POLLHUP))
			}
			if p.Revents != 0 {
				ready++
			}
		}
		return ready
	}

	var entry *vfs.Entry
	var deadline <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	for {
		// Register before scanning so no change is missed.
		if entry == nil && timeout != 0 {
			entry = vfs.NewEntry(^uint32(0))
			for _, f := range files {
				if f != nil {
					f.EventRegister(entry)
				}
			}
			defer func() {
				for _, f := range files {
					if f != nil {
						f.EventUnregister(entry)
					}
				}
			}()
		}
		ready := scan()
		if ready > 0 || timeout == 0 {
			for i := range pfds {
				pfds[i].MarshalBytes(buf[i*linux.SizeofPollfd:])
			}
			if _, err := t.MM().CopyOut(addr, buf); err != nil {
				return 0, err
			}
			return uintptr(ready), nil
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
