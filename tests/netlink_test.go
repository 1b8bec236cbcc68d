package tests

import (
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Interface discovery: NETLINK_ROUTE sockets, the SIOCGIF* ioctls and
// /proc/net, as iproute2, glibc, python3 and net-tools use them, under
// ward's default network (loopback: lo only) and natively. The host has
// more interfaces than lo, so native output is cut down to lo's lines.

// needTool skips the test when a program is not installed.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed; tools/setup-test-deps installs iproute2", name)
	}
	return p
}

// bothWays runs argv natively and under ward (default network), checks
// that both exit 0, and returns both outputs after filter.
func bothWays(t *testing.T, filter func(string) string, argv ...string) (native, under string) {
	t.Helper()
	var out [2]string
	for i, underWard := range []bool{false, true} {
		r := run(t, underWard, argv...)
		if r.status != 0 {
			t.Fatalf("%v (ward %v): status %d\nstdout:\n%s\nstderr:\n%s", argv, underWard, r.status, r.stdout, r.stderr)
		}
		out[i] = filter(r.stdout)
	}
	return out[0], out[1]
}

// linesMatching keeps the lines that match re.
func linesMatching(re string) func(string) string {
	rx := regexp.MustCompile(re)
	return func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if rx.MatchString(l) {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
}

// TestNetlinkIPAddrLink compares `ip -o addr show lo`, `ip -o link show
// lo` and `ip -d addr show lo`'s address lines with the host's.
func TestNetlinkIPAddrLink(t *testing.T) {
	ip := needTool(t, "ip")
	for _, tc := range []struct {
		name   string
		argv   []string
		filter func(string) string
	}{
		{"addr", []string{ip, "-o", "addr", "show", "lo"}, func(s string) string { return s }},
		{"link", []string{ip, "-o", "link", "show", "lo"}, func(s string) string { return s }},
		{"addr-detail", []string{ip, "-d", "addr", "show", "lo"}, linesMatching(`^\s+(inet|valid_lft)|^1: lo`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			native, under := bothWays(t, tc.filter, tc.argv...)
			if native != under || under == "" {
				t.Errorf("%v\nnative:\n%s\nward:\n%s", tc.argv, native, under)
			}
		})
	}
}

// TestNetlinkIPRoute checks `ip route show table all`: lo's routes are
// Linux's (all in table local), and nothing else is there.
func TestNetlinkIPRoute(t *testing.T) {
	ip := needTool(t, "ip")
	native, under := bothWays(t, linesMatching(`dev lo `), ip, "route", "show", "table", "all")
	if native != under {
		t.Errorf("lo routes\nnative:\n%s\nward:\n%s", native, under)
	}
	r := run(t, true, ip, "route", "show", "table", "all")
	if got := strings.Count(r.stdout, "\n"); got != 4 {
		t.Errorf("ward: %d routes, want 4:\n%s", got, r.stdout)
	}
}

// TestNetlinkPython compares socket.if_nameindex() (lo only) and
// getaddrinfo("localhost") with the host's. (if_nametoindex is left out:
// glibc asks an AF_UNIX socket, whose ioctls do not reach the stack yet.)
func TestNetlinkPython(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	const script = `
import socket
print([x for x in socket.if_nameindex() if x[1] == "lo"])
print(sorted(set(a[4] for a in socket.getaddrinfo("localhost", 80))))
`
	native, under := bothWays(t, func(s string) string { return s }, "python3", "-c", script)
	if native != under {
		t.Errorf("native:\n%s\nward:\n%s", native, under)
	}
	if !strings.HasPrefix(under, "[(1, 'lo')]\n") {
		t.Errorf("ward: if_nameindex: %q", under)
	}
}

// TestNetlinkProbe runs testdata/netlink_probe.c: getifaddrs,
// if_nameindex, the SIOCGIF* ioctls, and raw NETLINK_ROUTE requests
// (acks, errors, dumps, MSG_PEEK|MSG_TRUNC, malformed messages).
func TestNetlinkProbe(t *testing.T) {
	probe := buildProbe(t, "netlink_probe")
	native, under := bothWays(t, func(s string) string { return s }, probe)
	if native != under {
		t.Errorf("native:\n%s\nward:\n%s", native, under)
	}
	for _, want := range []string{
		"getifaddrs lo family 2 addr 127.0.0.1 netmask 255.0.0.0 flags 0x10049",
		"getlink dump: link(lo 0x10049) done (EAGAIN)",
		"after garbage: (EAGAIN)",
	} {
		if !strings.Contains(under, want) {
			t.Errorf("ward output lacks %q:\n%s", want, under)
		}
	}
}

// TestNetlinkProcNetDev checks /proc/net/dev: Linux's header and lo (with
// zero counters under ward).
func TestNetlinkProcNetDev(t *testing.T) {
	native, under := bothWays(t, func(s string) string { return s }, "cat", "/proc/net/dev")
	nl, ul := strings.Split(native, "\n"), strings.Split(under, "\n")
	if len(nl) < 3 || len(ul) != 4 || nl[0] != ul[0] || nl[1] != ul[1] {
		t.Fatalf("native:\n%s\nward:\n%s", native, under)
	}
	const lo = "    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0"
	if ul[2] != lo {
		t.Errorf("ward lo line\n%q\nwant\n%q", ul[2], lo)
	}
	for _, f := range []string{"/proc/self/net/if_inet6", "/proc/net/route", "/proc/net/unix"} {
		native, under := bothWays(t, linesMatching(`^(Iface|Num)|\slo$`), "cat", f)
		if native != under {
			t.Errorf("%s\nnative:\n%s\nward:\n%s", f, native, under)
		}
	}
}

// pySockets opens a TCP listener and connection over 127.0.0.1, a TCP
// listener on ::1 and a bound UDP socket, then runs each argument as a
// command and prints its output with the ports replaced by names.
const pySockets = `
import socket, subprocess, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
s6 = socket.socket(socket.AF_INET6); s6.bind(("::1", 0)); s6.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
c = socket.create_connection(("127.0.0.1", s.getsockname()[1])); a, _ = s.accept()
names = {s.getsockname()[1]: "P", s6.getsockname()[1]: "P6", u.getsockname()[1]: "U", c.getsockname()[1]: "C"}
for cmd in sys.argv[1:]:
    out = subprocess.run(cmd.split(), capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        for port, name in names.items():
            f = [x.replace(":%d" % port, ":" + name).replace(":%04X" % port, ":" + name) for x in f]
        if any(x.endswith(":" + n) for x in f for n in names.values()):
            print(cmd.split()[0], " ".join(f))
`

// TestNetlinkSocketTables checks that /proc/net/tcp, tcp6 and udp list a
// program's sockets as Linux does (address, port, state, queues), and
// that ss and netstat, which read them, show the same lines natively and
// under ward.
func TestNetlinkSocketTables(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	cmds := []string{"cut -c1-72 /proc/net/tcp", "cut -c1-130 /proc/net/tcp6", "cut -c1-72 /proc/net/udp"}
	// Not ss -t: natively it asks NETLINK_SOCK_DIAG, which reports a
	// listener's backlog as Send-Q; under ward it falls back to
	// /proc/net/tcp, where Linux shows 0.
	for _, tool := range []string{"ss -uanH", "netstat -tln"} {
		if _, err := exec.LookPath(strings.Fields(tool)[0]); err == nil {
			cmds = append(cmds, tool)
		}
	}
	// Sequence numbers (sl) and the order of lines differ (Linux lists
	// in hash order); the rest must agree.
	norm := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			f := strings.Fields(l)
			if len(f) > 2 && strings.HasPrefix(f[0], "cut") {
				f[1] = "N:"
			}
			out = append(out, strings.Join(f, " "))
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	native, under := bothWays(t, norm, append([]string{"python3", "-c", pySockets}, cmds...)...)
	if native != under {
		t.Errorf("native:\n%s\nward:\n%s", native, under)
	}
	for _, want := range []string{"cut N: 0100007F:P 00000000:0000 0A", "cut N: 0100007F:C 0100007F:P 01"} {
		if !strings.Contains(under, want) {
			t.Errorf("ward lacks %q:\n%s", want, under)
		}
	}
}

// TestNetlinkNone checks the none stack: no netlink (ip cannot open its
// socket), and /proc/net files with their headers only.
func TestNetlinkNone(t *testing.T) {
	ip := needTool(t, "ip")
	r := run(t, false, wardBinary(t), "run", "--network", "none", "--", ip, "addr")
	if r.status == 0 || !strings.Contains(r.stderr, "Cannot open netlink socket") {
		t.Errorf("ip addr under none: status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	r = run(t, false, wardBinary(t), "run", "--network", "none", "--", "cat", "/proc/net/dev", "/proc/net/tcp", "/proc/net/if_inet6")
	if r.status != 0 || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("/proc/net under none: status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}
