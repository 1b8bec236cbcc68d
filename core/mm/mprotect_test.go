package mm

import (
	"bytes"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func TestMProtectSplitMerge(t *testing.T) {
	const base = 0x400000
	for _, tc := range []struct {
		name       string
		addr, size uintptr
		prot       platform.Prot
		want       []span
	}{
		{"middle", base + pg, 2 * pg, ro, []span{{base, base + pg, rw}, {base + pg, base + 3*pg, ro}, {base + 3*pg, base + 4*pg, rw}}},
		{"start", base, pg, none, []span{{base, base + pg, none}, {base + pg, base + 4*pg, rw}}},
		{"end", base + 3*pg, pg - 1, ro, []span{{base, base + 3*pg, rw}, {base + 3*pg, base + 4*pg, ro}}},
		{"whole", base, 4 * pg, ro, []span{{base, base + 4*pg, ro}}},
		{"same", base + pg, pg, rw, []span{{base, base + 4*pg, rw}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.mmap(t, base, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
			e.write(t, base, fill(4*pg, 5))
			if err := e.mm.MProtect(tc.addr, tc.size, uint32(tc.prot)); err != nil {
				t.Fatal(err)
			}
			if got := spans(e.mm); !sameSpans(got, tc.want) {
				t.Fatalf("VMAs %v, want %v", got, tc.want)
			}
			checkInvariants(t, e.mm, e.as)
			// Restoring the protection merges the VMAs back.
			if err := e.mm.MProtect(base, 4*pg, uint32(rw)); err != nil {
				t.Fatal(err)
			}
			if got := spans(e.mm); !sameSpans(got, []span{{base, base + 4*pg, rw}}) {
				t.Fatalf("after restoring: VMAs %v, want one", got)
			}
			if got := e.read(t, base, 4*pg); !bytes.Equal(got, fill(4*pg, 5)) {
				t.Fatal("contents changed by mprotect")
			}
		})
	}
}

func TestMProtectEnforced(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0, 2*pg, rw, unix.MAP_PRIVATE)
	e.write(t, a, []byte("hello"))
	if err := e.mm.MProtect(a, 2*pg, uint32(ro)); err != nil {
		t.Fatal(err)
	}
	if err := appWrite(e.mm, e.as, a, []byte("x")); !isSegv(err, SegvAccErr) {
		t.Fatalf("write to read-only page: %v, want SEGV_ACCERR", err)
	}
	if err := e.mm.MProtect(a, 2*pg, 0); err != nil {
		t.Fatal(err)
	}
	if e.as.mapped() != 0 {
		t.Fatalf("PROT_NONE pages still mapped in the address space: %d", e.as.mapped())
	}
	if _, err := appRead(e.mm, e.as, a, 1); !isSegv(err, SegvAccErr) {
		t.Fatalf("read of PROT_NONE page: %v", err)
	}
	if err := e.mm.MProtect(a, pg, uint32(rw)); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, a, 5); string(got) != "hello" {
		t.Fatalf("contents after PROT_NONE round trip: %q", got)
	}
}

func TestMProtectErrors(t *testing.T) {
	const base = 0x400000
	e := newTestEnv(t)
	e.mmap(t, base, 2*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+3*pg, pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	for _, tc := range []struct {
		name       string
		addr, size uintptr
		prot       uint32
		want       error
	}{
		{"misaligned", base + 1, pg, unix.PROT_READ, unix.EINVAL},
		{"unknown bit", base, pg, unix.PROT_READ | 0x100, unix.EINVAL},
		{"both grow bits", base, pg, unix.PROT_GROWSDOWN | unix.PROT_GROWSUP, unix.EINVAL},
		{"growsdown on normal VMA", base, pg, unix.PROT_READ | unix.PROT_GROWSDOWN, unix.EINVAL},
		{"zero length", base + 100*pg, 0, unix.PROT_READ, nil},
		{"unmapped", base + 10*pg, pg, unix.PROT_READ, unix.ENOMEM},
		{"wraps", base, ^uintptr(0) - pg, unix.PROT_READ, unix.ENOMEM},
		{"PROT_SEM is fine", base, pg, unix.PROT_READ | unix.PROT_WRITE | protSem, nil},
	} {
		if err := e.mm.MProtect(tc.addr, tc.size, tc.prot); !errIs(err, tc.want) {
			t.Errorf("%s: MProtect: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A hole: Linux changes the VMAs before it and then fails.
	if err := e.mm.MProtect(base, 4*pg, unix.PROT_READ); err != unix.ENOMEM {
		t.Fatalf("mprotect over a hole: %v, want ENOMEM", err)
	}
	want := []span{{base, base + 2*pg, ro}, {base + 3*pg, base + 4*pg, rw}}
	if got := spans(e.mm); !sameSpans(got, want) {
		t.Fatalf("VMAs %v, want %v", got, want)
	}
}

func TestMProtectGrowsDown(t *testing.T) {
	e := newTestEnv(t)
	const top = 0x7fff00000000
	e.mmap(t, top-4*pg, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_GROWSDOWN)
	if err := e.mm.MProtect(top-2*pg, pg, unix.PROT_READ|unix.PROT_GROWSDOWN); err != nil {
		t.Fatal(err)
	}
	want := []span{{top - 4*pg, top - pg, ro}, {top - pg, top, rw}}
	if got := spans(e.mm); !sameSpans(got, want) {
		t.Fatalf("VMAs %v, want %v", got, want)
	}
}
