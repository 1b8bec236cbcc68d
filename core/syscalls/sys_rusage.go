package syscalls

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// getrusage(2), from the kernel's CPU accounting: the ptrace platform
// measures the time a task runs application code, which is reported as
// user time; the time Ward spends serving a task's system calls is not
// attributed to it, so system time is 0.
//
// Limitations, from what the kernel accounts today: a process's CPU total
// (ThreadGroup's exited-thread time) also absorbs the time of the children
// it reaped, so RUSAGE_SELF includes them and RUSAGE_CHILDREN reports 0.
// ru_maxrss is the current resident size, not its peak.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysGetrusage, sysGetrusage, argInt, argInt, argPtr)
	})
}

func sysGetrusage(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	var ru linux.Rusage
	switch int32(a[0]) {
	case unix.RUSAGE_THREAD:
		ru.Utime = linux.DurationToTimeval(t.CPUTime())
		ru.MaxRSS = maxRSS(t)
	case unix.RUSAGE_SELF:
		ru.Utime = linux.DurationToTimeval(groupCPU(t.ThreadGroup()))
		ru.MaxRSS = maxRSS(t)
	case unix.RUSAGE_CHILDREN:
		ru.Utime = linux.DurationToTimeval(t.ThreadGroup().Info().ChildrenCPU)
	default:
		return 0, unix.EINVAL
	}
	return 0, copyOut(t, a[1], &ru)
}

// groupCPU is the CPU time of tg's live and exited threads.
func groupCPU(tg *kernel.ThreadGroup) time.Duration {
	info := tg.Info()
	total := info.ExitedCPU
	for _, th := range info.Threads {
		total += th.CPUTime()
	}
	return total
}

// maxRSS is ru_maxrss in kilobytes.
func maxRSS(t *kernel.Task) int64 {
	if m := t.MM(); m != nil {
		return int64(m.ResidentSize() / 1024)
	}
	return 0
}
