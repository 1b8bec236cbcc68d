package linux

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"testing"
)

func TestSyscallNumbers(t *testing.T) {
	for _, tc := range []struct {
		nr   int
		want int
		name string
	}{
		{SysRead, 0, "read"},
		{SysWrite, 1, "write"},
		{SysOpenat, 257, "openat"},
		{SysExitGroup, 231, "exit_group"},
		{SysClone3, 435, "clone3"},
		{SysRtSigaction, 13, "rt_sigaction"},
		{SysNewfstatat, 262, "newfstatat"},
		{SysSysctl, 156, "_sysctl"},
	} {
		if tc.nr != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.nr, tc.want)
		}
		if SyscallNames[tc.nr] != tc.name || SyscallName(uintptr(tc.nr)) != tc.name {
			t.Errorf("SyscallNames[%d] = %q, want %q", tc.nr, SyscallNames[tc.nr], tc.name)
		}
	}
	if got := SyscallName(400); got != "syscall_400" {
		t.Errorf("SyscallName(400) = %q", got)
	}
	if got := SyscallName(1 << 40); got != "syscall_1099511627776" {
		t.Errorf("SyscallName(1<<40) = %q", got)
	}
}

// TestSyscallTableComplete checks the table against the header it was
// generated from, when the header is present: every system call has its
// name, and no other number has one. It also catches a stale generated
// file after the headers change.
func TestSyscallTableComplete(t *testing.T) {
	const header = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
	f, err := os.Open(header)
	if err != nil {
		t.Skipf("no kernel headers: %v", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^#define\s+__NR_(\w+)\s+(\d+)\s*$`)
	want := map[int]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[2])
			want[n] = m[1]
		}
	}
	if len(want) < 300 {
		t.Fatalf("only %d system calls in %s", len(want), header)
	}
	for nr, name := range SyscallNames {
		if name != want[nr] {
			t.Errorf("SyscallNames[%d] = %q, header says %q", nr, name, want[nr])
		}
	}
	for nr, name := range want {
		if nr >= NumSyscalls {
			t.Errorf("%s (%d) is beyond the table (regenerate with go generate)", name, nr)
		}
	}
	named := 0
	for _, name := range SyscallNames {
		if name != "" {
			named++
		}
	}
	if named != len(want) {
		t.Errorf("table names %d system calls, header defines %d", named, len(want))
	}
}
