package syscalls

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysFutex, sysFutex, argInt, argPtr, argHex, argInt, argPtr, argPtr, argInt)
	})
}

const (
	futexCmdMask       = 0x7f
	futexPrivate       = 128
	futexClockRealtime = 256
)

// sysFutex implements futex(2): WAIT, WAKE, their BITSET forms, REQUEUE,
// CMP_REQUEUE and WAKE_OP. The priority-inheritance operations answer
// ENOSYS, which glibc reports to the caller of a PI mutex (no test needs
// them; docs/kernel.md).
func sysFutex(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	addr, op, val := a[0], int(a[1]), uint32(a[2])
	cmd := op & futexCmdMask
	private := op&futexPrivate != 0
	if op&futexClockRealtime != 0 && cmd != linux.FUTEX_WAIT && cmd != linux.FUTEX_WAIT_BITSET {
		return 0, unix.ENOSYS
	}
	switch cmd {
	case linux.FUTEX_WAIT, linux.FUTEX_WAIT_BITSET:
		bitset := ^uint32(0)
		if cmd == linux.FUTEX_WAIT_BITSET {
			bitset = uint32(a[5])
		}
		var deadline time.Time
		if a[3] != 0 {
			var ts linux.Timespec
			if err := copyIn(t, a[3], &ts); err != nil {
				return 0, err
			}
			if !ts.Valid() || ts.Sec < 0 {
				return 0, unix.EINVAL
			}
			if cmd == linux.FUTEX_WAIT {
				deadline = time.Now().Add(ts.ToDuration())
			} else if op&futexClockRealtime != 0 {
				deadline = time.Unix(ts.Sec, ts.Nsec)
			} else {
				now, _ := clockNow(t, unix.CLOCK_MONOTONIC)
				deadline = time.Now().Add(time.Duration(ts.ToNsec() - now))
			}
		}
		return 0, t.FutexWait(addr, val, bitset, deadline, private)
	case linux.FUTEX_WAKE, linux.FUTEX_WAKE_BITSET:
		bitset := ^uint32(0)
		if cmd == linux.FUTEX_WAKE_BITSET {
			bitset = uint32(a[5])
		}
		n, err := t.FutexWake(addr, int(int32(val)), bitset, private)
		return uintptr(n), err
	case linux.FUTEX_REQUEUE, linux.FUTEX_CMP_REQUEUE:
		// The fourth argument is a count here, not a timeout.
		n, err := t.FutexRequeue(addr, a[4], int(int32(val)), int(int32(a[3])), cmd == linux.FUTEX_CMP_REQUEUE, uint32(a[5]), private)
		return uintptr(n), err
	case linux.FUTEX_WAKE_OP:
		n, err := t.FutexWakeOp(addr, a[4], int(int32(val)), int(int32(a[3])), uint32(a[5]), private)
		return uintptr(n), err
	}
	// The PI operations (LOCK_PI, UNLOCK_PI, TRYLOCK_PI, WAIT_REQUEUE_PI,
	// CMP_REQUEUE_PI, LOCK_PI2) and FUTEX_FD.
	return 0, unix.ENOSYS
}
