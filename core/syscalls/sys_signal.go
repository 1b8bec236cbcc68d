package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysRtSigaction, sysRtSigaction, argInt, argSignal, argPtr, argPtr, argInt)
		tb.set(linux.SysRtSigprocmask, sysRtSigprocmask, argInt, argInt, argPtr, argPtr, argInt)
		tb.set(linux.SysRtSigpending, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if a[1] != 8 {
				return 0, unix.EINVAL
			}
			return 0, copyOutUint64(t, a[0], t.SigPending())
		}, argInt, argPtr, argInt)
		tb.set(linux.SysSigaltstack, sysSigaltstack, argInt, argPtr, argPtr)
		tb.set(linux.SysRtSigreturn, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SigReturn()
		}, argInt)
		tb.set(linux.SysRtSigsuspend, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if a[1] != 8 {
				return 0, unix.EINVAL
			}
			mask, err := copyInUint64(t, a[0])
			if err != nil {
				return 0, err
			}
			return 0, t.SigSuspend(mask)
		}, argInt, argPtr, argInt)
		tb.set(linux.SysKill, sysKill, argInt, argInt, argSignal)
		tb.set(linux.SysTgkill, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, signalThread(t, int32(a[0]), int32(a[1]), int(a[2]))
		}, argInt, argInt, argInt, argSignal)
		tb.set(linux.SysTkill, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, signalThread(t, -1, int32(a[0]), int(a[1]))
		}, argInt, argInt, argSignal)
	})
}

func sysRtSigaction(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[3] != 8 {
		return 0, unix.EINVAL
	}
	var act *kernel.SigAction
	if a[1] != 0 {
		var la linux.SigAction
		if err := copyIn(t, a[1], &la); err != nil {
			return 0, err
		}
		act = &kernel.SigAction{Handler: uintptr(la.Handler), Flags: la.Flags, Restorer: uintptr(la.Restorer), Mask: la.Mask}
	}
	old, err := t.SigAction(int(a[0]), act)
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		la := linux.SigAction{Handler: uint64(old.Handler), Flags: old.Flags, Restorer: uint64(old.Restorer), Mask: old.Mask}
		if err := copyOut(t, a[2], &la); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func sysRtSigprocmask(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[3] != 8 {
		return 0, unix.EINVAL
	}
	var set *uint64
	if a[1] != 0 {
		v, err := copyInUint64(t, a[1])
		if err != nil {
			return 0, err
		}
		set = &v
	}
	old, err := t.SigProcMask(int(a[0]), set)
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		return 0, copyOutUint64(t, a[2], old)
	}
	return 0, nil
}

func sysSigaltstack(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	var ss *kernel.SignalStack
	if a[0] != 0 {
		var ls linux.SignalStack
		if err := copyIn(t, a[0], &ls); err != nil {
			return 0, err
		}
		ss = &kernel.SignalStack{Sp: ls.Sp, Flags: uint32(ls.Flags), Size: ls.Size}
	}
	old, err := t.SigAltStack(ss)
	if err != nil {
		return 0, err
	}
	if a[1] != 0 {
		ls := linux.SignalStack{Sp: old.Sp, Flags: int32(old.Flags), Size: old.Size}
		return 0, copyOut(t, a[1], &ls)
	}
	return 0, nil
}

// sysKill implements kill(2): pid > 0 a process, 0 the caller's process
// group, -1 every process it may signal but init and itself, < -1 process
// group -pid.
func sysKill(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	pid, sig := int32(a[0]), int(a[1])
	if sig < 0 || sig > kernel.NumSignals {
		return 0, unix.EINVAL
	}
	k := t.Kernel()
	var targets []*kernel.ThreadGroup
	switch {
	case pid > 0:
		tg, ok := k.FindProcess(pid)
		if !ok {
			return 0, unix.ESRCH
		}
		return 0, t.SendSignalTo(tg, sig)
	case pid == 0:
		pg, _ := t.ProcessGroup(0)
		targets = k.ProcessesInGroup(pg)
	case pid == -1:
		for _, tg := range k.AllProcesses() {
			if tg.TGID() != 1 && tg != t.ThreadGroup() {
				targets = append(targets, tg)
			}
		}
	default:
		targets = k.ProcessesInGroup(-pid)
	}
	if len(targets) == 0 {
		return 0, unix.ESRCH
	}
	var lastErr error = unix.EPERM
	sent := false
	for _, tg := range targets {
		if err := t.SendSignalTo(tg, sig); err == nil {
			sent = true
		} else {
			lastErr = err
		}
	}
	if sent {
		return 0, nil
	}
	return 0, lastErr
}

// signalThread implements tgkill and tkill (tgid -1): the signal is
// pending for that thread alone, and only its mask decides when it is
// delivered.
func signalThread(t *kernel.Task, tgid, tid int32, sig int) error {
	if tid <= 0 || (tgid != -1 && tgid <= 0) || sig < 0 || sig > kernel.NumSignals {
		return unix.EINVAL
	}
	target, ok := t.Kernel().FindTask(tid)
	if !ok || (tgid != -1 && target.PID() != tgid) {
		return unix.ESRCH
	}
	return t.SendSignalToThread(target, sig)
}
