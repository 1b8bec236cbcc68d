package tests

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// These tests cover the terminal and pseudo-filesystem files programs look
// at: pseudo-terminals (/dev/ptmx, /dev/pts), /dev/tty, /dev/fd, /proc's
// per-process files and /sys's CPU list. Where the host's answer is the
// same, they compare with it; where it cannot be (PIDs, the host's own
// ptys), they check what the sandbox must show.

const python3 = "/usr/bin/python3"

// ptyRoundTrip opens a pty pair with Python's pty module and sends a line
// each way, in canonical and in raw mode.
const ptyRoundTrip = `
import os, pty, tty, termios
m, s = pty.openpty()
print(os.isatty(s), os.isatty(m), os.ttyname(s).startswith("/dev/pts/"))
os.write(m, b"hello wor\x7fld\n")
print(repr(os.read(s, 100)), repr(os.read(m, 100)))
os.write(s, b"back\n")
print(repr(os.read(m, 100)))
tty.setraw(s)
os.write(m, b"\x03raw\r")
print(repr(os.read(s, 100)))
os.write(s, b"out\n")
print(repr(os.read(m, 100)))
attrs = termios.tcgetattr(s)
print(attrs[3] & termios.ICANON, attrs[3] & termios.ECHO)
os.close(s)
try:
    os.read(m, 10)
except OSError as e:
    print("master after slave close:", e.errno == 5)
`

// TestPtyPython round-trips lines through a pty made by Python's pty
// module. What Linux prints is the expected output, but it is not compared
// run by run: the host's pty hands data to the other side asynchronously,
// so a read right after a write sometimes gets only part of a line there
// (b'back' and then b'\r\nout\n'); Ward's pty always has the whole line.
func TestPtyPython(t *testing.T) {
	needFile(t, python3)
	got := run(t, true, python3, "-c", ptyRoundTrip)
	want := "True True True\nb'hello wold\\n' b'hello wor\\x08 \\x08ld\\r\\n'\nb'back\\r\\n'\nb'\\x03raw\\r'\nb'out\\n'\n0 0\nmaster after slave close: True\n"
	if got.status != 0 || got.stdout != want {
		native := run(t, false, python3, "-c", ptyRoundTrip)
		t.Errorf("ward: status %d\n%s\nwant:\n%s\nnative, for reference:\n%s\nward stderr:\n%s", got.status, got.stdout, want, native.stdout, got.stderr)
	}
}

// ptyDrain is the Python both shell scripts use to read the terminal:
// drain(secs, marker) collects output in out until marker appears (or for
// secs, or until the shell hangs up) and reports whether it appeared.
const ptyDrain = `out = b""
def drain(secs, marker=None):
    global out
    end = time.time() + secs
    while time.time() < end and not (marker and marker in out):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                b = os.read(fd, 4096)
            except OSError:
                break
            if not b:
                break
            out += b
    return marker is not None and marker in out`

// ptyShell runs an interactive bash on a pty (pty.fork: setsid and a
// controlling terminal), types commands into it, interrupts a sleep with
// ^C, and ends it with "exit 3".
const ptyShell = `
import os, pty, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execve("/bin/bash", ["bash", "--norc", "--noprofile", "-i"], dict(os.environ, TERM="dumb"))
` + ptyDrain + `
os.write(fd, b"echo $((6*7)); test -t 0 && echo IS-A-TTY; tty; ls /dev/pts; echo DONE-$((1+1))\n")
drain(10, b"DONE-2\r\n")
os.write(fd, b"sleep 20; echo NOT-INTERRUPTED\n")
time.sleep(1)
start = time.time()
os.write(fd, b"\x03")
os.write(fd, b"echo BACK-$((2+2))\n")
drain(10, b"BACK-4\r\n")
fast = time.time() - start < 10
os.write(fd, b"exit 3\n")
drain(10)
_, st = os.waitpid(pid, 0)
text = out.decode(errors="replace")
print("42:", "\r42\r\n" in text or "\n42\r\n" in text)
print("tty:", "IS-A-TTY" in text, "/dev/pts/" in text)
print("ptmx listed:", "ptmx" in text)
print("interrupted:", fast and "NOT-INTERRUPTED\r\n" not in text.replace("echo NOT-INTERRUPTED", ""))
print("status:", os.waitstatus_to_exitcode(st))
`

// TestPtyInteractiveShell drives bash -i through a pty: job control, echo,
// ^C to the foreground process group and the exit status.
func TestPtyInteractiveShell(t *testing.T) {
	needFile(t, python3)
	needFile(t, "/bin/bash")
	want := "42: True\ntty: True True\nptmx listed: True\ninterrupted: True\nstatus: 3\n"
	if native := run(t, false, python3, "-c", ptyShell); native.stdout != want {
		t.Logf("natively:\n%s", native.stdout)
	}
	got := run(t, true, python3, "-c", ptyShell)
	if got.status != 0 || got.stdout != want {
		t.Errorf("ward: status %d\n%s\nwant:\n%s\nstderr:\n%s", got.status, got.stdout, want, got.stderr)
	}
}

// TestPtyIsatty checks test -t 0 with a pty, /dev/null and a pipe as
// standard input, as natively.
func TestPtyIsatty(t *testing.T) {
	needFile(t, python3)
	script := `
import os, pty, subprocess
m, s = pty.openpty()
for name, stdin in (("pty", s), ("null", subprocess.DEVNULL), ("pipe", subprocess.PIPE)):
    r = subprocess.run(["/bin/sh", "-c", "test -t 0 && echo yes || echo no"], stdin=stdin, capture_output=True)
    print(name, r.stdout.decode().strip())
`
	native := run(t, false, python3, "-c", script)
	got := run(t, true, python3, "-c", script)
	if native.stdout != "pty yes\nnull no\npipe no\n" {
		t.Logf("native: %q", native.stdout)
	}
	if got.status != 0 || got.stdout != native.stdout {
		t.Errorf("ward: status %d %q, native %q\nstderr:\n%s", got.status, got.stdout, native.stdout, got.stderr)
	}
}

// TestDevPtsAndTTY checks /dev/pts before any pty is open, and that
// /dev/tty is ENXIO when ward's standard streams are not a terminal.
func TestDevPtsAndTTY(t *testing.T) {
	needFile(t, "/bin/bash")
	got := run(t, true, "/bin/bash", "-c", `ls /dev/pts; stat -c %t:%T /dev/ptmx; (exec 3</dev/tty) 2>&1 | sed 's/.*: //'`)
	if want := "ptmx\n5:2\nNo such device or address\n"; got.stdout != want {
		t.Errorf("ward: %q, want %q\nstderr:\n%s", got.stdout, want, got.stderr)
	}
}

// TestDevLinks checks /dev/fd and /dev/std{in,out,err}, as natively.
func TestDevLinks(t *testing.T) {
	needFile(t, "/bin/bash")
	script := `readlink /dev/fd /dev/stdin /dev/stdout /dev/stderr; echo out > /dev/stdout; echo err > /dev/stderr; echo in | cat /dev/stdin; ls /dev/fd/0 /dev/fd/1 /dev/fd/2`
	native := run(t, false, "/bin/bash", "-c", script)
	got := run(t, true, "/bin/bash", "-c", script)
	if got.status != 0 || got.stdout != native.stdout || appStderr(got.stderr) != native.stderr {
		t.Errorf("ward: status %d\n%s%s\nnative:\n%s%s", got.status, got.stdout, got.stderr, native.stdout, native.stderr)
	}
}

// appStderr drops ward's own log lines from a sandbox's standard error.
func appStderr(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "time=") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// mappedFiles returns the files /proc/self/maps names.
func mappedFiles(maps string) []string {
	seen := map[string]bool{}
	for _, l := range strings.Split(maps, "\n") {
		if f := strings.Fields(l); len(f) == 6 && strings.HasPrefix(f[5], "/") {
			seen[f[5]] = true
		}
	}
	var out []string
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// TestProcSelfMapsLibraries checks that cat's /proc/self/maps names the
// same files (program, loader, libraries) as natively.
func TestProcSelfMapsLibraries(t *testing.T) {
	needFile(t, "/bin/cat")
	native := run(t, false, "/bin/cat", "/proc/self/maps")
	got := run(t, true, "/bin/cat", "/proc/self/maps")
	n, g := mappedFiles(native.stdout), mappedFiles(got.stdout)
	if got.status != 0 || strings.Join(n, " ") != strings.Join(g, " ") {
		t.Errorf("mapped files: ward %v, native %v", g, n)
	}
	found := false
	for _, f := range g {
		found = found || strings.Contains(f, "libc.so.6")
	}
	if !found {
		t.Errorf("no libc in ward's maps:\n%s", got.stdout)
	}
}

// TestProcSelfExeAndFDs checks readlink /proc/self/exe and ls -l
// /proc/self/fd against the host (PIDs and pipe numbers aside).
func TestProcSelfExeAndFDs(t *testing.T) {
	needFile(t, "/bin/bash")
	needFile(t, "/usr/bin/readlink")
	exe := run(t, true, "/usr/bin/readlink", "/proc/self/exe")
	if native := run(t, false, "/usr/bin/readlink", "/proc/self/exe"); exe.stdout != native.stdout {
		t.Errorf("readlink /proc/self/exe: ward %q, native %q", exe.stdout, native.stdout)
	}
	// Only descriptors 0 to 6: natively the shell may inherit others.
	script := `exec 5</etc/hostname 6>/dev/null; ls -l /proc/self/fd | awk 'NR > 1 && $9 <= 6 { print $9, $10, $11 }'`
	digits := regexp.MustCompile(`[0-9]+`)
	native := run(t, false, "/bin/bash", "-c", script)
	got := run(t, true, "/bin/bash", "-c", script)
	n, g := digits.ReplaceAllString(native.stdout, "N"), digits.ReplaceAllString(got.stdout, "N")
	if got.status != 0 || g != n {
		t.Errorf("ls -l /proc/self/fd: ward\n%s\nnative\n%s", got.stdout, native.stdout)
	}
}

// TestProcInitAndFiles checks that /proc/1 is the sandbox's init, and
// that the newer per-process files are there and well formed.
func TestProcInitAndFiles(t *testing.T) {
	needFile(t, "/bin/bash")
	initArgs := `tr '\0' ' ' < /proc/1/cmdline`
	got := run(t, true, "/bin/bash", "-c", initArgs)
	if want := "/bin/bash -c " + initArgs + " "; got.status != 0 || got.stdout != want {
		t.Errorf("/proc/1/cmdline: %q, want %q\nstderr:\n%s", got.stdout, want, got.stderr)
	}
	script := `head -1 /proc/self/limits
grep -c . /proc/self/limits
cut -f1 /proc/$$/fdinfo/0
head -1 /proc/self/smaps_rollup | awk '{ print $NF }'
wc -w < /proc/self/statm
ls /proc/$$/task | wc -l
grep -c ' / / ' /proc/self/mountinfo
cat /proc/sys/vm/overcommit_memory /proc/sys/kernel/ngroups_max /proc/sys/kernel/pid_max
wc -c < /proc/sys/kernel/random/uuid
grep -c . /proc/sys/kernel/osrelease
`
	got = run(t, true, "/bin/bash", "-c", script)
	want := "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"17\npos:\nflags:\nmnt_id:\nino:\n[rollup]\n7\n1\n1\n0\n65536\n4194304\n37\n1\n"
	if got.status != 0 || got.stdout != want {
		t.Errorf("ward: status %d\n%s\nwant:\n%s\nstderr:\n%s", got.status, got.stdout, want, got.stderr)
	}
}

// TestSysCPUOnline checks /sys/devices/system/cpu/online against the
// host (the sandbox reports the host's CPU count).
func TestSysCPUOnline(t *testing.T) {
	needFile(t, "/bin/cat")
	native := run(t, false, "/bin/cat", "/sys/devices/system/cpu/online")
	got := run(t, true, "/bin/cat", "/sys/devices/system/cpu/online")
	if got.status != 0 || got.stdout != native.stdout {
		t.Errorf("ward %q (status %d), native %q", got.stdout, got.status, native.stdout)
	}
}

// TestSysFilesystem mounts the "sys" filesystem explicitly and checks what
// it shows (skipped when this ward build does not link it).
func TestSysFilesystem(t *testing.T) {
	needFile(t, "/bin/bash")
	if !regexp.MustCompile(`(?m)^fs +sys +`).MatchString(ward(t, "plugins").stdout) {
		t.Skip("this ward build has no fs \"sys\"")
	}
	cfg := sandboxConfig(t, `mount "/sys" {
  type = "sys"
}
network "none" {}`)
	native := run(t, false, "/bin/cat", "/sys/devices/system/cpu/online")
	got := ward(t, "run", "--config", cfg, "--", "/bin/bash", "-c",
		`cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible; ls /sys; ls -A /sys/fs/cgroup | wc -l; grep ' /sys ' /proc/mounts | cut -d' ' -f3`)
	want := native.stdout + native.stdout + "devices\nfs\n0\nsysfs\n"
	if got.status != 0 || got.stdout != want {
		t.Errorf("ward: status %d %q, want %q\nstderr:\n%s", got.status, got.stdout, want, got.stderr)
	}
}

// ptyBackgroundRead runs bash -i on a pty and starts cat in the background:
// reading the terminal from a background job stops it (SIGTTIN), bash
// reports it stopped. A background job that writes with TOSTOP set, or
// changes the terminal's settings, stops too (SIGTTOU).
const ptyBackgroundRead = `
import os, pty, select, sys, time
argv = sys.argv[1:] + ["/bin/bash", "--norc", "--noprofile", "-i"]
pid, fd = pty.fork()
if pid == 0:
    os.execve(argv[0], argv, dict(os.environ, TERM="dumb", PS1="$ "))
` + ptyDrain + `
def stopped(n):
    # Asks bash for its jobs until one is reported stopped (the job may
    # take a moment to reach the terminal on a loaded machine).
    global out
    for i in range(40):
        out = b""
        os.write(fd, b"jobs; echo JOBS-$((%d+%d))\n" % (n, i))
        if drain(10, b"JOBS-%d" % (n + i)) and b"Stopped" in out:
            return True
        time.sleep(0.25)
    return False
os.write(fd, b"/bin/cat > /dev/null &\n")
print("cat stopped:", stopped(1000))
os.write(fd, b"kill -9 %1; wait; stty tostop; (echo from-background) &\n")
print("write stopped:", stopped(2000))
os.write(fd, b"kill -9 %1; wait; stty -tostop; stty -echo &\n")
print("tcsetattr stopped:", stopped(3000))
os.write(fd, b"kill -9 %1; wait; exit 3\n")
if drain(5, b"stopped jobs"):
    # The killed job was still listed as stopped: bash refuses the
    # first exit, not a second.
    os.write(fd, b"exit 3\n")
drain(10, b"\x00")
_, st = os.waitpid(pid, 0)
print("status:", os.waitstatus_to_exitcode(st))
`

// TestPtyBackgroundJobStops: job control stops a background job that reads
// (or, under TOSTOP, writes) its controlling terminal, as natively.
func TestPtyBackgroundJobStops(t *testing.T) {
	needFile(t, python3)
	needFile(t, "/bin/bash")
	want := "cat stopped: True\nwrite stopped: True\ntcsetattr stopped: True\nstatus: 3\n"
	if native := run(t, false, python3, "-c", ptyBackgroundRead); native.stdout != want {
		t.Logf("natively:\n%s", native.stdout)
	}
	got := run(t, true, python3, "-c", ptyBackgroundRead)
	if got.status != 0 || got.stdout != want {
		t.Errorf("ward: status %d\n%s\nwant:\n%s\nstderr:\n%s", got.status, got.stdout, want, got.stderr)
	}
	// The same with ward itself on the terminal: bash is the sandbox's
	// init and the host terminal is its controlling terminal.
	got = run(t, false, python3, "-c", ptyBackgroundRead, wardBinary(t), "run", "--")
	if got.status != 0 || got.stdout != want {
		t.Errorf("ward on the terminal: status %d\n%s\nwant:\n%s\nstderr:\n%s", got.status, got.stdout, want, got.stderr)
	}
}
