package tests

import (
	"strings"
	"testing"
)

// Unix-domain sockets, the kernel's own: a static C probe and the host's
// python3 using socketpair, a listening socket and asyncio.

// unixsockProbeChecks are the lines the probe prints when every check
// passes, in order.
var unixsockProbeChecks = []string{
	"socketpair-stream",
	"socketpair-dgram-seqpacket",
	"scm-rights",
	"bind-listen-accept-connect",
	"abstract-and-dgram",
	"eof-epipe-sigpipe",
	"poll-epoll-readiness",
	"eintr",
	"not-a-socket",
	"sendmmsg-recvmmsg",
}

// TestUnixSocketProbe runs a static C program that checks socketpair of
// each type, bind/listen/accept/connect by path and by abstract name,
// datagrams with sender names, SCM_RIGHTS across fork, EOF, EPIPE and
// SIGPIPE, EAGAIN, poll and epoll readiness (EPOLLRDHUP, POLLHUP), socket
// options, EINTR and ENOTSOCK. It must pass natively and under ward.
func TestUnixSocketProbe(t *testing.T) {
	probe := buildProbe(t, "unixsock_probe")
	var want strings.Builder
	for _, c := range unixsockProbeChecks {
		want.WriteString("ok " + c + "\n")
	}
	want.WriteString("PASSED\n")
	for _, underWard := range []bool{false, true} {
		name := "native"
		if underWard {
			name = "ward"
		}
		t.Run(name, func(t *testing.T) {
			r := run(t, underWard, probe)
			if r.status != 0 || r.stdout != want.String() {
				t.Errorf("status %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.status, r.stdout, want.String(), r.stderr)
			}
		})
	}
}

var pythonUnixCases = []struct{ name, script, want string }{
	{"socketpair-round-trip", `
import socket
a, b = socket.socketpair()
a.sendall(b"x" * 100000)
got = b""
while len(got) < 100000:
    got += b.recv(65536)
b.sendall(b"back")
print(len(got), a.recv(10), a.family == socket.AF_UNIX)
a.close()
print(repr(b.recv(10)))
`, "100000 b'back' True\nb''\n"},
	{"dgram-socketpair", `
import socket
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
for m in (b"one", b"two", b"three"):
    a.send(m)
print([b.recv(100) for _ in range(3)])
`, "[b'one', b'two', b'three']\n"},
	{"unix-server", `
import os, socket, tempfile
d = tempfile.mkdtemp()
p = os.path.join(d, "s")
srv = socket.socket(socket.AF_UNIX)
srv.bind(p)
srv.listen()
c = socket.socket(socket.AF_UNIX)
c.connect(p)
s, _ = srv.accept()
c.sendall(b"ping")
print(s.recv(4), s.getsockname() == p, c.getpeername() == p)
s.close(); c.close(); srv.close(); os.unlink(p); os.rmdir(d)
`, "b'ping' True True\n"},
	{"asyncio-socketpair-echo", `
import asyncio, socket
async def main():
    a, b = socket.socketpair()
    r1, w1 = await asyncio.open_connection(sock=a)
    r2, w2 = await asyncio.open_connection(sock=b)
    got = []
    for i in range(5):
        w1.write(b"msg %d\n" % i)
        await w1.drain()
        line = await asyncio.wait_for(r2.readline(), 5)
        w2.write(line.upper())
        await w2.drain()
        got.append((await asyncio.wait_for(r1.readline(), 5)).decode().strip())
    w1.close()
    print(",".join(got), await r2.read() == b"")
asyncio.run(main())
`, "MSG 0,MSG 1,MSG 2,MSG 3,MSG 4 True\n"},
	{"asyncio-unix-server", `
import asyncio, os, tempfile
async def handle(r, w):
    w.write((await r.readline()).upper())
    await w.drain()
    w.close()
async def main():
    p = os.path.join(tempfile.mkdtemp(), "sock")
    srv = await asyncio.start_unix_server(handle, p)
    out = []
    for i in range(3):
        r, w = await asyncio.open_unix_connection(p)
        w.write(b"hello %d\n" % i)
        out.append((await asyncio.wait_for(r.readline(), 5)).decode().strip())
        w.close()
    srv.close()
    await srv.wait_closed()
    print(",".join(out))
asyncio.run(main())
`, "HELLO 0,HELLO 1,HELLO 2\n"},
}

// TestPythonUnixSockets runs the host's python3 natively and under ward
// with socketpair, a listening Unix socket and asyncio streams over them;
// both must print the expected lines.
func TestPythonUnixSockets(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	for _, tc := range pythonUnixCases {
		for _, underWard := range []bool{false, true} {
			name := tc.name + "/native"
			if underWard {
				name = tc.name + "/ward"
			}
			t.Run(name, func(t *testing.T) {
				r := run(t, underWard, "/usr/bin/python3", "-c", tc.script)
				if r.status != 0 || r.stdout != tc.want {
					t.Errorf("status %d, stdout %q, want %q\nstderr:\n%s", r.status, r.stdout, tc.want, r.stderr)
				}
			})
		}
	}
}
