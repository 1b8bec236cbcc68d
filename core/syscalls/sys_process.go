package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysGetpid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) { return uintptr(t.PID()), nil }, argInt)
		tb.set(linux.SysGetppid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) { return uintptr(t.PPID()), nil }, argInt)
		tb.set(linux.SysGettid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) { return uintptr(t.TID()), nil }, argInt)
		tb.set(linux.SysExit, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) { return 0, t.Exit(int(a[0])) }, argInt, argInt)
		tb.set(linux.SysExitGroup, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) { return 0, t.ExitGroup(int(a[0])) }, argInt, argInt)
		tb.set(linux.SysClone, sysClone, argInt, argHex, argPtr, argPtr, argPtr, argHex)
		tb.set(linux.SysClone3, sysClone3, argInt, argPtr, argInt)
		tb.set(linux.SysFork, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return cloneResult(t.Clone(kernel.CloneOptions{ExitSignal: int(unix.SIGCHLD)}))
		}, argInt)
		tb.set(linux.SysVfork, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return cloneResult(t.Clone(kernel.CloneOptions{Flags: unix.CLONE_VM | unix.CLONE_VFORK, ExitSignal: int(unix.SIGCHLD)}))
		}, argInt)
		tb.set(linux.SysWait4, sysWait4, argInt, argInt, argPtr, argHex, argPtr)
		tb.set(linux.SysWaitid, sysWaitid, argInt, argInt, argInt, argPtr, argHex, argPtr)
		tb.set(linux.SysSetTidAddress, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			t.SetClearChildTID(a[0])
			return uintptr(t.TID()), nil
		}, argInt, argPtr)
		tb.set(linux.SysSetRobustList, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if a[1] != 24 { // sizeof(struct robust_list_head)
				return 0, unix.EINVAL
			}
			t.SetRobustList(a[0])
			return 0, nil
		}, argInt, argPtr, argInt)
		tb.set(linux.SysGetRobustList, sysGetRobustList, argInt, argInt, argPtr, argPtr)
		tb.set(linux.SysRseq, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			// Restartable sequences are deliberately not offered: the C
			// library registers one at start-up and falls back when
			// the kernel says ENOSYS.
			return 0, unix.ENOSYS
		}, argInt, argPtr, argInt, argHex, argHex)
		tb.set(linux.SysSchedGetparam, sysSchedGetparam, argInt, argInt, argPtr)
		tb.set(linux.SysSchedSetparam, sysSchedSetparam, argInt, argInt, argPtr)
		tb.set(linux.SysSchedGetscheduler, sysSchedGetscheduler, argInt, argInt)
		tb.set(linux.SysSchedSetscheduler, sysSchedSetscheduler, argInt, argInt, argInt, argPtr)
		tb.set(linux.SysSchedGetPriorityMax, sysSchedPriority(true), argInt, argInt)
		tb.set(linux.SysSchedGetPriorityMin, sysSchedPriority(false), argInt, argInt)
		tb.set(linux.SysSchedRrGetInterval, sysSchedRRGetInterval, argInt, argInt, argPtr)
		tb.set(linux.SysMembarrier, sysMembarrier, argInt, argInt, argHex, argInt)
		tb.set(linux.SysArchPrctl, sysArchPrctl, argInt, argHex, argPtr)
		tb.set(linux.SysPrctl, sysPrctl, argInt, argInt, argHex, argHex, argHex, argHex)
		tb.set(linux.SysSetpgid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return 0, t.SetProcessGroup(int32(a[0]), int32(a[1]))
		}, argInt, argInt, argInt)
		tb.set(linux.SysGetpgid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			pg, err := t.ProcessGroup(int32(a[0]))
			return uintptr(pg), err
		}, argInt, argInt)
		tb.set(linux.SysGetpgrp, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			pg, err := t.ProcessGroup(0)
			return uintptr(pg), err
		}, argInt)
		tb.set(linux.SysSetsid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			sid, err := t.SetSession()
			return uintptr(sid), err
		}, argInt)
		tb.set(linux.SysGetsid, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			sid, err := t.Session(int32(a[0]))
			return uintptr(sid), err
		}, argInt, argInt)
	})
}

func cloneResult(tid int32, err error) (uintptr, error) {
	if err != nil {
		return 0, err
	}
	return uintptr(tid), nil
}

// sysClone: on x86-64 the argument order is flags, stack, parent_tid,
// child_tid, tls. With CLONE_PIDFD the pidfd goes where parent_tid points.
func sysClone(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := uint64(a[0])
	if flags&unix.CLONE_PIDFD != 0 && flags&unix.CLONE_PARENT_SETTID != 0 {
		return 0, unix.EINVAL
	}
	opts := kernel.CloneOptions{
		Flags:      flags &^ 0xff,
		ExitSignal: int(flags & 0xff),
		Stack:      a[1],
		ParentTID:  a[2],
		ChildTID:   a[3],
		TLS:        a[4],
	}
	if flags&unix.CLONE_PIDFD != 0 {
		opts.ParentTID = 0
		return cloneWithPidfd(t, opts, a[2])
	}
	return cloneResult(t.Clone(opts))
}

// cloneWithPidfd is clone with CLONE_PIDFD: it also makes a pidfd for the
// new process and stores its number at pidfdAddr. The address is checked
// before the clone, so that a bad one fails the call without a child.
func cloneWithPidfd(t *kernel.Task, opts kernel.CloneOptions, pidfdAddr uintptr) (uintptr, error) {
	if opts.Flags&unix.CLONE_THREAD != 0 {
		return 0, unix.EINVAL
	}
	var word [4]byte
	if _, err := t.MM().CopyOut(pidfdAddr, word[:]); err != nil {
		return 0, unix.EFAULT
	}
	opts.Flags &^= unix.CLONE_PIDFD
	tid, err := t.Clone(opts)
	if err != nil {
		return 0, err
	}
	// The child may already have exited, and, its parent ignoring
	// SIGCHLD, been reaped: then its pidfd is of a process that is gone.
	tg, _ := t.Kernel().ProcessByPID(tid)
	if tg != nil && tg.TGID() != tid {
		tg = nil
	}
	fd, err := installFile(t, newPidFD(tg, false), true)
	if err != nil {
		// Linux reserves the descriptor before it clones; here the
		// child exists already and the caller learns of it by its
		// PID only.
		return uintptr(tid), nil
	}
	le := uint32(fd)
	word = [4]byte{byte(le), byte(le >> 8), byte(le >> 16), byte(le >> 24)}
	t.MM().CopyOut(pidfdAddr, word[:])
	return uintptr(tid), nil
}

// sysClone3 decodes struct clone_args (<linux/sched.h>).
func sysClone3(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	const minSize = 64 // CLONE_ARGS_SIZE_VER0
	size := int(a[1])
	if size < minSize || size > 4096 {
		return 0, unix.EINVAL
	}
	buf := make([]byte, size)
	if _, err := t.MM().CopyIn(a[0], buf); err != nil {
		return 0, err
	}
	u := func(i int) uint64 { return le64(buf[i*8:]) }
	// Fields beyond the ones Ward knows must be zero.
	for i := 88; i < size; i++ {
		if buf[i] != 0 {
			return 0, unix.E2BIG
		}
	}
	flags, pidfd, childTID, parentTID, exitSignal, stack, stackSize, tls := u(0), u(1), u(2), u(3), u(4), u(5), u(6), u(7)
	// pidfd is read only with CLONE_PIDFD (glibc's pthread_create
	// fills it anyway).
	if exitSignal > 64 || (size >= 88 && (u(8) != 0 || u(9) != 0 || u(10) != 0)) {
		return 0, unix.EINVAL
	}
	var sp uintptr
	if stack != 0 {
		sp = uintptr(stack + stackSize)
	}
	opts := kernel.CloneOptions{
		Flags:      flags,
		ExitSignal: int(exitSignal),
		Stack:      sp,
		ParentTID:  uintptr(parentTID),
		ChildTID:   uintptr(childTID),
		TLS:        uintptr(tls),
	}
	if flags&unix.CLONE_PIDFD != 0 {
		return cloneWithPidfd(t, opts, uintptr(pidfd))
	}
	return cloneResult(t.Clone(opts))
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

const (
	wNoHang    = 0x1
	wUntraced  = 0x2 // WSTOPPED for waitid
	wExited    = 0x4
	wContinued = 0x8
	wNoWait    = 0x01000000
	wNoThread  = 0x20000000
	wAll       = 0x40000000
	wClone     = 0x80000000
)

// sysWait4 implements wait4(2): exits always, stops with WUNTRACED,
// continues with WCONTINUED.
func sysWait4(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	opts := int(a[2])
	if opts&^(wNoHang|wUntraced|wContinued|wNoThread|wAll|wClone) != 0 {
		return 0, unix.EINVAL
	}
	res, err := t.Wait(kernel.WaitOptions{
		PID:       int32(a[0]),
		Exited:    true,
		Stopped:   opts&wUntraced != 0,
		Continued: opts&wContinued != 0,
		NoHang:    opts&wNoHang != 0,
	})
	if err != nil || res.PID == 0 {
		return 0, err
	}
	if a[1] != 0 {
		if err := copyOutUint32(t, a[1], res.WaitStatus()); err != nil {
			return 0, err
		}
	}
	if a[3] != 0 {
		ru := linux.Rusage{Utime: linux.DurationToTimeval(res.CPU)}
		if err := copyOut(t, a[3], &ru); err != nil {
			return 0, err
		}
	}
	return uintptr(res.PID), nil
}

// waitid idtypes (<linux/wait.h>).
const (
	pAll   = 0
	pPID   = 1
	pPGID  = 2
	pPIDFD = 3
)

// sysWaitid implements waitid(2) with WEXITED, WSTOPPED, WCONTINUED,
// WNOHANG and WNOWAIT.
func sysWaitid(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	idtype, id, opts := int(a[0]), int32(a[1]), int(a[3])
	if opts&^(wNoHang|wExited|wUntraced|wContinued|wNoWait|wNoThread|wAll|wClone) != 0 || opts&(wExited|wUntraced|wContinued) == 0 {
		return 0, unix.EINVAL
	}
	var pid int32
	pidfdNonblock := false
	switch idtype {
	case pPIDFD:
		var err error
		if pid, pidfdNonblock, err = pidfdWaitTarget(t, id); err != nil {
			return 0, err
		}
	case pAll:
		pid = -1
	case pPID:
		if id <= 0 {
			return 0, unix.EINVAL
		}
		pid = id
	case pPGID:
		if id < 0 {
			return 0, unix.EINVAL
		}
		pid = -id
		if id == 0 {
			pid = 0
		}
	default:
		return 0, unix.EINVAL
	}
	res, err := t.Wait(kernel.WaitOptions{
		PID:       pid,
		Exited:    opts&wExited != 0,
		Stopped:   opts&wUntraced != 0,
		Continued: opts&wContinued != 0,
		NoHang:    opts&wNoHang != 0 || pidfdNonblock,
		NoWait:    opts&wNoWait != 0,
	})
	if err != nil {
		return 0, err
	}
	if pidfdNonblock && res.PID == 0 && opts&wNoHang == 0 {
		// A non-blocking pidfd's process has not changed state.
		return 0, unix.EAGAIN
	}
	if a[2] != 0 {
		var si linux.Siginfo
		if res.PID != 0 {
			si.Signo = int32(unix.SIGCHLD)
			si.SetPID(res.PID)
			si.SetUID(res.UID)
			code, status := res.SiginfoCode()
			si.Code = code
			si.SetStatus(status)
		}
		if err := copyOut(t, a[2], &si); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func sysGetRobustList(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[0] != 0 && int32(a[0]) != t.TID() {
		return 0, unix.EPERM
	}
	if err := copyOutUint64(t, a[1], uint64(t.RobustList())); err != nil {
		return 0, err
	}
	return 0, copyOutUint64(t, a[2], 24)
}

func sysArchPrctl(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	r := t.Regs()
	switch int(a[0]) {
	case linux.ARCH_SET_FS:
		if uint64(a[1]) >= 1<<47 {
			return 0, unix.EPERM
		}
		r.Fs_base = uint64(a[1])
	case linux.ARCH_SET_GS:
		if uint64(a[1]) >= 1<<47 {
			return 0, unix.EPERM
		}
		r.Gs_base = uint64(a[1])
	case linux.ARCH_GET_FS:
		return 0, copyOutUint64(t, a[1], r.Fs_base)
	case linux.ARCH_GET_GS:
		return 0, copyOutUint64(t, a[1], r.Gs_base)
	default:
		return 0, unix.EINVAL
	}
	return 0, nil
}

func sysPrctl(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	switch int(a[0]) {
	case unix.PR_SET_NAME:
		name, err := t.MM().CopyInString(a[1], 16)
		if err != nil && err != unix.ENAMETOOLONG {
			return 0, err
		}
		t.SetComm(name)
		return 0, nil
	case unix.PR_GET_NAME:
		var buf [16]byte
		copy(buf[:15], t.Comm())
		_, err := t.MM().CopyOut(a[1], buf[:])
		return 0, err
	case unix.PR_SET_PDEATHSIG:
		if a[1] > kernel.NumSignals {
			return 0, unix.EINVAL
		}
		t.ThreadGroup().SetParentDeathSignal(int(a[1]))
		return 0, nil
	case unix.PR_GET_PDEATHSIG:
		return 0, copyOutUint32(t, a[1], uint32(t.ThreadGroup().ParentDeathSignal()))
	case unix.PR_SET_NO_NEW_PRIVS:
		if a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, unix.EINVAL
		}
		// Ward grants no privilege through exec (no setuid files), so
		// the flag holds trivially.
		return 0, nil
	case unix.PR_GET_NO_NEW_PRIVS:
		return 1, nil
	case unix.PR_GET_DUMPABLE:
		return 1, nil
	case unix.PR_SET_DUMPABLE:
		if a[1] > 1 {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	return 0, unix.EINVAL
}

// Scheduling policies (<linux/sched.h>).
const (
	schedOther        = 0
	schedFIFO         = 1
	schedRR           = 2
	schedBatch        = 3
	schedIdle         = 5
	schedResetOnFork  = 0x40000000
	schedRRIntervalNs = 100_000_000
)

// schedTarget checks sched_*'s pid argument: 0 is the caller, else a live
// thread ID.
func schedTarget(t *kernel.Task, pid int32) error {
	if pid < 0 {
		return unix.EINVAL
	}
	if pid == 0 {
		return nil
	}
	if _, ok := t.Kernel().FindTask(pid); !ok {
		return unix.ESRCH
	}
	return nil
}

// sysSchedGetparam, sysSchedSetscheduler and friends: Ward schedules every
// thread as SCHED_OTHER on the host (application threads are host threads
// of the stub); the calls answer that truthfully, accept the normal
// policies and refuse real-time ones with EPERM.
func sysSchedGetparam(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, unix.EINVAL
	}
	if err := schedTarget(t, int32(a[0])); err != nil {
		return 0, err
	}
	return 0, copyOutUint32(t, a[1], 0)
}

func sysSchedGetscheduler(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	return schedOther, schedTarget(t, int32(a[0]))
}

func schedPolicyCheck(policy int, prio uint32) error {
	switch policy &^ schedResetOnFork {
	case schedOther, schedBatch, schedIdle:
		if prio != 0 {
			return unix.EINVAL
		}
		return nil
	case schedFIFO, schedRR:
		if prio < 1 || prio > 99 {
			return unix.EINVAL
		}
		return unix.EPERM
	}
	return unix.EINVAL
}

func sysSchedSetscheduler(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[2] == 0 {
		return 0, unix.EINVAL
	}
	if err := schedTarget(t, int32(a[0])); err != nil {
		return 0, err
	}
	var b [4]byte
	if _, err := t.MM().CopyIn(a[2], b[:]); err != nil {
		return 0, unix.EFAULT
	}
	return 0, schedPolicyCheck(int(int32(a[1])), uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24)
}

func sysSchedSetparam(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, unix.EINVAL
	}
	if err := schedTarget(t, int32(a[0])); err != nil {
		return 0, err
	}
	var b [4]byte
	if _, err := t.MM().CopyIn(a[1], b[:]); err != nil {
		return 0, unix.EFAULT
	}
	return 0, schedPolicyCheck(schedOther, uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24)
}

func sysSchedPriority(max bool) Handler {
	return func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
		switch int(int32(a[0])) {
		case schedFIFO, schedRR:
			if max {
				return 99, nil
			}
			return 1, nil
		case schedOther, schedBatch, schedIdle:
			return 0, nil
		}
		return 0, unix.EINVAL
	}
}

func sysSchedRRGetInterval(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if err := schedTarget(t, int32(a[0])); err != nil {
		return 0, err
	}
	ts := linux.NsecToTimespec(schedRRIntervalNs)
	return 0, copyOut(t, a[1], &ts)
}

// membarrier commands (<linux/membarrier.h>).
const (
	membarrierQuery                   = 0
	membarrierGlobal                  = 1 << 0
	membarrierGlobalExpedited         = 1 << 1
	membarrierRegGlobalExpedited      = 1 << 2
	membarrierPrivateExpedited        = 1 << 3
	membarrierRegPrivateExpedited     = 1 << 4
	membarrierPrivateExpeditedSync    = 1 << 5
	membarrierRegPrivateExpeditedSync = 1 << 6
	membarrierSupported               = membarrierGlobal | membarrierGlobalExpedited | membarrierRegGlobalExpedited |
		membarrierPrivateExpedited | membarrierRegPrivateExpedited |
		membarrierPrivateExpeditedSync | membarrierRegPrivateExpeditedSync
)

// sysMembarrier implements membarrier(2) without the rseq commands.
//
// Registration always succeeds, and the barrier commands are correct as
// follows. The calling thread entered Ward through a ptrace stop, a full
// barrier on its CPU. An application thread that is not running user
// code is stopped in the host kernel (ptrace or a Ward wait), and will
// pass through the host kernel's context switch, a serialising event,
// before it runs again. For threads running user code at that instant,
// Ward asks the host for MEMBARRIER_CMD_GLOBAL, which makes every host
// thread (the stub threads included) pass a barrier; where the host
// refuses it, the call is still answered 0, and the guarantee then holds
// only for threads not running at that instant (see docs/kernel.md).
// Ward does not track registration, so the expedited commands do not
// fail with EPERM when unregistered.
func sysMembarrier(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	cmd, flags := int(a[0]), uint(a[1])
	if flags != 0 {
		return 0, unix.EINVAL
	}
	switch cmd {
	case membarrierQuery:
		return membarrierSupported, nil
	case membarrierRegGlobalExpedited, membarrierRegPrivateExpedited, membarrierRegPrivateExpeditedSync:
		return 0, nil
	case membarrierGlobal, membarrierGlobalExpedited, membarrierPrivateExpedited, membarrierPrivateExpeditedSync:
		unix.Syscall(unix.SYS_MEMBARRIER, membarrierGlobal, 0, 0)
		return 0, nil
	}
	return 0, unix.EINVAL
}
