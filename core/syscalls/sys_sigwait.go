package syscalls

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysRtSigtimedwait, sysRtSigtimedwait, argSignal, argPtr, argPtr, argPtr, argInt)
		tb.set(linux.SysRtSigqueueinfo, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			tg, ok := t.Kernel().FindProcess(int32(a[0]))
			if !ok {
				return 0, unix.ESRCH
			}
			return 0, queueSignal(t, tg, int(a[1]), a[2])
		}, argInt, argInt, argSignal, argPtr)
		tb.set(linux.SysRtTgsigqueueinfo, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			tgid, tid := int32(a[0]), int32(a[1])
			if tgid <= 0 || tid <= 0 {
				return 0, unix.EINVAL
			}
			target, ok := t.Kernel().FindTask(tid)
			if !ok || target.PID() != tgid {
				return 0, unix.ESRCH
			}
			var info linux.Siginfo
			if err := copyIn(t, a[3], &info); err != nil {
				return 0, err
			}
			return 0, t.QueueSignalToThread(target, int(a[2]), &info)
		}, argInt, argInt, argInt, argSignal, argPtr)
	})
}

func sysRtSigtimedwait(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[3] != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	set, err := copyInUint64(t, a[0])
	if err != nil {
		return 0, err
	}
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
	info, err := t.SigTimedWait(set, timeout)
	if err != nil {
		return 0, err
	}
	if a[1] != 0 {
		if err := copyOut(t, a[1], &info); err != nil {
			return 0, err
		}
	}
	return uintptr(info.Signo), nil
}

// queueSignal reads the siginfo at addr and sends it (rt_sigqueueinfo).
func queueSignal(t *kernel.Task, tg *kernel.ThreadGroup, sig int, addr uintptr) error {
	var info linux.Siginfo
	if err := copyIn(t, addr, &info); err != nil {
		return err
	}
	return t.QueueSignal(tg, sig, &info)
}
