package tests

import (
	"strings"
	"testing"
)

// TestPidfdProbe: pidfd_open, CLONE_PIDFD, readiness on exit, signals and
// waitid(P_PIDFD), errors included, as natively.
func TestPidfdProbe(t *testing.T) {
	probe := buildProbe(t, "pidfd_probe")
	native := run(t, false, probe)
	under := run(t, true, probe)
	if native.status != 0 || under.status != 0 || native.stdout != under.stdout {
		t.Fatalf("native (status %d):\n%s\nward (status %d):\n%s\nstderr:\n%s", native.status, native.stdout, under.status, under.stdout, under.stderr)
	}
}

// goExecProgram starts processes with os/exec, which since Go 1.23 uses
// pidfds (clone with CLONE_PIDFD, waitid(P_PIDFD), pidfd_send_signal) when
// the kernel has them.
const goExecProgram = `package main

import (
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	for i := 0; i < 10; i++ {
		if err := exec.Command("/bin/true").Run(); err != nil {
			fmt.Println("true:", err)
		}
	}
	out, err := exec.Command("/bin/sh", "-c", "echo hi; exit 3").Output()
	fmt.Printf("%q %v\n", out, err)
	c := exec.Command("/bin/sleep", "10")
	if err := c.Start(); err != nil {
		fmt.Println(err)
		return
	}
	time.Sleep(50 * time.Millisecond)
	c.Process.Signal(syscall.SIGTERM)
	fmt.Println("sleep:", c.Wait())
}
`

// TestGoExecUsesPidfds: a Go program's os/exec works under ward, through
// the pidfds it now finds there.
func TestGoExecUsesPidfds(t *testing.T) {
	bin := buildGoProgram(t, "goexec", goExecProgram, "1.23")
	want := "\"hi\\n\" exit status 3\nsleep: signal: terminated\n"
	r := run(t, false, wardBinary(t), "run", "--strace", "--", bin)
	if r.status != 0 || r.stdout != want {
		t.Fatalf("status %d, stdout %q, want %q\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
	}
	for _, call := range []string{"pidfd_open(", "pidfd_send_signal(", "waitid(3, "} {
		if !strings.Contains(r.stderr, call) {
			t.Errorf("the Go runtime made no %s call: it did not take to the pidfds", call)
		}
	}
}
