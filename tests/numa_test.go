package tests

import (
	"os"
	"strings"
	"testing"
)

// numaScript drives get_mempolicy, set_mempolicy and mbind through ctypes,
// valid and invalid calls alike, and prints each result. The sandbox has
// one memory node, as these hosts do.
const numaScript = `
import ctypes, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(*args):
    r = libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r if r >= 0 else -ctypes.get_errno()
mode = ctypes.c_int(-1); mask = ctypes.c_ulong(0xff)
print("get", sc(239, ctypes.byref(mode), ctypes.byref(mask), 64, 0, 0), mode.value, mask.value)
one = ctypes.c_ulong(1)
print("bind", sc(238, 2, ctypes.byref(one), 2))
print("get", sc(239, ctypes.byref(mode), ctypes.byref(mask), 64, 0, 0), mode.value, mask.value)
print("interleave node", sc(239, ctypes.byref(mode), 0, 0, 0, 1))
print("default with nodes", sc(238, 0, ctypes.byref(one), 2))
two = ctypes.c_ulong(2)
print("bind node 1", sc(238, 2, ctypes.byref(two), 64))
print("bind empty", sc(238, 2, 0, 0))
print("bad mode", sc(238, 9, 0, 0))
print("default", sc(238, 0, 0, 0))
print("get", sc(239, ctypes.byref(mode), ctypes.byref(mask), 64, 0, 0), mode.value, mask.value)
print("allowed", sc(239, ctypes.byref(mode), ctypes.byref(mask), 64, 0, 4), mode.value, mask.value)
print("maxnode 0", sc(239, ctypes.byref(mode), ctypes.byref(mask), 0, 0, 0))
m = mmap.mmap(-1, 8192)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
print("mbind", sc(237, addr, 8192, 2, ctypes.byref(one), 2, 0))
print("mbind unmapped", sc(237, 0x10000, 4096, 0, 0, 0, 0))
print("mbind bad flags", sc(237, addr, 8192, 0, 0, 0, 64))
print("addr node", sc(239, ctypes.byref(mode), 0, 0, addr, 3), mode.value)
print("addr unmapped", sc(239, ctypes.byref(mode), 0, 0, 0x10000, 2))
print("preferred local", sc(238, 1, 0, 0), sc(239, ctypes.byref(mode), 0, 0, 0, 0), mode.value)
`

// TestNUMAPolicies: the NUMA policy calls (which ps and numactl make)
// answer as on a one-node host.
func TestNUMAPolicies(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	if _, err := os.Stat("/sys/devices/system/node/node1"); err == nil {
		t.Skip("the host has more than one memory node; the sandbox has one, so their answers differ")
	}
	native := run(t, false, "/usr/bin/python3", "-c", numaScript)
	under := run(t, true, "/usr/bin/python3", "-c", numaScript)
	if native.status != 0 || under.status != 0 || native.stdout != under.stdout {
		t.Fatalf("native (status %d):\n%s\nward (status %d):\n%s\nstderr:\n%s", native.status, native.stdout, under.status, under.stdout, under.stderr)
	}
}

// pkeyScript calls pkey_alloc, pkey_free and pkey_mprotect, valid and
// invalid, and prints the results.
const pkeyScript = `
import ctypes, mmap
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(*a):
    r = libc.syscall(*[ctypes.c_long(x) for x in a]); return r if r >= 0 else -ctypes.get_errno()
m = mmap.mmap(-1, 4096); addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
print(sc(330, 0, 0), sc(330, 1, 0), sc(330, 0, 4), sc(331, 1), sc(329, addr, 4096, 1, -1), sc(329, addr, 4096, 1, 1))
`

// TestProtectionKeys: the sandbox has no memory protection keys, and says
// so as this host (whose CPUs have none) does.
func TestProtectionKeys(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	if b, err := os.ReadFile("/proc/cpuinfo"); err != nil || strings.Contains(string(b), " pku") {
		t.Skip("the host has protection keys; the sandbox has none, so they differ")
	}
	native := run(t, false, "/usr/bin/python3", "-c", pkeyScript)
	under := run(t, true, "/usr/bin/python3", "-c", pkeyScript)
	if native.status != 0 || under.status != 0 || native.stdout != under.stdout {
		t.Fatalf("native (status %d):\n%s\nward (status %d):\n%s\nstderr:\n%s", native.status, native.stdout, under.status, under.stdout, under.stderr)
	}
}
