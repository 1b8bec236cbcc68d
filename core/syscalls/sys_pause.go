package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		// pause(2) waits for a signal that runs a handler or ends the
		// process: rt_sigsuspend with the current mask (EINTR, never
		// restarted).
		tb.set(linux.SysPause, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			mask, err := t.SigProcMask(unix.SIG_BLOCK, nil)
			if err != nil {
				return 0, err
			}
			return 0, t.SigSuspend(mask)
		}, argInt)
	})
}
