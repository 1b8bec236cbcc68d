package mm

import (
	"bytes"
	"encoding/binary"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCopyInOut(t *testing.T) {
	e := newTestEnv(t)
	const base = 0x400000
	// [base, +2p) rw, [+2p, +3p) ro, [+3p, +4p) none, hole, [+5p, +6p) rw.
	e.mmap(t, base, 2*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+2*pg, pg, ro, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+3*pg, pg, none, unix.MAP_PRIVATE|unix.MAP_FIXED)
	e.mmap(t, base+5*pg, pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)

	// Reading untouched memory yields zeros and allocates nothing.
	buf := make([]byte, 2*pg)
	if n, err := e.mm.CopyIn(base, buf); n != 2*pg || err != nil || !bytes.Equal(buf, make([]byte, 2*pg)) {
		t.Fatalf("CopyIn of untouched memory: %d, %v", n, err)
	}
	if u := e.mf.Usage().Allocated; u != 0 {
		t.Fatalf("CopyIn of untouched memory allocated %#x bytes", u)
	}

	// Out and in again, across a page boundary; the application sees it.
	msg := fill(3000, 4)
	if n, err := e.mm.CopyOut(base+pg-1000, msg); n != len(msg) || err != nil {
		t.Fatalf("CopyOut: %d, %v", n, err)
	}
	if got := e.read(t, base+pg-1000, len(msg)); !bytes.Equal(got, msg) {
		t.Fatal("application does not see the kernel's write")
	}
	e.write(t, base+10, []byte("from the app"))
	got := make([]byte, 12)
	if n, err := e.mm.CopyIn(base+10, got); n != 12 || err != nil || string(got) != "from the app" {
		t.Fatalf("CopyIn: %d, %v, %q", n, err, got)
	}

	for _, tc := range []struct {
		name  string
		write bool
		addr  uintptr
		n     int
		want  int
	}{
		{"read into PROT_NONE", false, base + 3*pg - 10, 20, 10},
		{"read into hole", false, base + 4*pg + 5, 10, 0},
		{"read across ro", false, base + 2*pg - 10, 20, 20},
		{"write into read-only", true, base + 2*pg - 10, 20, 10},
		{"write into PROT_NONE", true, base + 3*pg, 1, 0},
		{"read from unmapped", false, 0x1000, 4, 0},
		{"overflowing address", false, ^uintptr(0) - 2, 8, 0},
		{"beyond the user range", false, testMaxAddr - 4, 8, 0},
		{"kernel address", true, 0xffffffff81000000, 8, 0},
	} {
		var n int
		var err error
		if tc.write {
			n, err = e.mm.CopyOut(tc.addr, make([]byte, tc.n))
		} else {
			n, err = e.mm.CopyIn(tc.addr, make([]byte, tc.n))
		}
		if tc.want == tc.n {
			if n != tc.n || err != nil {
				t.Errorf("%s: %d, %v; want %d, nil", tc.name, n, err, tc.n)
			}
		} else if n != tc.want || err != unix.EFAULT {
			t.Errorf("%s: %d, %v; want %d, EFAULT", tc.name, n, err, tc.want)
		}
	}
	if n, err := e.mm.CopyIn(0, nil); n != 0 || err != nil {
		t.Errorf("empty CopyIn at 0: %d, %v", n, err)
	}

	// ZeroOut clears populated memory and leaves untouched memory alone.
	if n, err := e.mm.ZeroOut(base+pg-1000, 3000); n != 3000 || err != nil {
		t.Fatalf("ZeroOut: %d, %v", n, err)
	}
	if got := e.read(t, base+pg-1000, 3000); !bytes.Equal(got, make([]byte, 3000)) {
		t.Fatal("ZeroOut did not clear")
	}
	before := e.mf.Usage().Allocated
	if n, err := e.mm.ZeroOut(base+5*pg, pg); n != pg || err != nil || e.mf.Usage().Allocated != before {
		t.Fatalf("ZeroOut of untouched memory: %d, %v, allocated %#x -> %#x", n, err, before, e.mf.Usage().Allocated)
	}
}

func TestCopyOutForce(t *testing.T) {
	e := newTestEnv(t)
	// The loader's path: map a text segment read-only (or even PROT_NONE)
	// and write its contents.
	text := e.mmap(t, 0x400000, 2*pg, ro|0x4, unix.MAP_PRIVATE|unix.MAP_FIXED)
	code := fill(pg+10, 8)
	if _, err := e.mm.CopyOut(text, code); err != unix.EFAULT {
		t.Fatalf("CopyOut to read-only: %v, want EFAULT", err)
	}
	if n, err := e.mm.CopyOutForce(text, code); n != len(code) || err != nil {
		t.Fatalf("CopyOutForce: %d, %v", n, err)
	}
	if got := e.read(t, text, len(code)); !bytes.Equal(got, code) {
		t.Fatal("forced write not visible")
	}
	if err := appWrite(e.mm, e.as, text, []byte{0}); !isSegv(err, SegvAccErr) {
		t.Fatalf("text became writable: %v", err)
	}
	guard := e.mmap(t, 0x500000, pg, none, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if n, err := e.mm.CopyOutForce(guard, []byte("x")); n != 1 || err != nil {
		t.Fatalf("CopyOutForce into PROT_NONE: %d, %v", n, err)
	}
	got := make([]byte, 1)
	if _, err := e.mm.CopyInForce(guard, got); err != nil || got[0] != 'x' {
		t.Fatalf("CopyInForce: %v, %q", err, got)
	}
	if _, err := e.mm.CopyOutForce(0x600000, []byte("x")); err != unix.EFAULT {
		t.Fatalf("CopyOutForce to unmapped memory: %v", err)
	}
}

func TestCopyInString(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 2*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	// A string ending exactly at the end of the mapping.
	end := a + 2*pg
	s := "/bin/sh"
	e.write(t, end-uintptr(len(s))-1, append([]byte(s), 0))
	if got, err := e.mm.CopyInString(end-uintptr(len(s))-1, 4096); got != s || err != nil {
		t.Fatalf("CopyInString at the end of the mapping: %q, %v", got, err)
	}
	// No NUL before the end of the mapping: EFAULT.
	e.write(t, end-3, []byte("abc"))
	if _, err := e.mm.CopyInString(end-3, 4096); err != unix.EFAULT {
		t.Fatalf("unterminated at the end of the mapping: %v, want EFAULT", err)
	}
	// No NUL within maxLen.
	long := strings.Repeat("x", 100)
	e.write(t, a, []byte(long))
	if got, err := e.mm.CopyInString(a, 50); got != long[:50] || err != unix.ENAMETOOLONG {
		t.Fatalf("too long: %q, %v", got, err)
	}
	if got, err := e.mm.CopyInString(a+100, 50); got != "" || err != nil {
		t.Fatalf("empty string: %q, %v", got, err)
	}
	if _, err := e.mm.CopyInString(0x1000, 10); err != unix.EFAULT {
		t.Fatalf("bad pointer: %v", err)
	}
}

func TestIOVecs(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0x400000, 4*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	raw := make([]byte, 48)
	put := func(i int, base, l uint64) {
		binary.LittleEndian.PutUint64(raw[16*i:], base)
		binary.LittleEndian.PutUint64(raw[16*i+8:], l)
	}
	put(0, uint64(a+pg), 5)
	put(1, 0, 0) // empty entries may point anywhere
	put(2, uint64(a+2*pg), 10)
	e.write(t, a, raw)
	iovs, err := e.mm.CopyInIOVecs(a, 3)
	if err != nil || len(iovs) != 3 || iovs[0] != (IOVec{a + pg, 5}) || iovs[2] != (IOVec{a + 2*pg, 10}) {
		t.Fatalf("CopyInIOVecs: %+v, %v", iovs, err)
	}
	if n, err := e.mm.CopyOutVec(iovs, []byte("hello, world")); n != 12 || err != nil {
		t.Fatalf("CopyOutVec: %d, %v", n, err)
	}
	if got := e.read(t, a+2*pg, 7); string(got) != ", world" {
		t.Fatalf("second buffer holds %q", got)
	}
	got := make([]byte, 20)
	if n, err := e.mm.CopyInVec(iovs, got); n != 15 || err != nil || string(got[:15]) != "hello, world\x00\x00\x00" {
		t.Fatalf("CopyInVec: %d, %v, %q", n, err, got)
	}
	if _, err := e.mm.CopyInIOVecs(a, 1025); err != unix.EINVAL {
		t.Fatalf("too many iovecs: %v", err)
	}
	put(1, 0x1000, 0x8000000000000000)
	e.write(t, a, raw)
	if _, err := e.mm.CopyInIOVecs(a, 3); err != unix.EINVAL {
		t.Fatalf("negative length: %v", err)
	}
	put(1, uint64(testMaxAddr-4), 8)
	e.write(t, a, raw)
	if _, err := e.mm.CopyInIOVecs(a, 3); err != unix.EFAULT {
		t.Fatalf("iovec beyond the user range: %v", err)
	}
	if _, err := e.mm.CopyInIOVecs(a+4*pg-16, 3); err != unix.EFAULT {
		t.Fatalf("iovec array beyond the mapping: %v", err)
	}
	// A fault in the middle of a vector copy returns the bytes done.
	iovs = []IOVec{{a + 4*pg - 3, 3}, {0x1000, 8}}
	if n, err := e.mm.CopyOutVec(iovs, []byte("abcdefgh")); n != 3 || err != unix.EFAULT {
		t.Fatalf("CopyOutVec with a bad buffer: %d, %v", n, err)
	}
}

// TestConcurrentAccess runs copies against munmap/mmap/mprotect of the same
// range; run with -race. Results may be EFAULT, never a crash.
func TestConcurrentAccess(t *testing.T) {
	e := newTestEnv(t)
	const base = 0x400000
	e.mmap(t, base, 16*pg, rw, unix.MAP_PRIVATE|unix.MAP_FIXED)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			buf := make([]byte, 3*pg)
			for {
				select {
				case <-stop:
					return
				default:
				}
				off := uintptr(i) * 4 * pg
				e.mm.CopyOut(base+off+100, buf)
				e.mm.CopyIn(base+off, buf)
				e.mm.HandleFault(base+off+pg, 0)
			}
		}(i)
	}
	for i := 0; i < 300; i++ {
		switch i % 4 {
		case 0:
			e.mm.MUnmap(base+4*pg, 4*pg)
		case 1:
			e.mm.MMap(MMapOpts{Addr: base + 4*pg, Length: 4 * pg, Prot: rw, Flags: anonPriv | unix.MAP_FIXED})
		case 2:
			e.mm.MProtect(base, 8*pg, unix.PROT_READ)
		case 3:
			e.mm.MProtect(base, 16*pg, unix.PROT_READ|unix.PROT_WRITE)
			e.mm.MAdvise(base, 16*pg, unix.MADV_DONTNEED)
		}
	}
	close(stop)
	wg.Wait()
}
