package tests

import (
	"testing"
)

// The loopback network stack: real programs (python3, bash) use TCP and
// UDP over 127.0.0.1 and ::1 inside the sandbox, under `--network
// loopback`, and must print what they print natively.

// runNet runs argv natively, or under ward with the loopback stack.
func runNet(t *testing.T, underWard bool, argv ...string) result {
	t.Helper()
	if underWard {
		argv = append([]string{wardBinary(t), "run", "--network", "loopback", "--"}, argv...)
	}
	return run(t, false, argv...)
}

// compareNet runs argv natively and under ward and checks that both exit
// 0 and print want.
func compareNet(t *testing.T, want string, argv ...string) {
	t.Helper()
	for _, underWard := range []bool{false, true} {
		name := "native"
		if underWard {
			name = "ward"
		}
		t.Run(name, func(t *testing.T) {
			r := runNet(t, underWard, argv...)
			if r.status != 0 || r.stdout != want {
				t.Errorf("status %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
			}
		})
	}
}

const pyTCPEcho = `
import socket, threading
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, 0))
    srv.listen()
    port = srv.getsockname()[1]
    def serve():
        c, _ = srv.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            b = c.recv(65536)
            if not b:
                break
            c.sendall(b)
        c.close()
    th = threading.Thread(target=serve)
    th.start()
    cl = socket.create_connection((host, port))
    print(fam.name, cl.getpeername()[:2] == (host, port), cl.getsockname()[0])
    data = bytes(range(256)) * 4000
    def send():
        cl.sendall(data)
        cl.shutdown(socket.SHUT_WR)
    ts = threading.Thread(target=send)
    ts.start()
    got = bytearray()
    while True:
        b = cl.recv(65536)
        if not b:
            break
        got += b
    ts.join(); th.join()
    print(fam.name, "echoed", len(got), got == data)
    cl.close(); srv.close()
`

// TestNetTCPEcho runs a python3 TCP echo server in a thread and a client
// in another over 127.0.0.1 and ::1: a megabyte each way, half-close
// with SHUT_WR, EOF on close.
func TestNetTCPEcho(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	compareNet(t, "AF_INET True 127.0.0.1\nAF_INET echoed 1024000 True\nAF_INET6 True ::1\nAF_INET6 echoed 1024000 True\n",
		"/usr/bin/python3", "-c", pyTCPEcho)
}

const pyUDP = `
import errno, socket
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    a = socket.socket(fam, socket.SOCK_DGRAM)
    a.bind((host, 0))
    b = socket.socket(fam, socket.SOCK_DGRAM)
    for m in (b"one", b"two", b"three"):
        b.sendto(m, a.getsockname())
    got = []
    for _ in range(3):
        d, frm = a.recvfrom(100)
        got.append(d)
        a.sendto(d.upper(), frm)
    back = [b.recvfrom(100)[0] for _ in range(3)]
    print(fam.name, got, back, frm[1] == b.getsockname()[1])
    c = socket.socket(fam, socket.SOCK_DGRAM)
    c.connect((host, a.getsockname()[1]))
    c.send(b"connected")
    print(fam.name, a.recv(100))
    a.close()
    c.send(b"to nobody")
    try:
        c.recv(100)
    except OSError as e:
        print(fam.name, errno.errorcode[e.errno])
# A dual-stack socket receives IPv4, and sees the sender v4-mapped.
d = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
d.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
d.bind(("::", 0))
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
e.sendto(b"v4", ("127.0.0.1", d.getsockname()[1]))
m, frm = d.recvfrom(10)
print(m, frm[0])
`

// TestNetUDP is a UDP round trip in python3: datagrams with their source
// address, replies to it, a connected socket, and ECONNREFUSED after a
// datagram to a closed port; then a dual-stack socket receiving IPv4.
func TestNetUDP(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	want := "AF_INET [b'one', b'two', b'three'] [b'ONE', b'TWO', b'THREE'] True\n" +
		"AF_INET b'connected'\nAF_INET ECONNREFUSED\n" +
		"AF_INET6 [b'one', b'two', b'three'] [b'ONE', b'TWO', b'THREE'] True\n" +
		"AF_INET6 b'connected'\nAF_INET6 ECONNREFUSED\n" +
		"b'v4' ::ffff:127.0.0.1\n"
	compareNet(t, want, "/usr/bin/python3", "-c", pyUDP)
}

const pyErrors = `
import errno, socket
def err(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
print("connect-refused", err(lambda: socket.socket().connect(("127.0.0.1", port))))
s.listen()
t = socket.socket()
print("addr-in-use", err(lambda: t.bind(("127.0.0.1", port))))
print("addr-not-avail", err(lambda: socket.socket().bind(("192.0.2.1", 0))))
print("addr-not-avail-6", err(lambda: socket.socket(socket.AF_INET6).bind(("2001:db8::1", 0))))
print("unknown-opt", err(lambda: s.setsockopt(socket.IPPROTO_TCP, 12345, 1)))
print("so-type", s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM)
print("acceptconn", s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
s.setblocking(False)
print("accept-eagain", err(lambda: s.accept()))
c = socket.create_connection(("127.0.0.1", port))
print("send-unconnected", err(lambda: socket.socket().send(b"x")))
a, _ = s.accept()
print("so-error", a.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
c.close()
print("eof", a.recv(10))
`

// TestNetErrors checks the errnos programs see from the stack against
// native: ECONNREFUSED, EADDRINUSE, EADDRNOTAVAIL, ENOPROTOOPT, EAGAIN,
// EPIPE.
func TestNetErrors(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	want := "connect-refused ECONNREFUSED\naddr-in-use EADDRINUSE\naddr-not-avail EADDRNOTAVAIL\n" +
		"addr-not-avail-6 EADDRNOTAVAIL\nunknown-opt ENOPROTOOPT\nso-type True\nacceptconn 1\n" +
		"accept-eagain EAGAIN\nsend-unconnected EPIPE\nso-error 0\neof b''\n"
	compareNet(t, want, "/usr/bin/python3", "-c", pyErrors)
}

const pyAsyncio = `
import asyncio
async def handle(r, w):
    while line := await r.readline():
        w.write(line.upper())
        await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    out = []
    for i in range(3):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"hello %d\n" % i)
        out.append((await asyncio.wait_for(r.readline(), 30)).decode().strip())
        w.close()
        await w.wait_closed()
    srv.close()
    await srv.wait_closed()
    print(",".join(out))
asyncio.run(main())
`

// TestNetAsyncio runs an asyncio TCP server and clients: non-blocking
// sockets and epoll readiness.
func TestNetAsyncio(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	compareNet(t, "HELLO 0,HELLO 1,HELLO 2\n", "/usr/bin/python3", "-c", pyAsyncio)
}

// netHTTPScript serves a file with python3 -m http.server in the
// background of a shell, once on 127.0.0.1 and once on ::1, waits (with a
// bound, polling) for the server to print its port, fetches the file
// with urllib and stops the server.
const netHTTPScript = `
set -e
d=$(mktemp -d)
cd "$d"
printf 'hello over loopback\n' > index.txt
for host in 127.0.0.1 ::1; do
  /usr/bin/python3 -u -m http.server --bind "$host" 0 > log 2>&1 &
  pid=$!
  for i in $(seq 1 1200); do
    grep -q ' port ' log && break
    sleep 0.05
  done
  port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' log | head -1)
  /usr/bin/python3 - "$host" "$port" <<'PY'
import sys, urllib.request
host, port = sys.argv[1], sys.argv[2]
if ":" in host:
    host = "[" + host + "]"
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
r = opener.open("http://%s:%s/index.txt" % (host, port), timeout=30)
print(r.status, r.read().decode().strip())
PY
  kill $pid
  wait $pid || true
  echo "$host logged $(grep -c '"GET /index.txt HTTP/1.1" 200' log)"
done
cd /
rm -rf "$d"
`

// TestNetHTTPServer runs python3's http.server in the background of a bash
// script and fetches a file from it with python3's urllib, over IPv4 and
// IPv6.
func TestNetHTTPServer(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	needFile(t, "/bin/bash")
	compareNet(t, "200 hello over loopback\n127.0.0.1 logged 1\n200 hello over loopback\n::1 logged 1\n",
		"/bin/bash", "-c", netHTTPScript)
}
