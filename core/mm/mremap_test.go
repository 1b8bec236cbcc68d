package mm

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMRemap(t *testing.T) {
	const base = 0x400000
	const other = 0x800000
	data := fill(4*pg, 7)
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, e *testEnv) // after base has 4 pages of data
		old, new uintptr
		flags    int
		newAddr  uintptr
		want     uintptr // returned address; 0 = error expected
		wantErr  error
		spans    []span
	}{
		{name: "shrink", old: 4 * pg, new: 2 * pg, want: base,
			spans: []span{{base, base + 2*pg, rw}}},
		{name: "same size", old: 4 * pg, new: 4 * pg, want: base,
			spans: []span{{base, base + 4*pg, rw}}},
		{name: "grow in place", old: 4 * pg, new: 8 * pg, want: base,
			spans: []span{{base, base + 8*pg, rw}}},
		{name: "grow blocked", setup: blockAbove(base + 4*pg), old: 4 * pg, new: 8 * pg, wantErr: unix.ENOMEM},
		{name: "grow moves", setup: blockAbove(base + 4*pg), old: 4 * pg, new: 8 * pg, flags: unix.MREMAP_MAYMOVE,
			want: 0 /* anywhere */},
		{name: "fixed", old: 4 * pg, new: 4 * pg, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: other,
			want: other, spans: []span{{other, other + 4*pg, rw}}},
		{name: "fixed grow replaces", setup: blockAbove(other + pg), old: 4 * pg, new: 6 * pg,
			flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: other,
			want: other, spans: []span{{other, other + 6*pg, rw}}},
		{name: "fixed shrink", old: 4 * pg, new: 2 * pg, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: other,
			want: other, spans: []span{{other, other + 2*pg, rw}}},
		{name: "fixed overlapping", old: 4 * pg, new: 4 * pg, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED,
			newAddr: base + 2*pg, wantErr: unix.EINVAL},
		{name: "fixed without maymove", old: 4 * pg, new: 4 * pg, flags: unix.MREMAP_FIXED, newAddr: other, wantErr: unix.EINVAL},
		{name: "fixed misaligned", old: 4 * pg, new: 4 * pg, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: other + 1, wantErr: unix.EINVAL},
		{name: "bad flag", old: 4 * pg, new: 4 * pg, flags: 0x80, wantErr: unix.EINVAL},
		{name: "zero new size", old: 4 * pg, new: 0, wantErr: unix.EINVAL},
		{name: "private old size zero", old: 0, new: pg, flags: unix.MREMAP_MAYMOVE, wantErr: unix.EINVAL},
		{name: "spans beyond VMA", old: 5 * pg, new: 8 * pg, wantErr: unix.EFAULT},
		{name: "dontunmap", old: 4 * pg, new: 4 * pg, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_DONTUNMAP | unix.MREMAP_FIXED,
			newAddr: other, want: other, spans: []span{{base, base + 4*pg, rw}, {other, other + 4*pg, rw}}},
		{name: "dontunmap resize", old: 4 * pg, new: 8 * pg, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_DONTUNMAP, wantErr: unix.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.mmap(t, base, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
			e.write(t, base, data)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			before := spans(e.mm)
			got, err := e.mm.MRemap(base, tc.old, tc.new, tc.flags, tc.newAddr)
			if tc.wantErr != nil {
				if err != tc.wantErr {
					t.Fatalf("MRemap: %#x, %v; want %v", got, err, tc.wantErr)
				}
				if after := spans(e.mm); !sameSpans(before, after) && tc.flags&unix.MREMAP_FIXED == 0 {
					t.Fatalf("failed MRemap changed VMAs: %v -> %v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatalf("MRemap: %v", err)
			}
			if tc.want != 0 && got != tc.want {
				t.Fatalf("MRemap returned %#x, want %#x", got, tc.want)
			}
			if tc.spans != nil {
				if s := spansIn(e.mm, base-pg, other+16*pg); !sameSpans(s, tc.spans) {
					t.Fatalf("VMAs %v, want %v", s, tc.spans)
				}
			}
			// The data moved with the mapping.
			n := int(min(tc.old, tc.new))
			if b := e.read(t, got, n); !bytes.Equal(b, data[:n]) {
				t.Fatal("contents did not follow the mapping")
			}
			if tc.new > tc.old {
				if b := e.read(t, got+tc.old, int(tc.new-tc.old)); !bytes.Equal(b, make([]byte, tc.new-tc.old)) {
					t.Fatal("grown part not zero")
				}
			}
			if got != base && tc.flags&unix.MREMAP_DONTUNMAP == 0 {
				if _, err := appRead(e.mm, e.as, base, 1); !isSegv(err, SegvMapErr) {
					t.Fatalf("old range still accessible after move: %v", err)
				}
			}
			if tc.flags&unix.MREMAP_DONTUNMAP != 0 {
				if b := e.read(t, base, 4*pg); !bytes.Equal(b, make([]byte, 4*pg)) {
					t.Fatal("MREMAP_DONTUNMAP left pages in the old range")
				}
			}
		})
	}
}

// blockAbove maps one page at addr so that growth into it fails.
func blockAbove(addr uintptr) func(*testing.T, *testEnv) {
	return func(t *testing.T, e *testEnv) {
		e.mmap(t, addr, pg, ro, unix.MAP_PRIVATE|unix.MAP_FIXED)
	}
}

func TestMRemapSharedDuplicate(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0, 2*pg, rw, unix.MAP_SHARED)
	e.write(t, a+pg, []byte("same pages"))
	b, err := e.mm.MRemap(a, 0, 2*pg, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b == a {
		t.Fatal("duplicate at the same address")
	}
	if got := e.read(t, b+pg, 10); string(got) != "same pages" {
		t.Fatalf("duplicate reads %q", got)
	}
	e.write(t, b, []byte("back"))
	if got := e.read(t, a, 4); string(got) != "back" {
		t.Fatalf("write through the duplicate not seen: %q", got)
	}
}

func TestMRemapNotMapped(t *testing.T) {
	e := newTestEnv(t)
	if _, err := e.mm.MRemap(0x400000, pg, 2*pg, unix.MREMAP_MAYMOVE, 0); err != unix.EFAULT {
		t.Fatalf("mremap of unmapped memory: %v, want EFAULT", err)
	}
	// Shrinking does not look at the mapping, as in Linux.
	if got, err := e.mm.MRemap(0x400000, 2*pg, pg, 0, 0); err != nil || got != 0x400000 {
		t.Fatalf("shrink of unmapped memory: %#x, %v", got, err)
	}
	if _, err := e.mm.MRemap(0x400001, pg, pg, 0, 0); err != unix.EINVAL {
		t.Fatalf("misaligned: %v", err)
	}
}

// TestMRemapHugeOldSize: an old range reaching past the top of the address
// space (found by fuzzing: it went down to the platform as an unmap) is
// EINVAL, whether the remap shrinks, grows or moves.
func TestMRemapHugeOldSize(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE)
	huge := uintptr(0xd80837c8f536000)
	for _, tc := range []struct {
		flags   int
		newAddr uintptr
	}{
		{0, 0},
		{unix.MREMAP_MAYMOVE, 0},
		{unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, 0x800000},
	} {
		if _, err := e.mm.MRemap(a, huge, pg, tc.flags, tc.newAddr); err != unix.EINVAL {
			t.Errorf("mremap(%#x, %#x, %#x, %#x): %v, want EINVAL", a, huge, pg, tc.flags, err)
		}
	}
	if _, err := e.mm.MRemap(testMaxAddr-pg, 2*pg, pg, 0, 0); err != unix.EINVAL {
		t.Errorf("mremap of a range past the top: %v, want EINVAL", err)
	}
	e.read(t, a, 1) // the mapping is still there
}
