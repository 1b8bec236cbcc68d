package syscalls

import (
	"crypto/rand"
	"runtime"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// The sandbox's kernel identity, as uname reports it. The release is a
// Linux version whose ABI Ward follows, so that programs that check it
// (glibc needs at least 3.2) run; the version string says it is Ward.
const (
	unameSysname = "Linux"
	unameRelease = "6.1.0-ward"
	unameVersion = "#1 SMP Ward application kernel"
	unameMachine = "x86_64"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysUname, sysUname, argInt, argPtr)
		tb.set(linux.SysSysinfo, sysSysinfo, argInt, argPtr)
		tb.set(linux.SysGetrandom, sysGetrandom, argInt, argPtr, argInt, argHex)
		tb.set(linux.SysSchedGetaffinity, sysSchedGetaffinity, argInt, argInt, argInt, argPtr)
		tb.set(linux.SysSchedSetaffinity, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			// Placement is the host scheduler's business; accept any
			// mask that names a CPU the sandbox has.
			if a[1] == 0 {
				return 0, unix.EINVAL
			}
			return 0, nil
		}, argInt, argInt, argInt, argPtr)
		tb.set(linux.SysSchedYield, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			runtime.Gosched()
			return 0, nil
		}, argInt)
		tb.set(linux.SysGetcpu, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			if a[0] != 0 {
				if err := copyOutUint32(t, a[0], 0); err != nil {
					return 0, err
				}
			}
			if a[1] != 0 {
				if err := copyOutUint32(t, a[1], 0); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}, argInt, argPtr, argPtr, argPtr)
		tb.set(linux.SysPrlimit64, sysPrlimit64, argInt, argInt, argInt, argPtr, argPtr)
		tb.set(linux.SysGetrlimit, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return sysPrlimit64(t, &kernel.SyscallArgs{0, a[0], 0, a[1]})
		}, argInt, argInt, argPtr)
		tb.set(linux.SysSetrlimit, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return sysPrlimit64(t, &kernel.SyscallArgs{0, a[0], a[1], 0})
		}, argInt, argInt, argPtr)
		tb.set(linux.SysTimes, sysTimes, argInt, argPtr)
		tb.set(linux.SysSethostname, sysSethostname, argInt, argInPath, argInt)
	})
}

// argInPath is a string argument with its length in the next argument.
const argInPath = argInBuf

func sysUname(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	u := linux.Utsname{
		Sysname:    unameSysname,
		Nodename:   t.Kernel().Hostname(),
		Release:    unameRelease,
		Version:    unameVersion,
		Machine:    unameMachine,
		Domainname: "(none)",
	}
	return 0, copyOut(t, a[0], &u)
}

func sysSethostname(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	if !c.Privileged() {
		return 0, unix.EPERM
	}
	n := int(a[1])
	if n < 0 || n > 64 {
		return 0, unix.EINVAL
	}
	buf := make([]byte, n)
	if _, err := t.MM().CopyIn(a[0], buf); err != nil {
		return 0, err
	}
	t.Kernel().SetHostname(string(buf))
	return 0, nil
}

func sysSysinfo(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	k := t.Kernel()
	u := k.MemoryFile().Usage()
	total := k.MemoryFile().Limit()
	si := linux.Sysinfo{
		Uptime:    int64(time.Since(k.BootTime()).Seconds()) + 1,
		TotalRAM:  uint64(total),
		FreeRAM:   uint64(total) - uint64(u.Allocated+u.Charged),
		SharedRAM: u.Charged,
		Procs:     uint16(k.NumTasks()),
		MemUnit:   1,
	}
	return 0, copyOut(t, a[0], &si)
}

func sysGetrandom(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := int(a[2])
	if flags&^(unix.GRND_NONBLOCK|unix.GRND_RANDOM|0x4 /* GRND_INSECURE */) != 0 {
		return 0, unix.EINVAL
	}
	// count is a size_t: a "negative" one is just large. Linux caps one
	// call at 32 MiB; the bytes go out a chunk at a time, so a bad
	// buffer costs no large allocation.
	n := min(a[1], 1<<25)
	buf := make([]byte, min(n, 64<<10))
	done := uintptr(0)
	for done < n {
		chunk := buf[:min(uintptr(len(buf)), n-done)]
		rand.Read(chunk)
		c, err := t.MM().CopyOut(a[0]+done, chunk)
		done += uintptr(c)
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}

// sandboxCPUs is the number of CPUs the sandbox reports.
func sandboxCPUs() int { return runtime.NumCPU() }

func sysSchedGetaffinity(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	size := int(a[1])
	n := sandboxCPUs()
	need := (n + 63) / 64 * 8
	if size < need || size%8 != 0 {
		return 0, unix.EINVAL
	}
	mask := make([]byte, need)
	for i := 0; i < n; i++ {
		mask[i/8] |= 1 << (i % 8)
	}
	if _, err := t.MM().CopyOut(a[2], mask); err != nil {
		return 0, err
	}
	return uintptr(need), nil
}

func sysPrlimit64(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	tg := t.ThreadGroup()
	if pid := int32(a[0]); pid != 0 && pid != t.PID() {
		var ok bool
		if tg, ok = t.Kernel().FindProcess(pid); !ok {
			return 0, unix.ESRCH
		}
	}
	resource := int(a[1])
	var newLim *kernel.Limit
	if a[2] != 0 {
		var r linux.Rlimit
		if err := copyIn(t, a[2], &r); err != nil {
			return 0, err
		}
		newLim = &kernel.Limit{Cur: r.Cur, Max: r.Max}
	}
	c := t.Credentials()
	old, err := tg.PrLimit(&c, resource, newLim)
	if err != nil {
		return 0, err
	}
	if a[3] != 0 {
		r := linux.Rlimit{Cur: old.Cur, Max: old.Max}
		if err := copyOut(t, a[3], &r); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func sysTimes(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	const hz = 100
	ticks := func(d time.Duration) int64 { return int64(d / (time.Second / hz)) }
	if a[0] != 0 {
		tg := t.ThreadGroup()
		tms := linux.Tms{Utime: ticks(groupCPU(tg)), CUtime: ticks(tg.Info().ChildrenCPU)}
		if err := copyOut(t, a[0], &tms); err != nil {
			return 0, err
		}
	}
	return uintptr(ticks(time.Since(t.Kernel().BootTime())) + hz), nil
}
