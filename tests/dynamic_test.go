package tests

import (
	"os"
	"strings"
	"testing"
)

// Dynamically linked programs: the dynamic loader (PT_INTERP), shared
// libraries mapped from the page cache, and the system calls glibc and its
// users make. They run the host's /bin/bash, /bin/ls and friends, which
// every Debian system has.

// needFile skips when path is missing on the host.
func needFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s is not installed", path)
	}
}

// TestDynamicMatchesNative runs dynamic programs natively and under ward and
// compares what they print.
func TestDynamicMatchesNative(t *testing.T) {
	needFile(t, "/bin/bash")
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"true", []string{"/bin/true"}},
		{"ls-pipe", []string{"/bin/bash", "-c", "/bin/ls -la /usr/bin | head"}},
		{"ls-etc", []string{"/bin/ls", "-la", "/etc"}},
		{"bash-version", []string{"/bin/bash", "-c", "echo $BASH_VERSION"}},
		{"bash-script", []string{"/bin/bash", "-c", `
set -e
f() { local n=$1; echo "f($n) = $((n * n))"; }
for i in 1 2 3; do f $i; done
total=0; i=0
while (( i < 50 )); do total=$((total + i)); i=$((i + 1)); done
echo "total $total"
x=$(echo inner | tr a-z A-Z); echo "subst $x"
(cd /usr && pwd; exit 3) || echo "subshell status $?"
cat <<EOF | sort -r
alpha
$(echo beta)
gamma
EOF
declare -A m=([a]=1 [b]=2); echo "assoc ${m[a]}${m[b]} ${#m[@]}"
arr=(one two three); echo "${arr[@]:1}"
/bin/true && echo "exec ok"
`}},
		{"env", []string{"/usr/bin/env", "-i", "A=1", "B=two", "/usr/bin/env"}},
		{"coreutils", []string{"/bin/bash", "-c", "seq 1000 | sort -rn | head -3; sha256sum /etc/os-release; wc -c /bin/bash; basename /a/b/c; date -d @0 -u +%F"}},
		{"exit-status", []string{"/bin/bash", "-c", "exit 7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			native := run(t, false, tc.argv...)
			ward := run(t, true, tc.argv...)
			if native.status != ward.status || native.stdout != ward.stdout {
				t.Errorf("native: status %d\n%s\nward: status %d\n%s\nward stderr:\n%s",
					native.status, native.stdout, ward.status, ward.stdout, ward.stderr)
			}
		})
	}
}

// TestDynamicPython runs the host's python3, a large dynamic program.
func TestDynamicPython(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	r := run(t, true, "/usr/bin/python3", "-c", "import json, os; print(sum(range(10))); print(json.dumps({'pid': os.getpid() > 0}))")
	if r.status != 0 || r.stdout != "45\n{\"pid\": true}\n" {
		t.Errorf("python3: %+v", r)
	}
}

// TestDynamicMaps checks that /proc/self/maps names the mapped files: the
// program, its interpreter and its libraries.
func TestDynamicMaps(t *testing.T) {
	needFile(t, "/bin/cat")
	r := run(t, true, "/bin/cat", "/proc/self/maps")
	if r.status != 0 {
		t.Fatalf("cat /proc/self/maps: %+v", r)
	}
	for _, want := range []string{"/usr/bin/cat", "ld-linux-x86-64.so.2", "libc.so.6", "[stack]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("/proc/self/maps does not mention %s:\n%s", want, r.stdout)
		}
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasSuffix(l, "libc.so.6") && strings.Contains(l, " 00:00 0 ") {
			t.Errorf("libc's mapping has no device and inode: %s", l)
		}
	}
}
