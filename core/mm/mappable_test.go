package mm

import (
	"bytes"
	"sync"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// fakeFile is a file with a page cache in the memory file: what a later
// page cache or tmpfs will look like to mm.
type fakeFile struct {
	mf   *memfile.File
	data []byte

	mu    sync.Mutex
	refs  int
	cache map[uint64]memfile.Range // page offset -> one page
}

func newFakeFile(mf *memfile.File, data []byte) *fakeFile {
	return &fakeFile{mf: mf, data: data, refs: 1, cache: map[uint64]memfile.Range{}}
}

func (f *fakeFile) IncRef() { f.mu.Lock(); f.refs++; f.mu.Unlock() }

func (f *fakeFile) DecRef() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs--
	if f.refs == 0 {
		for _, r := range f.cache {
			f.mf.DecRef(r)
		}
		f.cache = nil
	}
}

func (f *fakeFile) Translate(off, length uint64, at platform.Prot) ([]memfile.Range, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	size, _ := pageRoundUp(uintptr(len(f.data)))
	var out []memfile.Range
	for p := off; p < off+length; p += pg {
		if p >= uint64(size) {
			return out, unix.EFAULT
		}
		r, ok := f.cache[p]
		if !ok {
			var err error
			if r, err = f.mf.Allocate(pg); err != nil {
				return out, err
			}
			copy(f.mf.Slice(r), f.data[p:])
			f.cache[p] = r
		}
		f.mf.IncRef(r)
		if n := len(out); n > 0 && out[n-1].End == r.Start {
			out[n-1].End = r.End
		} else {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeFile) MappedName() string { return "/fake/file" }
func (f *fakeFile) DeviceID() uint64   { return 8 }
func (f *fakeFile) InodeID() uint64    { return 42 }

// cached returns the file's page-cache contents at off.
func (f *fakeFile) cached(off uint64, n int) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.cache[off&^(pg-1)]
	return append([]byte(nil), f.mf.Slice(r)[off%pg:off%pg+uint64(n)]...)
}

func TestFileMappings(t *testing.T) {
	e := newTestEnv(t)
	data := fill(3*pg+100, 9)
	file := newFakeFile(e.mf, data)
	defer func() {
		checkInvariants(t, e.mm, e.as)
		e.mm.Release()
		file.DecRef()
		if file.refs != 0 {
			t.Errorf("file references leaked: %d", file.refs)
		}
	}()

	shared, err := e.mm.MMap(MMapOpts{Length: 4 * pg, Prot: rw, Flags: unix.MAP_SHARED,
		Mappable: file, Identity: file})
	if err != nil {
		t.Fatal(err)
	}
	private, err := e.mm.MMap(MMapOpts{Length: 2 * pg, Prot: rw, Flags: unix.MAP_PRIVATE,
		Mappable: file, Identity: file, Offset: pg, MaxProt: ro})
	if err != nil {
		t.Fatal(err)
	}
	vs := e.mm.VMAs()
	if len(vs) != 2 || vs[0].Name != "/fake/file" || vs[0].Offset != pg || vs[1].Shared != true {
		t.Fatalf("VMAs %+v", vs)
	}

	if got := e.read(t, shared+10, 20); !bytes.Equal(got, data[10:30]) {
		t.Fatalf("shared mapping reads %x, want the file's %x", got, data[10:30])
	}
	if got := e.read(t, private, 20); !bytes.Equal(got, data[pg:pg+20]) {
		t.Fatalf("private mapping reads %x, want %x", got, data[pg:pg+20])
	}
	// A shared write reaches the file (and the other mapping's later
	// faults); a private write does not.
	e.write(t, shared+pg+1, []byte("S"))
	if got := file.cached(pg+1, 1); string(got) != "S" {
		t.Fatalf("shared write not in the page cache: %q", got)
	}
	e.write(t, private+pg+2, []byte("P"))
	if got := file.cached(2*pg+2, 1); string(got) == "P" {
		t.Fatal("private write reached the page cache")
	}
	// DONTNEED on the private mapping: back to the file's contents.
	if err := e.mm.MAdvise(private, 2*pg, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, private+pg+2, 1); got[0] != data[2*pg+2] {
		t.Fatalf("after MADV_DONTNEED private mapping reads %q, want the file's", got)
	}
	// The page holding EOF reads zeros past it; the pages after it are
	// SIGBUS.
	if got := e.read(t, shared+3*pg+pg/2, 1); got[0] != 0 {
		t.Fatalf("past EOF in the last page: %#x, want 0", got[0])
	}
	big, err := e.mm.MMap(MMapOpts{Length: 8 * pg, Prot: ro, Flags: unix.MAP_SHARED, Mappable: file})
	if err != nil {
		t.Fatal(err)
	}
	_, err = appRead(e.mm, e.as, big+5*pg, 1)
	if fe, ok := err.(*FaultError); !ok || fe.Signo != unix.SIGBUS {
		t.Fatalf("read beyond EOF: %v, want SIGBUS", err)
	}
	if n, err := e.mm.CopyIn(big+3*pg, make([]byte, 2*pg)); n != pg || err != unix.EFAULT {
		t.Fatalf("CopyIn across EOF: %d, %v; want %d, EFAULT", n, err, pg)
	}
	// mprotect cannot exceed the file's permissions on a shared mapping.
	if err := e.mm.MProtect(big, pg, uint32(rw)); err != nil {
		t.Fatalf("mprotect RW of shared mapping with max RWX: %v", err)
	}
	ronly, err := e.mm.MMap(MMapOpts{Length: pg, Prot: ro, Flags: unix.MAP_SHARED, Mappable: file, MaxProt: ro})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mm.MProtect(ronly, pg, uint32(rw)); err != unix.EACCES {
		t.Fatalf("mprotect RW of read-only shared file mapping: %v, want EACCES", err)
	}
	if _, err := e.mm.CopyOutForce(ronly, []byte{1}); err != unix.EFAULT {
		t.Fatalf("forced write to read-only shared file: %v, want EFAULT", err)
	}
}

func TestSharedAnonymous(t *testing.T) {
	e := newTestEnv(t)
	a := e.mmap(t, 0, 4*pg, rw, unix.MAP_SHARED)
	if vs := e.mm.VMAs(); vs[0].Name != "/dev/zero (deleted)" || !vs[0].Shared || !vs[0].Anonymous {
		t.Fatalf("shared anonymous VMA %+v", vs[0])
	}
	e.write(t, a+pg, []byte("shared"))
	// Two shared anonymous mappings next to each other never merge.
	b := e.mmap(t, a-pg, pg, rw, unix.MAP_SHARED|unix.MAP_FIXED)
	if n := len(e.mm.VMAs()); n != 2 {
		t.Fatalf("%d VMAs, want 2 (distinct objects)", n)
	}
	// mremap-grown shared anonymous memory beyond the object is SIGBUS.
	if got, err := e.mm.MRemap(a, 4*pg, 6*pg, 0, 0); err != nil || got != a {
		t.Fatalf("grow in place: %#x, %v", got, err)
	}
	if _, err := appRead(e.mm, e.as, a+5*pg, 1); err == nil || err.(*FaultError).Signo != unix.SIGBUS {
		t.Fatalf("access beyond the shared object: %v, want SIGBUS", err)
	}
	if got := e.read(t, a+pg, 6); string(got) != "shared" {
		t.Fatalf("read %q", got)
	}
	if got := e.read(t, b, 1); got[0] != 0 {
		t.Fatal("new shared mapping not zero")
	}
}
