package proc

import (
	"fmt"
	"strings"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// pageSize is the unit of rss in stat and of statm.
const pageSize = 4096

// statInfo is what /proc/[pid]/stat shows. Fields Ward does not track
// (faults, system time, children's times, memory layout, signals) are
// printed as 0.
type statInfo struct {
	PID        int32
	Comm       string
	State      byte // R, S, Z
	PPID       int32
	PGRP       int32
	Session    int32
	TTYNr      int32
	TPGID      int32
	Utime      uint64 // clock ticks
	Stime      uint64 // clock ticks
	Priority   int64
	Nice       int64
	NumThreads int
	StartTime  uint64 // clock ticks after boot
	VSize      uint64 // bytes
	RSS        uint64 // pages
	RSSLim     uint64 // bytes
	ExitSignal int
}

// formatStat formats a stat line as Linux's do_task_stat does: 52 fields,
// the command in parentheses.
func formatStat(s statInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d (%s) %c %d %d %d %d %d", s.PID, s.Comm, s.State, s.PPID, s.PGRP, s.Session, s.TTYNr, s.TPGID)
	// flags minflt cminflt majflt cmajflt
	b.WriteString(" 0 0 0 0 0")
	// utime stime cutime cstime priority nice num_threads itrealvalue
	fmt.Fprintf(&b, " %d %d 0 0 %d %d %d 0", s.Utime, s.Stime, s.Priority, s.Nice, s.NumThreads)
	// starttime vsize rss rsslim
	fmt.Fprintf(&b, " %d %d %d %d", s.StartTime, s.VSize, s.RSS, s.RSSLim)
	// startcode endcode startstack kstkesp kstkeip signal blocked
	// sigignore sigcatch wchan nswap cnswap
	b.WriteString(" 0 0 0 0 0 0 0 0 0 0 0 0")
	// exit_signal processor rt_priority policy delayacct_blkio_ticks
	// guest_time cguest_time start_data end_data start_brk arg_start
	// arg_end env_start env_end exit_code
	fmt.Fprintf(&b, " %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", s.ExitSignal)
	return b.String()
}

// formatStatm formats /proc/[pid]/statm: size resident shared text lib
// data dt, in pages.
func formatStatm(vsize, rss uint64) string {
	return fmt.Sprintf("%d %d 0 0 0 0 0\n", vsize/pageSize, rss/pageSize)
}

// ticks converts a duration to clock ticks (USER_HZ).
func ticks(d time.Duration) uint64 {
	if d < 0 {
		return 0
	}
	return uint64(d / (time.Second / linux.CLK_TCK))
}

// stateOf returns the state letter of t: R for the caller, which is
// running by definition, S for the others, which are blocked or waiting for
// the platform.
func (fs *FS) stateOf(t *kernel.Task) byte {
	if k := fs.kernel(); k != nil {
		if self, ok := k.TaskForCurrentThread(); ok && self == t {
			return 'R'
		}
	}
	return 'S'
}

// statInfo gathers the stat fields of the directory's process or thread.
func (d *pidDir) statInfo() statInfo {
	info := d.tg.Info()
	t := d.thread()
	s := statInfo{
		PID:        info.PID,
		Comm:       t.Comm(),
		State:      d.fs.stateOf(t),
		PPID:       info.PPID,
		PGRP:       info.PGID,
		Session:    info.SID,
		TPGID:      -1,
		Priority:   20,
		NumThreads: len(info.Threads),
		ExitSignal: info.ExitSignal,
		RSSLim:     d.tg.Limit(unix.RLIMIT_RSS).Cur,
	}
	if d.task != nil {
		s.PID = d.task.TID()
		s.Utime = ticks(d.task.CPUTime())
	} else {
		cpu := info.ExitedCPU
		for _, th := range info.Threads {
			cpu += th.CPUTime()
		}
		s.Utime = ticks(cpu)
	}
	if k := d.fs.kernel(); k != nil {
		s.StartTime = ticks(info.StartTime.Sub(k.BootTime()))
	}
	if m := d.tg.MM(); m != nil {
		s.VSize = uint64(m.VirtualSize())
		s.RSS = uint64(m.ResidentSize()) / pageSize
	}
	return s
}

// statm is /proc/[pid]/statm.
func (d *pidDir) statm() ([]byte, error) {
	var vsize, rss uint64
	if m := d.tg.MM(); m != nil {
		vsize, rss = uint64(m.VirtualSize()), uint64(m.ResidentSize())
	}
	return []byte(formatStatm(vsize, rss)), nil
}
