package tests

import "testing"

// pdeathScript: a grandchild asks (prctl PR_SET_PDEATHSIG) for SIGTERM when
// its parent dies, and reports it; then hashlib and json, which python's
// own C modules serve.
const pdeathScript = `
import ctypes, os, signal, time, hashlib, json
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe()
mid = os.fork()
if mid == 0:
    gc = os.fork()
    if gc == 0:
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        got = ctypes.c_int(0)
        libc.prctl(2, ctypes.byref(got))  # PR_GET_PDEATHSIG
        os.write(w, str(got.value).encode() + b"\n")
        signal.signal(signal.SIGTERM, lambda *a: (os.write(w, b"got SIGTERM\n"), os._exit(0)))
        time.sleep(10)
        os.write(w, b"timeout\n")
        os._exit(1)
    time.sleep(0.3)
    os._exit(0)
os.waitpid(mid, 0)
os.close(w)
out = b""
while True:
    b = os.read(r, 100)
    if not b:
        break
    out += b
print(out.decode().strip().replace("\n", " | "))
print(hashlib.sha256(b"ward").hexdigest()[:16], json.dumps([1, {"a": 2}]))
`

func TestParentDeathSignal(t *testing.T) {
	needFile(t, python3)
	native := run(t, false, python3, "-c", pdeathScript)
	ward := run(t, true, python3, "-c", pdeathScript)
	want := "15 | got SIGTERM\n96b8f576c788b75e [1, {\"a\": 2}]\n"
	if native.stdout != want || ward.stdout != want || ward.status != 0 {
		t.Errorf("native:\n%s\nward: status %d\n%s\n%s", native.stdout, ward.status, ward.stdout, ward.stderr)
	}
}
