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
		tb.set(linux.SysTimerfdCreate, sysTimerfdCreate, argFD, argInt, argHex)
		tb.set(linux.SysTimerfdSettime, sysTimerfdSettime, argInt, argFD, argHex, argPtr, argPtr)
		tb.set(linux.SysTimerfdGettime, sysTimerfdGettime, argInt, argFD, argPtr)
	})
}

// timerfd_settime flags (<linux/timerfd.h>).
const (
	tfdTimerAbstime     = 1 << 0
	tfdTimerCancelOnSet = 1 << 1
)

// timerClock returns a reader of one of the clocks timers may use:
// CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME, as clock_gettime
// reads them (clockNow).
func timerClock(t *kernel.Task, clock int32) (vfs.Clock, error) {
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME:
		return func() int64 { return hostClock(clock) }, nil
	}
	return nil, unix.EINVAL
}

func sysTimerfdCreate(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := int(a[1])
	if flags&^(unix.TFD_CLOEXEC|unix.TFD_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	clock, err := timerClock(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	return installFile(t, vfs.NewTimerFD(clock, flags), flags&unix.TFD_CLOEXEC != 0)
}

// timerFD returns the timerfd that fd refers to (EBADF, or EINVAL for
// another kind of file).
func timerFD(t *kernel.Task, fd int32) (*vfs.FileDescription, *vfs.TimerFD, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	tf, ok := f.Impl().(*vfs.TimerFD)
	if !ok {
		f.DecRef()
		return nil, nil, unix.EINVAL
	}
	return f, tf, nil
}

// itimerspecOut converts a value and interval for the application.
func itimerspecOut(value, interval time.Duration) linux.Itimerspec {
	return linux.Itimerspec{Value: linux.NsecToTimespec(int64(value)), Interval: linux.NsecToTimespec(int64(interval))}
}

// copyInItimerspec reads and checks an itimerspec (EINVAL for a negative
// or unnormalised time).
func copyInItimerspec(t *kernel.Task, addr uintptr) (linux.Itimerspec, error) {
	var its linux.Itimerspec
	if err := copyIn(t, addr, &its); err != nil {
		return its, err
	}
	if !its.Value.Valid() || !its.Interval.Valid() || its.Value.Sec < 0 || its.Interval.Sec < 0 {
		return its, unix.EINVAL
	}
	return its, nil
}

func sysTimerfdSettime(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := int(a[1])
	if flags&^(tfdTimerAbstime|tfdTimerCancelOnSet) != 0 {
		return 0, unix.EINVAL
	}
	its, err := copyInItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	f, tf, err := timerFD(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	// TFD_TIMER_CANCEL_ON_SET is accepted: the sandbox's realtime clock
	// is never set, so there is never anything to cancel.
	ov, oi := tf.SetTime(its.Value.ToDuration(), its.Interval.ToDuration(), flags&tfdTimerAbstime != 0)
	if a[3] != 0 {
		old := itimerspecOut(ov, oi)
		return 0, copyOut(t, a[3], &old)
	}
	return 0, nil
}

func sysTimerfdGettime(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, tf, err := timerFD(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	cur := itimerspecOut(tf.GetTime())
	return 0, copyOut(t, a[1], &cur)
}
