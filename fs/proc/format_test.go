package proc

import (
	"strings"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func TestFormatStat(t *testing.T) {
	got := formatStat(statInfo{
		PID: 42, Comm: "sh", State: 'S', PPID: 1, PGRP: 42, Session: 1, TPGID: -1,
		Utime: 7, Priority: 20, NumThreads: 2, StartTime: 150, VSize: 1 << 20, RSS: 3,
		RSSLim: ^uint64(0), ExitSignal: 17,
	})
	if !strings.HasSuffix(got, "\n") {
		t.Fatalf("stat line does not end in a newline: %q", got)
	}
	if !strings.HasPrefix(got, "42 (sh) S 1 42 1 0 -1 ") {
		t.Errorf("stat = %q", got)
	}
	// Fields after the command, numbered as in proc(5) from 3.
	f := strings.Fields(got[strings.LastIndexByte(got, ')')+1:])
	if len(f) != 50 {
		t.Fatalf("stat has %d fields after the command, want 50 (52 in all): %q", len(f), got)
	}
	field := func(n int) string { return f[n-3] }
	for n, want := range map[int]string{
		3: "S", 4: "1", 14: "7", 18: "20", 19: "0", 20: "2", 22: "150", 23: "1048576",
		24: "3", 25: "18446744073709551615", 38: "17", 52: "0",
	} {
		if field(n) != want {
			t.Errorf("stat field %d = %q, want %q", n, field(n), want)
		}
	}
}

func TestFormatStatCommWithSpaces(t *testing.T) {
	got := formatStat(statInfo{PID: 1, Comm: "a b) c", State: 'R'})
	f := strings.Fields(got[strings.LastIndexByte(got, ')')+1:])
	if f[0] != "R" || len(f) != 50 {
		t.Errorf("stat = %q", got)
	}
}

func TestFormatStatus(t *testing.T) {
	got := formatStatus(statusInfo{
		Name: "busybox", Umask: 0o22, State: 'R', Tgid: 5, Pid: 6, PPid: 1,
		UIDs: [4]uint32{1000, 1000, 1000, 1000}, GIDs: [4]uint32{100, 100, 100, 100},
		FDSize: 64, Groups: []uint32{10, 20}, VmSize: 8 << 20, VmRSS: 1 << 20, Threads: 3,
	})
	for _, want := range []string{
		"Name:\tbusybox\n", "Umask:\t0022\n", "State:\tR (running)\n", "Tgid:\t5\n", "Pid:\t6\n",
		"PPid:\t1\n", "Uid:\t1000\t1000\t1000\t1000\n", "Gid:\t100\t100\t100\t100\n",
		"Groups:\t10 20 \n", "VmSize:\t    8192 kB\n", "VmRSS:\t    1024 kB\n", "Threads:\t3\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(formatStatus(statusInfo{Umask: -1, State: 'S'}), "Umask") {
		t.Error("unknown umask printed")
	}
}

func TestFormatStatm(t *testing.T) {
	if got := formatStatm(8<<20, 1<<20); got != "2048 256 0 0 0 0 0\n" {
		t.Errorf("statm = %q", got)
	}
}

func TestFormatMapsLine(t *testing.T) {
	rx := platform.ProtRead | platform.ProtExec
	rw := platform.ProtRead | platform.ProtWrite
	for _, tc := range []struct {
		v    mm.VMA
		want string
	}{
		{
			mm.VMA{Start: 0x400000, End: 0x452000, Prot: rx},
			"00400000-00452000 r-xp 00000000 00:00 0 \n",
		},
		{
			mm.VMA{Start: 0x7ffd0000a000, End: 0x7ffd0002b000, Prot: rw, Name: "[stack]"},
			"7ffd0000a000-7ffd0002b000 rw-p 00000000 00:00 0" + strings.Repeat(" ", 26) + "[stack]\n",
		},
		{
			mm.VMA{Start: 0x1000, End: 0x2000, Shared: true, Offset: 0x3000},
			"00001000-00002000 ---s 00003000 00:00 0 \n",
		},
	} {
		if got := formatMapsLine(tc.v); got != tc.want {
			t.Errorf("maps line\n got %q\nwant %q", got, tc.want)
		}
	}
	// The name starts at column 74 (index 73), as on Linux.
	line := formatMapsLine(mm.VMA{Start: 0x400000, End: 0x401000, Prot: rx, Name: "/bin/busybox"})
	if i := strings.Index(line, "/bin/busybox"); i != 73 {
		t.Errorf("name at column %d in %q", i, line)
	}
}

func TestFormatSystemFiles(t *testing.T) {
	if got := formatUptime(12345*time.Millisecond, 2*time.Second); got != "12.34 2.00\n" {
		t.Errorf("uptime = %q", got)
	}
	if got := formatLoadavg(1, 7, 42); got != "0.00 0.00 0.00 1/7 42\n" {
		t.Errorf("loadavg = %q", got)
	}
	mem := formatMeminfo(1<<30, 256<<20, 0)
	for _, want := range []string{"MemTotal:        1048576 kB\n", "MemFree:          786432 kB\n", "SwapTotal:             0 kB\n"} {
		if !strings.Contains(mem, want) {
			t.Errorf("meminfo lacks %q:\n%s", want, mem)
		}
	}
	cpu := formatCPUInfo(2, []string{"fpu", "sse2"})
	if strings.Count(cpu, "processor\t: ") != 2 || !strings.Contains(cpu, "processor\t: 1\n") || !strings.Contains(cpu, "flags\t\t: fpu sse2\n") {
		t.Errorf("cpuinfo:\n%s", cpu)
	}
	st := formatSystemStat(2, 3*time.Second, 10*time.Second, 1700000000, 9)
	for _, want := range []string{"cpu  300 0 0 1700 0 0 0 0 0 0\n", "cpu0 150 0 0 850 ", "cpu1 ", "btime 1700000000\n", "processes 9\n"} {
		if !strings.Contains(st, want) {
			t.Errorf("stat lacks %q:\n%s", want, st)
		}
	}
	if !strings.HasPrefix(version(), "Linux version "+osRelease+" ") {
		t.Errorf("version = %q", version())
	}
}

func TestFormatMounts(t *testing.T) {
	got := formatMounts([]mountEntry{{path: "/", fsType: "overlay"}, {path: "/a b", fsType: "tmpfs", readOnly: true}})
	want := "overlay / overlay rw,relatime 0 0\ntmpfs /a\\040b tmpfs ro,relatime 0 0\n"
	if got != want {
		t.Errorf("mounts = %q, want %q", got, want)
	}
}

func TestParseID(t *testing.T) {
	for name, want := range map[string]bool{"1": true, "42": true, "0": true, "01": false, "-1": false, "": false, "self": false, "99999999999": false} {
		if _, ok := parseID(name); ok != want {
			t.Errorf("parseID(%q) ok = %v", name, ok)
		}
	}
}

func TestUsableExe(t *testing.T) {
	for name, want := range map[string]bool{
		"/bin/busybox": true, "/proc/self/exe": false, "/proc/../bin/sh": true, "./busybox": false,
		"busybox": false, "/procfoo/x": true, "/proc": false,
	} {
		if got := usableExe(name); got != want {
			t.Errorf("usableExe(%q) = %v", name, got)
		}
	}
}

func TestNewUUID(t *testing.T) {
	u := newUUID()
	if len(u) != 36 || u[14] != '4' || strings.Count(u, "-") != 4 {
		t.Errorf("uuid %q", u)
	}
	if u == newUUID() {
		t.Error("two uuids are equal")
	}
}

func TestFormatLimits(t *testing.T) {
	l := kernel.DefaultLimits()
	got := formatLimits(l)
	lines := strings.Split(got, "\n")
	if len(lines) != 18 || lines[17] != "" {
		t.Fatalf("limits has %d lines:\n%s", len(lines), got)
	}
	for i, want := range map[int]string{
		0:  "Limit                     Soft Limit           Hard Limit           Units     ",
		1:  "Max cpu time              unlimited            unlimited            seconds   ",
		4:  "Max stack size            8388608              unlimited            bytes     ",
		14: "Max nice priority         0                    0                    ",
	} {
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
}

func TestFormatFDInfo(t *testing.T) {
	got := formatFDInfo(fdInfo{Pos: 12, Flags: unix.O_RDWR | oLargefile | unix.O_CLOEXEC, MntID: 3, Ino: 99})
	if want := "pos:\t12\nflags:\t02100002\nmnt_id:\t3\nino:\t99\n"; got != want {
		t.Errorf("fdinfo = %q, want %q", got, want)
	}
}

func TestFormatSmapsRollup(t *testing.T) {
	got := formatSmapsRollup(0x55b3f5d68000, 0x7ffe63cd5000, 8192<<10)
	lines := strings.Split(got, "\n")
	if want := "55b3f5d68000-7ffe63cd5000 ---p 00000000 00:00 0                          [rollup]"; lines[0] != want {
		t.Errorf("header = %q, want %q", lines[0], want)
	}
	if lines[1] != "Rss:                8192 kB" || lines[2] != "Pss:                8192 kB" {
		t.Errorf("rollup = %q", got)
	}
}
