package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const busybox = "/bin/busybox"

// needBusybox skips when Debian's busybox-static is missing; tools/test
// installs it, so in CI this never skips.
func needBusybox(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(busybox); err != nil {
		t.Skipf("%s is not installed (apt-get install busybox-static); tools/test installs it", busybox)
	}
}

// run runs argv natively, or under ward when ward is true, with a bounded
// time, and returns status, stdout and stderr.
func run(t *testing.T, underWard bool, argv ...string) result {
	t.Helper()
	if underWard {
		argv = append([]string{wardBinary(t), "run", "--"}, argv...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = "/"
	// A process group of its own, killed whole on timeout, and a bound on
	// waiting for the output: a leaked grandchild that still holds stdout
	// must not hang the test after its parent is gone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v timed out; stderr:\n%s", argv, errb.String())
	}
	st := 0
	if ee, ok := err.(*exec.ExitError); ok {
		st = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return result{st, out.String(), errb.String()}
}

// sh runs a busybox shell script with a PATH of busybox applets only, as a
// busybox userland has (the host's coreutils are dynamic executables).
func sh(t *testing.T, underWard bool, script string) result {
	return run(t, underWard, busybox, "sh", "-c", "PATH="+appletDir(t)+"; "+script)
}

var (
	appletOnce sync.Once
	appletPath string
	appletErr  error
)

// appletDir returns a directory of symlinks to busybox, one per applet.
func appletDir(t *testing.T) string {
	appletOnce.Do(func() {
		appletPath, appletErr = os.MkdirTemp("", "ward-applets-")
		if appletErr == nil {
			if out, err := exec.Command(busybox, "--install", "-s", appletPath).CombinedOutput(); err != nil {
				appletErr = fmt.Errorf("busybox --install: %v: %s", err, out)
			}
		}
	})
	if appletErr != nil {
		t.Fatal(appletErr)
	}
	return appletPath
}

func TestBusyboxEchoAndExit(t *testing.T) {
	needBusybox(t)
	if r := run(t, true, busybox, "echo", "hello"); r.status != 0 || r.stdout != "hello\n" {
		t.Errorf("echo hello: %+v", r)
	}
	if r := sh(t, true, "exit 7"); r.status != 7 {
		t.Errorf("sh -c 'exit 7': status %d, stderr %s", r.status, r.stderr)
	}
	// A program killed by a signal: ward exits 128+N.
	if r := sh(t, true, "kill -9 $$"); r.status != 128+9 {
		t.Errorf("kill -9 $$: status %d, stderr %s", r.status, r.stderr)
	}
}

// TestBusyboxMatchesNative runs shell commands natively and under ward and
// compares what they print.
func TestBusyboxMatchesNative(t *testing.T) {
	needBusybox(t)
	for _, tc := range []struct {
		name, script string
	}{
		{"os-release", "cat /etc/os-release"},
		{"tr", "echo a b | tr a-z A-Z"},
		{"sort", "seq 1000 | sort -rn | head -3"},
		{"sha256sum", "sha256sum /etc/os-release /bin/busybox"},
		{"tar", "set -e; d=$(mktemp -d /tmp/t.XXXXXX); mkdir -p $d/src/sub; seq 5000 > $d/src/a; echo hi > $d/src/sub/b; cd $d && tar czf x.tgz src && mkdir out && tar xzf x.tgz -C out && diff -r src out/src && echo same; rm -rf $d"},
		{"find", "find /usr/share/doc -name '*.gz' | wc -l"},
		{"sleep", "sleep 0.2; echo slept"},
		{"id", "id"},
		{"loop", "i=0; while [ $i -lt 100 ]; do /bin/busybox true || exit 1; i=$((i+1)); done; echo $i"},
		{"subshell", "x=$(echo inner); echo \"got $x\"; (cd /usr && pwd); pwd"},
		{"redirect", "f=/tmp/ward-r.$$; echo one > $f; echo two >> $f; cat $f; wc -l < $f; rm $f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			native := sh(t, false, tc.script)
			ward := sh(t, true, tc.script)
			if native.status != ward.status || native.stdout != ward.stdout {
				t.Errorf("native: status %d\n%s\nward: status %d\n%s\nward stderr:\n%s", native.status, native.stdout, ward.status, ward.stdout, ward.stderr)
			}
		})
	}
}

func TestBusyboxEnv(t *testing.T) {
	needBusybox(t)
	native := run(t, false, busybox, "env")
	ward := run(t, true, busybox, "env")
	lines := func(s string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			// The working directory variable is the shell's business.
			if !strings.HasPrefix(l, "PWD=") && !strings.HasPrefix(l, "OLDPWD=") {
				out = append(out, l)
			}
		}
		sort.Strings(out)
		return out
	}
	if n, w := strings.Join(lines(native.stdout), "\n"), strings.Join(lines(ward.stdout), "\n"); n != w || ward.status != 0 {
		t.Errorf("env differs:\nnative:\n%s\nward:\n%s\n%s", n, w, ward.stderr)
	}
}

// TestBusyboxLsRoot compares `ls -la /` except for the entries the sandbox
// mounts its own filesystems on.
func TestBusyboxLsRoot(t *testing.T) {
	needBusybox(t)
	filter := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			f := strings.Fields(l)
			if len(f) > 0 {
				switch f[len(f)-1] {
				case "dev", "proc", "tmp", "sys", ".", "..":
					continue
				}
			}
			out = append(out, l)
		}
		return strings.Join(out, "\n")
	}
	native := run(t, false, busybox, "ls", "-la", "/")
	ward := run(t, true, busybox, "ls", "-la", "/")
	if filter(native.stdout) != filter(ward.stdout) || ward.status != 0 {
		t.Errorf("ls -la / differs:\nnative:\n%s\nward:\n%s\n%s", native.stdout, ward.stdout, ward.stderr)
	}
}

// TestWritesStayInSandbox: the root is an overlay over the host's; a write
// to /etc succeeds inside and the host never sees it.
func TestWritesStayInSandbox(t *testing.T) {
	needBusybox(t)
	name := "/etc/ward-test-" + strings.ReplaceAll(t.Name(), "/", "-")
	os.Remove(name)
	r := sh(t, true, "echo inside > "+name+" && cat "+name+" && rm /etc/os-release && ls /etc/os-release; echo status $?")
	if !strings.HasPrefix(r.stdout, "inside\n") || !strings.Contains(r.stdout, "status 1") {
		t.Errorf("inside the sandbox: %+v", r)
	}
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Errorf("the host sees %s: %v", name, err)
		os.Remove(name)
	}
	if _, err := os.Stat("/etc/os-release"); err != nil {
		t.Errorf("the host lost /etc/os-release: %v", err)
	}
}

// TestStdoutRedirectedToFile runs ward with its stdout redirected to a file
// by a shell that writes there before and after: the sandbox's output must
// land between the two, at the offset it shares with the shell, as any
// program's would (it used to start at offset 0 and overwrite).
func TestStdoutRedirectedToFile(t *testing.T) {
	needBusybox(t)
	out := filepath.Join(t.TempDir(), "out")
	script := `{ echo one; "$WARD" run -- /bin/busybox sh -c 'echo two; echo three >&2' 2>&1; echo four; } > "$OUT"`
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "OUT="+out, "WARD="+wardBinary(t))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "one\ntwo\nthree\nfour\n" {
		t.Errorf("file holds %q, want one two three four, a line each", got)
	}

	// GNU cat copies with copy_file_range, which must write at the shared
	// offset too, and read a redirected stdin from its offset.
	if _, err := os.Stat("/bin/cat"); err != nil {
		return
	}
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, []byte("abc\ndef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script = `"$WARD" run -- /bin/bash -c 'echo first; read x; echo "read $x"; /bin/cat; /bin/cat /etc/hostname' < "$IN" > "$OUT"`
	cmd = exec.Command("/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "OUT="+out, "IN="+in, "WARD="+wardBinary(t))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if got, _ := os.ReadFile(out); !strings.HasPrefix(string(got), "first\nread abc\ndef\n") || strings.Count(string(got), "\n") != 4 {
		t.Errorf("file holds %q, want first, read abc, def and the hostname", got)
	}
}
