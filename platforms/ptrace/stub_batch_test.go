//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBatch runs more calls than one scratch page holds through the batch
// slot, the last of them failing: the ones before it are done, it is
// reported with its index and errno, and the one after it is never run.
func TestBatch(t *testing.T) {
	p := newPlatform(t)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	a := as.(*addressSpace)
	const base, n = 0x10_0000, maxBatch + 6
	var calls []call
	for i := 0; i < n; i++ {
		calls = append(calls, call{nr: unix.SYS_MMAP, args: [6]uintptr{base + uintptr(i)*pageSize, pageSize,
			unix.PROT_READ, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED, ^uintptr(0), 0}})
	}
	calls = append(calls,
		call{nr: unix.SYS_MUNMAP, args: [6]uintptr{base + 1, pageSize}}, // misaligned: EINVAL
		call{nr: unix.SYS_MMAP, args: [6]uintptr{base + n*pageSize, pageSize,
			unix.PROT_READ, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED, ^uintptr(0), 0}})
	err = p.m.do(func() error { return a.stub.batch(calls) })
	var be *batchError
	if !errors.As(err, &be) || be.index != n || be.errno != unix.EINVAL || be.nr != unix.SYS_MUNMAP {
		t.Fatalf("batch = %v, want call %d (munmap) failing with EINVAL", err, n)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", a.stub.pid))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%08x-%08x r--p", base, base+n*pageSize)
	if !strings.Contains(string(b), want) {
		t.Errorf("stub maps:\n%s\nwant the %d pages mapped: %s", b, n, want)
	}
	if strings.Contains(string(b), fmt.Sprintf("%08x-%08x", base, base+(n+1)*pageSize)) {
		t.Errorf("the call after the failed one ran:\n%s", b)
	}
	// The stub is still usable: a single injection works.
	var pid uintptr
	err = p.m.do(func() error {
		var err error
		pid, err = a.stub.syscall(unix.SYS_GETPID)
		return err
	})
	if err != nil || int32(pid) != a.stub.pid {
		t.Errorf("getpid after the batch = %d, %v; want %d", pid, err, a.stub.pid)
	}
}

// TestAddressSpaceBatch checks platform.Batcher on a flushed address
// space: inside a batch nothing reaches the stub, EndBatch applies it all,
// in order, and an empty batch costs nothing.
func TestAddressSpaceBatch(t *testing.T) {
	p := newPlatform(t)
	mem := newAppMem(t)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	a := as.(*addressSpace)
	applyQueued(t, as)
	maps := func() string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", a.stub.pid))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	a.BeginBatch()
	if err := as.MapFile(codeAddr, mem.fd, 0, 4*pageSize, 1); err != nil {
		t.Fatal(err)
	}
	if err := as.Unmap(codeAddr+pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(maps(), "00400000") {
		t.Fatal("a batched MapFile reached the stub before EndBatch")
	}
	if err := a.EndBatch(); err != nil {
		t.Fatal(err)
	}
	m := maps()
	for _, want := range []string{"00400000-00401000 r--s", "00402000-00404000 r--s"} {
		if !strings.Contains(m, want) {
			t.Errorf("after EndBatch the stub maps:\n%s\nwant %s", m, want)
		}
	}
	a.BeginBatch()
	if err := a.EndBatch(); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

// TestStableFile: a declared stable descriptor's key is remembered, and
// another descriptor is still asked of the host.
func TestStableFile(t *testing.T) {
	p := newPlatform(t)
	mem, other := newAppMem(t), newAppMem(t)
	if err := p.DeclareStableFile(mem.fd); err != nil {
		t.Fatal(err)
	}
	want, _ := hostKeyOf(mem.fd)
	if got, err := p.keyOf(mem.fd); err != nil || got != want {
		t.Errorf("keyOf(stable) = %v, %v; want %v", got, err, want)
	}
	got, err := p.keyOf(other.fd)
	if err != nil || got == want {
		t.Errorf("keyOf(another file) = %v, %v; must differ from the stable file's %v", got, err, want)
	}
}
