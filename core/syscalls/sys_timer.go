package syscalls

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysAlarm, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return uintptr(t.Alarm(uint32(a[0]))), nil
		}, argInt, argInt)
		tb.set(linux.SysSetitimer, sysSetitimer, argInt, argInt, argPtr, argPtr)
		tb.set(linux.SysGetitimer, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			v, i, err := t.GetITimer(int(int32(a[0])))
			if err != nil {
				return 0, err
			}
			it := linux.Itimerval{Value: timevalUp(v), Interval: timevalUp(i)}
			return 0, copyOut(t, a[1], &it)
		}, argInt, argInt, argPtr)
		tb.set(linux.SysTimerCreate, sysTimerCreate, argInt, argInt, argPtr, argPtr)
		tb.set(linux.SysTimerSettime, sysTimerSettime, argInt, argInt, argHex, argPtr, argPtr)
		tb.set(linux.SysTimerGettime, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			v, i, err := t.TimerGettime(int32(a[0]))
			if err != nil {
				return 0, err
			}
			its := itimerspecOut(v, i)
			return 0, copyOut(t, a[1], &its)
		}, argInt, argInt, argPtr)
		tb.set(linux.SysTimerGetoverrun, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			n, err := t.TimerGetoverrun(int32(a[0]))
			return uintptr(n), err
		}, argInt, argInt)
		tb.set(linux.SysTimerDelete, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.TimerDelete(int32(a[0]))
		}, argInt, argInt)
	})
}

// timevalUp converts a timer's time left to a timeval, rounding a
// fraction of a microsecond up so that an armed timer never reads as 0.
func timevalUp(d time.Duration) linux.Timeval {
	return linux.DurationToTimeval(d + time.Microsecond - 1)
}

func sysSetitimer(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	var it linux.Itimerval
	// A NULL new value disarms, as Linux still accepts.
	if a[1] != 0 {
		if err := copyIn(t, a[1], &it); err != nil {
			return 0, err
		}
		if !it.Value.Valid() || !it.Interval.Valid() || it.Value.Sec < 0 || it.Interval.Sec < 0 {
			return 0, unix.EINVAL
		}
	}
	ov, oi, err := t.SetITimer(int(int32(a[0])), it.Value.ToDuration(), it.Interval.ToDuration())
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		old := linux.Itimerval{Value: timevalUp(ov), Interval: timevalUp(oi)}
		return 0, copyOut(t, a[2], &old)
	}
	return 0, nil
}

// sizeofSigevent is sizeof(struct sigevent).
const sizeofSigevent = 64

func sysTimerCreate(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	var ev *kernel.SigEvent
	if a[1] != 0 {
		var b [sizeofSigevent]byte
		if _, err := t.MM().CopyIn(a[1], b[:]); err != nil {
			return 0, err
		}
		ev = &kernel.SigEvent{
			Value:  le.Uint64(b[0:]),
			Signo:  int32(le.Uint32(b[8:])),
			Notify: int32(le.Uint32(b[12:])),
			TID:    int32(le.Uint32(b[16:])),
		}
	}
	id, err := t.TimerCreate(int32(a[0]), ev)
	if err != nil {
		return 0, err
	}
	if err := copyOutUint32(t, a[2], uint32(id)); err != nil {
		t.TimerDelete(id)
		return 0, err
	}
	return 0, nil
}

func sysTimerSettime(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := int(a[1])
	its, err := copyInItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	now := func(clock int32) time.Duration {
		ns, _ := clockNow(t, clock)
		return time.Duration(ns)
	}
	ov, oi, err := t.TimerSettime(int32(a[0]), flags&kernel.TimerAbstime != 0, its.Value.ToDuration(), its.Interval.ToDuration(), now)
	if err != nil {
		return 0, err
	}
	if a[3] != 0 {
		old := itimerspecOut(ov, oi)
		return 0, copyOut(t, a[3], &old)
	}
	return 0, nil
}
