package syscalls

import (
	"fmt"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysClockGettime, sysClockGettime, argInt, argInt, argPtr)
		tb.set(linux.SysClockGetres, sysClockGetres, argInt, argInt, argPtr)
		tb.set(linux.SysGettimeofday, sysGettimeofday, argInt, argPtr, argPtr)
		tb.set(linux.SysTime, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			now := time.Now().Unix()
			if a[0] != 0 {
				if err := copyOutUint64(t, a[0], uint64(now)); err != nil {
					return 0, err
				}
			}
			return uintptr(now), nil
		}, argInt, argPtr)
		tb.set(linux.SysNanosleep, sysNanosleep, argInt, argPtr, argPtr)
		tb.set(linux.SysClockNanosleep, sysClockNanosleep, argInt, argInt, argHex, argPtr, argPtr)
	})
}

// clockNow reads one of the clocks a process can ask for.
//
// The wall-clock and elapsed-time clocks are the host's. Programs read them
// through the vDSO as well as through clock_gettime(2), and the vDSO is the
// host's (platform.VDSOProvider), so the system call must give the same
// times; CLOCK_MONOTONIC and CLOCK_BOOTTIME therefore count from the host's
// boot, not the sandbox's (/proc/uptime is the sandbox's).
func clockNow(t *kernel.Task, clock int32) (int64, error) {
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_REALTIME_COARSE, unix.CLOCK_MONOTONIC, unix.CLOCK_MONOTONIC_COARSE,
		unix.CLOCK_MONOTONIC_RAW, unix.CLOCK_BOOTTIME:
		return hostClock(clock), nil
	case unix.CLOCK_PROCESS_CPUTIME_ID:
		return int64(processCPU(t)), nil
	case unix.CLOCK_THREAD_CPUTIME_ID:
		return int64(t.CPUTime()), nil
	}
	return 0, unix.EINVAL
}

// hostClock reads the host's clock id, one that always exists.
func hostClock(id int32) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		panic(fmt.Sprintf("clock_gettime(%d) on the host: %v", id, err))
	}
	return ts.Nano()
}

// processCPU is the running time of the caller's process: its live and
// exited threads.
func processCPU(t *kernel.Task) time.Duration {
	return groupCPU(t.ThreadGroup())
}

func sysClockGettime(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	ns, err := clockNow(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	ts := linux.NsecToTimespec(ns)
	return 0, copyOut(t, a[1], &ts)
}

func sysClockGetres(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if _, err := clockNow(t, int32(a[0])); err != nil {
		return 0, err
	}
	if a[1] == 0 {
		return 0, nil
	}
	res := linux.Timespec{Nsec: 1}
	switch int32(a[0]) {
	case unix.CLOCK_REALTIME_COARSE, unix.CLOCK_MONOTONIC_COARSE:
		res.Nsec = 4000000
	}
	return 0, copyOut(t, a[1], &res)
}

func sysGettimeofday(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[0] != 0 {
		tv := linux.DurationToTimeval(time.Duration(time.Now().UnixNano()))
		if err := copyOut(t, a[0], &tv); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		// struct timezone: always UTC inside the sandbox.
		if _, err := t.MM().CopyOut(a[1], make([]byte, 8)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func sysNanosleep(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	var req linux.Timespec
	if err := copyIn(t, a[0], &req); err != nil {
		return 0, err
	}
	if !req.Valid() || req.Sec < 0 {
		return 0, unix.EINVAL
	}
	left, err := t.Sleep(req.ToDuration())
	if err == unix.EINTR && a[1] != 0 {
		rem := linux.NsecToTimespec(int64(left))
		if cerr := copyOut(t, a[1], &rem); cerr != nil {
			return 0, cerr
		}
	}
	return 0, err
}

func sysClockNanosleep(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	clock, flags := int32(a[0]), int(a[1])
	var req linux.Timespec
	if err := copyIn(t, a[2], &req); err != nil {
		return 0, err
	}
	if !req.Valid() || req.Sec < 0 {
		return 0, unix.EINVAL
	}
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME:
	case unix.CLOCK_THREAD_CPUTIME_ID:
		return 0, unix.EINVAL
	default:
		if _, err := clockNow(t, clock); err != nil {
			return 0, err
		}
		return 0, unix.ENOTSUP
	}
	d := req.ToDuration()
	if flags&unix.TIMER_ABSTIME != 0 {
		now, _ := clockNow(t, clock)
		d = time.Duration(req.ToNsec() - now)
		_, err := t.Sleep(d)
		return 0, err
	}
	left, err := t.Sleep(d)
	if err == unix.EINTR && a[3] != 0 {
		rem := linux.NsecToTimespec(int64(left))
		if cerr := copyOut(t, a[3], &rem); cerr != nil {
			return 0, cerr
		}
	}
	return 0, err
}
