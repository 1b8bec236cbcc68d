package mm

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMAdviseDontNeed(t *testing.T) {
	e := newTestEnv(t)
	priv := e.mmap(t, 0, 4*pg, rw, unix.MAP_PRIVATE)
	shared := e.mmap(t, 0, 4*pg, rw, unix.MAP_SHARED)
	e.write(t, priv, fill(4*pg, 1))
	e.write(t, shared, fill(4*pg, 2))

	if err := e.mm.MAdvise(priv+pg, 2*pg, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	got := e.read(t, priv, 4*pg)
	want := fill(4*pg, 1)
	clear(want[pg : 3*pg])
	if !bytes.Equal(got, want) {
		t.Fatal("MADV_DONTNEED: private anonymous pages not zeroed exactly in the range")
	}
	if err := e.mm.MAdvise(shared, 4*pg, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, shared, 4*pg); !bytes.Equal(got, fill(4*pg, 2)) {
		t.Fatal("MADV_DONTNEED lost shared memory contents")
	}
	// MADV_FREE is for private anonymous memory only.
	if err := e.mm.MAdvise(priv, pg, unix.MADV_FREE); err != nil {
		t.Fatal(err)
	}
	if err := e.mm.MAdvise(shared, pg, unix.MADV_FREE); err != unix.EINVAL {
		t.Fatalf("MADV_FREE on shared memory: %v, want EINVAL", err)
	}
}

func TestMAdviseErrors(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 2*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	for _, tc := range []struct {
		name       string
		addr, size uintptr
		advice     int
		want       error
	}{
		{"bad advice", a, pg, 999, unix.EINVAL},
		{"misaligned", a + 1, pg, unix.MADV_DONTNEED, unix.EINVAL},
		{"zero length", a, 0, unix.MADV_DONTNEED, nil},
		{"wraps", a, ^uintptr(0) - pg, unix.MADV_DONTNEED, unix.EINVAL},
		{"hole", a, 4 * pg, unix.MADV_DONTNEED, unix.ENOMEM},
		{"unmapped", a + 8*pg, pg, unix.MADV_NORMAL, unix.ENOMEM},
		{"hint", a, 2 * pg, unix.MADV_HUGEPAGE, nil},
		{"remove private", a, pg, unix.MADV_REMOVE, unix.EINVAL},
		{"wipeonfork", a, pg, unix.MADV_WIPEONFORK, nil},
		{"populate write", a, 2 * pg, unix.MADV_POPULATE_WRITE, nil},
	} {
		if err := e.mm.MAdvise(tc.addr, tc.size, tc.advice); !errIs(err, tc.want) {
			t.Errorf("%s: MAdvise: %v, want %v", tc.name, err, tc.want)
		}
	}
	if u := e.mf.Usage().Allocated; u != 2*pg {
		t.Fatalf("MADV_POPULATE_WRITE allocated %#x, want %#x", u, 2*pg)
	}
	ronly := e.mmap(t, 0, pg, ro, unix.MAP_PRIVATE)
	if err := e.mm.MAdvise(ronly, pg, unix.MADV_POPULATE_WRITE); err != unix.EFAULT {
		t.Fatalf("MADV_POPULATE_WRITE on read-only memory: %v, want EFAULT", err)
	}
}

// TestMAdviseHugeLength: MADV_DONTNEED over a range reaching past the top
// of the address space (found by fuzzing: it went down to the platform as
// one huge unmap) drops what is mapped and reports the hole with ENOMEM.
func TestMAdviseHugeLength(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE)
	e.write(t, a, []byte{7})
	if err := e.mm.MAdvise(a, uintptr(0x321a4d4d63b19000), unix.MADV_DONTNEED); err != unix.ENOMEM {
		t.Errorf("madvise(DONTNEED) past the top: %v, want ENOMEM", err)
	}
	if got := e.read(t, a, 1); got[0] != 0 {
		t.Errorf("the page reads %d after MADV_DONTNEED, want 0", got[0])
	}
}
