package mm

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func TestHandleFault(t *testing.T) {
	e := newTestEnv(t)
	const base = 0x400000
	e.mmap(t, base, 64*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+64*pg, pg, ro, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+65*pg, pg, none, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+66*pg, pg, platform.ProtExec, unix.MAP_PRIVATE|unix.MAP_FIXED)

	for _, tc := range []struct {
		name string
		addr uintptr
		at   platform.Prot
		code int32 // 0: success
	}{
		{"unmapped", base - pg, 0, SegvMapErr},
		{"below the user range", 0x100, 0, SegvMapErr},
		{"above the user range", testMaxAddr + 5, 0, SegvMapErr},
		{"read", base + 20*pg + 17, platform.ProtRead, 0},
		{"unknown access", base + 40*pg, 0, 0},
		{"write to read-only", base + 64*pg, platform.ProtWrite, SegvAccErr},
		{"read of read-only", base + 64*pg, platform.ProtRead, 0},
		{"PROT_NONE", base + 65*pg, 0, SegvAccErr},
		{"exec", base + 66*pg, platform.ProtExec, 0},
		{"exec of data", base, platform.ProtExec, SegvAccErr},
		{"again (sibling thread raced)", base + 20*pg, 0, 0},
	} {
		err := e.mm.HandleFault(tc.addr, tc.at)
		if tc.code == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !isSegv(err, tc.code) {
			t.Errorf("%s: %v, want SIGSEGV code %d", tc.name, err, tc.code)
		}
	}
	// The window: one aligned faultAround block, nothing more.
	e2 := newTestEnv(t)
	a := e2.mmap(t, base, 64*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err := e2.mm.HandleFault(a+20*pg+5, platform.ProtWrite); err != nil {
		t.Fatal(err)
	}
	ws := (a + 20*pg) &^ (faultAround - 1)
	if u := e2.mf.Usage().Allocated; u != faultAround {
		t.Fatalf("fault populated %#x bytes, want %#x", u, faultAround)
	}
	for p := ws; p < ws+faultAround; p += pg {
		if _, ok := e2.as.translate(p, platform.ProtWrite); !ok {
			t.Fatalf("page %#x of the window not mapped writable", p)
		}
	}
	// A second fault next to it fills only the remaining hole.
	e2.write(t, ws-1, []byte{1})
	if u := e2.mf.Usage().Allocated; u != 2*faultAround {
		t.Fatalf("second fault: %#x bytes allocated", u)
	}
	// The window is clipped to a VMA that starts inside it.
	e3 := newTestEnv(t)
	b := e3.mmap(t, base+pg, 64*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e3.write(t, b, []byte{1})
	if u := e3.mf.Usage().Allocated; u != faultAround-pg {
		t.Fatalf("fault at an unaligned VMA start populated %#x bytes, want %#x", u, faultAround-pg)
	}
}

func TestStackGrowth(t *testing.T) {
	e := newTestEnv(t)
	const top = 0x7ffff0000000
	e.mm.SetStackLimit(64 * pg)
	stack, err := e.mm.MMap(MMapOpts{Addr: top - 4*pg, Length: 4 * pg, Prot: rw,
		Flags: anonPriv | unix.MAP_FIXED | unix.MAP_GROWSDOWN, Name: "[stack]"})
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, stack-10*pg+8, []byte("deep"))
	vs := e.mm.VMAs()
	if len(vs) != 1 || vs[0].Start != stack-10*pg || !vs[0].GrowsDown || vs[0].Name != "[stack]" {
		t.Fatalf("stack VMA after growth %+v", vs)
	}
	// Beyond RLIMIT_STACK: SIGSEGV.
	if err := appWrite(e.mm, e.as, top-64*pg-1, []byte{1}); !isSegv(err, SegvMapErr) {
		t.Fatalf("growth beyond the limit: %v", err)
	}
	// Not into the guard gap above another mapping.
	e.mmap(t, top-40*pg-stackGuardGap, pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err := appWrite(e.mm, e.as, top-39*pg-1, []byte{1}); err == nil {
		t.Fatalf("stack grew into the guard gap")
	}
	if err := appWrite(e.mm, e.as, top-39*pg, []byte{1}); err != nil {
		t.Fatalf("growth to the guard gap: %v", err)
	}
	// The kernel's copies do not grow the stack (Linux 6.5+).
	if _, err := e.mm.CopyOut(top-50*pg, []byte{1}); err != unix.EFAULT {
		t.Fatalf("CopyOut below the stack: %v, want EFAULT", err)
	}
}
