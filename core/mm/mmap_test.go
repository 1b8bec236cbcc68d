package mm

import (
	"bytes"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

const anonPriv = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS

func TestMMapTopDown(t *testing.T) {
	e := newTestEnv(t)
	base := e.mm.MmapBase()
	if base != testMaxAddr-defaultMmapGap {
		t.Fatalf("default mmap base %#x", base)
	}
	a := e.mmap(t, 0, 3*pg, rw, unix.MAP_PRIVATE)
	if a != base-3*pg {
		t.Fatalf("first mapping at %#x, want just below the base %#x", a, base)
	}
	b := e.mmap(t, 0, pg, rw, unix.MAP_PRIVATE)
	if b != a-pg {
		t.Fatalf("second mapping at %#x, want %#x", b, a-pg)
	}
	// Adjacent compatible anonymous mappings merge, as in Linux.
	if got := spans(e.mm); !sameSpans(got, []span{{b, base, rw}}) {
		t.Fatalf("VMAs %v, want one merged VMA", got)
	}
	// A different protection does not merge; a hole below the base is
	// reused top-down.
	c := e.mmap(t, 0, pg, ro, unix.MAP_PRIVATE)
	if err := e.mm.MUnmap(a, pg); err != nil {
		t.Fatal(err)
	}
	d := e.mmap(t, 0, pg, rw, unix.MAP_PRIVATE)
	if d != a {
		t.Fatalf("hole at %#x not reused: got %#x", a, d)
	}
	want := []span{{c, c + pg, ro}, {b, base, rw}}
	if got := spans(e.mm); !sameSpans(got, want) {
		t.Fatalf("VMAs %v, want %v", got, want)
	}
	if e.as.maps != 0 {
		t.Fatalf("mmap without touching made %d MapFile calls; population must be lazy", e.as.maps)
	}
}

func TestMMapHint(t *testing.T) {
	e := newTestEnv(t)
	hint := uintptr(0x200000000)
	if got := e.mmap(t, hint, 2*pg, rw, unix.MAP_PRIVATE); got != hint {
		t.Fatalf("free hint not honoured: %#x", got)
	}
	// An occupied hint is only a hint.
	got := e.mmap(t, hint+pg, pg, rw, unix.MAP_PRIVATE)
	if got == hint+pg || (got >= hint && got < hint+2*pg) {
		t.Fatalf("occupied hint reused: %#x", got)
	}
	// A misaligned hint is rounded down; a hint below the minimum is
	// raised to it.
	if got := e.mmap(t, 0x300000123, pg, rw, unix.MAP_PRIVATE); got != 0x300000000 {
		t.Fatalf("misaligned hint gave %#x", got)
	}
	if got := e.mmap(t, 0x1000, pg, rw, unix.MAP_PRIVATE); got != testMinAddr {
		t.Fatalf("low hint gave %#x, want %#x", got, testMinAddr)
	}
	if got := e.mmap(t, 0, pg, rw, unix.MAP_PRIVATE|unix.MAP_32BIT); got < 1<<30 || got >= 2<<30 {
		t.Fatalf("MAP_32BIT gave %#x", got)
	}
}

func TestMMapErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts MMapOpts
		want error
	}{
		{"zero length", MMapOpts{Length: 0, Flags: anonPriv}, unix.EINVAL},
		{"no type", MMapOpts{Length: pg, Flags: unix.MAP_ANONYMOUS}, unix.EINVAL},
		{"bad type", MMapOpts{Length: pg, Flags: unix.MAP_ANONYMOUS | 0x4}, unix.EINVAL},
		{"validate unknown flag", MMapOpts{Length: pg, Flags: unix.MAP_SHARED_VALIDATE | unix.MAP_ANONYMOUS | 0x800000}, unix.EOPNOTSUPP},
		{"fixed misaligned", MMapOpts{Addr: 0x100001, Length: pg, Flags: anonPriv | unix.MAP_FIXED}, unix.EINVAL},
		{"noreplace misaligned", MMapOpts{Addr: 0x100001, Length: pg, Flags: anonPriv | unix.MAP_FIXED_NOREPLACE}, unix.EINVAL},
		{"fixed below minimum", MMapOpts{Addr: 0x1000, Length: pg, Flags: anonPriv | unix.MAP_FIXED}, unix.EPERM},
		{"fixed beyond maximum", MMapOpts{Addr: testMaxAddr - pg, Length: 2 * pg, Flags: anonPriv | unix.MAP_FIXED}, unix.ENOMEM},
		{"too long", MMapOpts{Length: testMaxAddr + pg, Flags: anonPriv}, unix.ENOMEM},
		{"length overflow", MMapOpts{Length: ^uintptr(0), Flags: anonPriv}, unix.ENOMEM},
		{"file without mappable", MMapOpts{Length: pg, Flags: unix.MAP_PRIVATE}, unix.ENODEV},
		{"misaligned offset", MMapOpts{Length: pg, Flags: unix.MAP_SHARED, Mappable: &fakeFile{}, Offset: 12}, unix.EINVAL},
		{"offset overflow", MMapOpts{Length: 2 * pg, Flags: unix.MAP_SHARED, Mappable: &fakeFile{}, Offset: ^uint64(0) &^ (pg - 1)}, unix.EOVERFLOW},
		{"shared write of read-only file", MMapOpts{Length: pg, Prot: rw, Flags: unix.MAP_SHARED, Mappable: &fakeFile{}, MaxProt: ro | platform.ProtExec}, unix.EACCES},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			if _, err := e.mm.MMap(tc.opts); !errIs(err, tc.want) {
				t.Fatalf("MMap: %v, want %v", err, tc.want)
			}
			if n := len(e.mm.VMAs()); n != 0 {
				t.Fatalf("failed MMap left %d VMAs", n)
			}
		})
	}
}

func TestMMapFixedReplaces(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, fill(4*pg, 1))
	used := e.mf.Usage().Allocated
	got := e.mmap(t, a+pg, 2*pg, ro, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if got != a+pg {
		t.Fatalf("MAP_FIXED at %#x returned %#x", a+pg, got)
	}
	want := []span{{a, a + pg, rw}, {a + pg, a + 3*pg, ro}, {a + 3*pg, a + 4*pg, rw}}
	if s := spans(e.mm); !sameSpans(s, want) {
		t.Fatalf("VMAs %v, want %v", s, want)
	}
	if u := e.mf.Usage().Allocated; u != used-2*pg {
		t.Fatalf("replaced pages not freed: %#x allocated, want %#x", u, used-2*pg)
	}
	if b := e.read(t, a+pg, 2*pg); !bytes.Equal(b, make([]byte, 2*pg)) {
		t.Fatal("replacement mapping is not zero-filled")
	}
	if b := e.read(t, a, pg); !bytes.Equal(b, fill(4*pg, 1)[:pg]) {
		t.Fatal("data outside the replaced range lost")
	}
}

func TestMMapFixedNoReplace(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.write(t, a, []byte("keep"))
	for _, addr := range []uintptr{a - pg, a, a + 3*pg} {
		_, err := e.mm.MMap(MMapOpts{Addr: addr, Length: 2 * pg, Prot: rw, Flags: anonPriv | unix.MAP_FIXED_NOREPLACE})
		if err != unix.EEXIST {
			t.Errorf("MAP_FIXED_NOREPLACE over [%#x, +2 pages): %v, want EEXIST", addr, err)
		}
	}
	if got := e.mmap(t, a+4*pg, pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED_NOREPLACE); got != a+4*pg {
		t.Fatalf("MAP_FIXED_NOREPLACE on a free range returned %#x", got)
	}
	if b := e.read(t, a, 4); string(b) != "keep" {
		t.Fatalf("existing mapping disturbed: %q", b)
	}
}

func TestMMapPopulate(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0, 8*pg, rw, unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if got := e.mf.Usage().Allocated; got != 8*pg {
		t.Fatalf("MAP_POPULATE allocated %#x bytes, want %#x", got, 8*pg)
	}
	if e.as.mapped() != 8 {
		t.Fatalf("MAP_POPULATE mapped %d pages, want 8", e.as.mapped())
	}
	e.write(t, a, []byte{1})
}

func TestHugeProtNoneReservation(t *testing.T) {
	e := newTestEnv(t)
	const size = 64 << 30
	a, err := e.mm.MMap(MMapOpts{Length: size, Prot: none, Flags: anonPriv | unix.MAP_NORESERVE})
	if err != nil {
		t.Fatal(err)
	}
	if u := e.mf.Usage().Allocated; u != 0 || e.as.maps != 0 {
		t.Fatalf("PROT_NONE reservation allocated %d bytes and made %d MapFile calls", u, e.as.maps)
	}
	// Commit a piece as Go's runtime and glibc's malloc do, and touch one
	// byte: only the fault-around window gets pages.
	if err := e.mm.MProtect(a+(1<<30), 8<<20, uint32(rw)); err != nil {
		t.Fatal(err)
	}
	e.write(t, a+(1<<30)+5*pg+3, []byte{42})
	if u := e.mf.Usage().Allocated; u == 0 || u > faultAround {
		t.Fatalf("touching one byte allocated %#x bytes, want (0, %#x]", u, faultAround)
	}
	if _, err := appRead(e.mm, e.as, a+pg, 1); !isSegv(err, SegvAccErr) {
		t.Fatalf("read of the PROT_NONE part: %v, want SIGSEGV/SEGV_ACCERR", err)
	}
	if got := e.mm.VirtualSize(); got != size {
		t.Fatalf("VirtualSize = %#x", got)
	}
	if got := e.mm.ResidentSize(); got != uintptr(e.mf.Usage().Allocated) {
		t.Fatalf("ResidentSize %#x != allocated %#x", got, e.mf.Usage().Allocated)
	}
}

func TestMUnmap(t *testing.T) {
	const base = 0x400000
	for _, tc := range []struct {
		name       string
		addr, size uintptr
		want       []span
	}{
		{"middle", base + pg, 2 * pg, []span{{base, base + pg, rw}, {base + 3*pg, base + 8*pg, rw}}},
		{"start", base, 2 * pg, []span{{base + 2*pg, base + 8*pg, rw}}},
		{"end", base + 6*pg, 2 * pg, []span{{base, base + 6*pg, rw}}},
		{"all", base, 8 * pg, nil},
		{"around", base - 4*pg, 16 * pg, nil},
		{"unaligned length", base, pg + 1, []span{{base + 2*pg, base + 8*pg, rw}}},
		{"hole only", base + 16*pg, 4 * pg, []span{{base, base + 8*pg, rw}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.mmap(t, base, 8*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
			e.write(t, base, fill(8*pg, 3))
			if err := e.mm.MUnmap(tc.addr, tc.size); err != nil {
				t.Fatal(err)
			}
			if got := spans(e.mm); !sameSpans(got, tc.want) {
				t.Fatalf("VMAs %v, want %v", got, tc.want)
			}
			var pages uint64
			for _, s := range tc.want {
				pages += uint64(s.end - s.start)
			}
			if u := e.mf.Usage().Allocated; u != pages {
				t.Fatalf("%#x bytes allocated, want %#x", u, pages)
			}
			if _, err := appRead(e.mm, e.as, tc.addr, 1); tc.addr >= base && !isSegv(err, SegvMapErr) {
				t.Fatalf("read of unmapped memory: %v", err)
			}
		})
	}
}

func TestMUnmapErrors(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		addr, size uintptr
	}{
		{0x400001, pg},
		{0x400000, 0},
		{testMaxAddr - pg, 2 * pg},
		{0x400000, ^uintptr(0)},
	} {
		if err := e.mm.MUnmap(tc.addr, tc.size); err != unix.EINVAL {
			t.Errorf("MUnmap(%#x, %#x): %v, want EINVAL", tc.addr, tc.size, err)
		}
	}
}

func isSegv(err error, code int32) bool {
	fe, ok := err.(*FaultError)
	return ok && fe.Signo == unix.SIGSEGV && fe.Code == code
}
