package mm

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// cacheFile is a CachedFile over a byte slice that counts its reads and
// references.
type cacheFile struct {
	key FileKey

	mu        sync.Mutex
	data      []byte
	mtime     int64
	refs      int
	readBytes int
	writes    int
}

func newCacheFile(ino uint64, data []byte) *cacheFile {
	return &cacheFile{key: FileKey{Dev: 7, Ino: ino}, data: data}
}

func (f *cacheFile) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	f.readBytes += n
	return n, nil
}

func (f *cacheFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if end := int(off) + len(p); end > len(f.data) {
		f.data = append(f.data, make([]byte, end-len(f.data))...)
	}
	f.writes++
	f.mtime++
	return copy(f.data[off:], p), nil
}

func (f *cacheFile) Stat() (FileStat, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FileStat{Key: f.key, Version: FileVersion{Size: int64(len(f.data)), Mtime: f.mtime}}, nil
}

func (f *cacheFile) IncRef() { f.mu.Lock(); f.refs++; f.mu.Unlock() }
func (f *cacheFile) DecRef() { f.mu.Lock(); f.refs--; f.mu.Unlock() }

func (f *cacheFile) state() (refs, readBytes, writes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refs, f.readBytes, f.writes
}

// newPeer returns a second MemoryManager on e's memory file (another
// process of the same sandbox), released at the end of the test before e's
// leak check.
func (e *testEnv) newPeer(t *testing.T) *testEnv {
	t.Helper()
	as := newFakeAS(e.mf)
	m, err := New(Config{MemoryFile: e.mf, AddressSpace: as, MinAddr: testMinAddr, MaxAddr: testMaxAddr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			checkInvariants(t, m, as)
		}
		m.Release()
	})
	return &testEnv{mf: e.mf, as: as, mm: m}
}

// mapFile maps f through e's page cache and drops Get's references.
func (e *testEnv) mapFile(t *testing.T, f CachedFile, length uintptr, prot, maxProt uint32, flags int, off uint64) uintptr {
	t.Helper()
	shared := flags&unix.MAP_TYPE != unix.MAP_PRIVATE
	m, id, err := e.mm.PageCache().Get(f, "/lib/libtest.so", shared && maxProt&unix.PROT_WRITE != 0)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer m.DecRef()
	defer id.DecRef()
	addr, err := e.mm.MMap(MMapOpts{Length: length, Prot: protOf(prot), MaxProt: protOf(maxProt), Flags: flags,
		Mappable: m, Offset: off, Identity: id})
	if err != nil {
		t.Fatalf("MMap of the file: %v", err)
	}
	return addr
}

func protOf(p uint32) platform.Prot { return platform.Prot(p & 7) }

// pageCacheData is three and a half pages of recognisable bytes.
func pageCacheData() []byte {
	data := make([]byte, 3*pg+pg/2)
	for i := range data {
		data[i] = byte(i/pg + 1)
	}
	return data
}

// dropCache frees the cache's unused pages at the end of the test, before
// the leak checks of the environments (cleanups run last first).
func dropCache(t *testing.T, e *testEnv) {
	t.Cleanup(func() { e.mm.PageCache().Drop() })
}

func TestPageCacheSharedBetweenProcesses(t *testing.T) {
	a := newTestEnv(t)
	b := a.newPeer(t)
	dropCache(t, a)
	f := newCacheFile(1, pageCacheData())

	ra := a.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_SHARED, 0)
	rb := b.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_SHARED, 0)
	for i := uintptr(0); i < 4; i++ {
		offA, errA := appAccess(a.mm, a.as, ra+i*pg, ro)
		offB, errB := appAccess(b.mm, b.as, rb+i*pg, ro)
		if errA != nil || errB != nil {
			t.Fatalf("page %d: %v, %v", i, errA, errB)
		}
		if offA != offB {
			t.Errorf("page %d: processes map memory-file offsets %#x and %#x, want one shared page", i, offA, offB)
		}
	}
	got, err := appRead(b.mm, b.as, rb, len(f.data))
	if err != nil || !bytes.Equal(got, f.data) {
		t.Errorf("contents through the second process differ (%v)", err)
	}
	// A private mapping in a third place reads the same cached pages.
	rp := a.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE, 0)
	if got, err := appRead(a.mm, a.as, rp+pg, 10); err != nil || got[0] != 2 {
		t.Errorf("private read: %v %v", got, err)
	}
	if _, read, _ := f.state(); read != len(f.data) {
		t.Errorf("file read %d bytes, want each byte once (%d)", read, len(f.data))
	}
	if refs, _, _ := f.state(); refs != 1 {
		t.Errorf("the cache holds %d references on the file while mapped, want 1", refs)
	}
	vs := a.mm.VMAs()
	found := false
	for _, v := range vs {
		if v.Start == ra {
			found = true
			if v.Name != "/lib/libtest.so" || v.Identity.InodeID() != 1 || v.Identity.DeviceID() != 7 {
				t.Errorf("VMA names %q dev %d ino %d", v.Name, v.Identity.DeviceID(), v.Identity.InodeID())
			}
		}
	}
	if !found {
		t.Errorf("no VMA at %#x", ra)
	}
}

func TestPageCachePrivateIsolation(t *testing.T) {
	a := newTestEnv(t)
	b := a.newPeer(t)
	dropCache(t, a)
	f := newCacheFile(2, pageCacheData())
	orig := append([]byte(nil), f.data...)

	privA := a.mapFile(t, f, 4*pg, unix.PROT_READ|unix.PROT_WRITE, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	sharedB := b.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_SHARED, 0)
	privB := b.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)

	if err := appWrite(a.mm, a.as, privA+10, []byte("private")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(a.mm, a.as, privA+10, 7); string(got) != "private" {
		t.Errorf("the writer reads %q", got)
	}
	for name, addr := range map[string]uintptr{"shared": sharedB, "private": privB} {
		if got, err := appRead(b.mm, b.as, addr, 20); err != nil || !bytes.Equal(got, orig[:20]) {
			t.Errorf("%s mapping of another process sees %v (%v), want the file's bytes", name, got, err)
		}
	}
	// A fork copies the private page: the child's writes stay its own.
	c := a.fork(t)
	if err := appWrite(c.mm, c.as, privA+10, []byte("child!!")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(a.mm, a.as, privA+10, 7); string(got) != "private" {
		t.Errorf("after the child wrote, the parent reads %q", got)
	}
	if _, _, w := f.state(); w != 0 || !bytes.Equal(f.data, orig) {
		t.Errorf("private writes reached the file (%d writes)", w)
	}
}

func TestPageCacheSharedWritesAndWriteback(t *testing.T) {
	a := newTestEnv(t)
	b := a.newPeer(t)
	dropCache(t, a)
	f := newCacheFile(3, pageCacheData())

	wa := a.mapFile(t, f, 4*pg, unix.PROT_READ|unix.PROT_WRITE, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, 0)
	rb := b.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_SHARED, 0)
	if err := appWrite(a.mm, a.as, wa+pg+5, []byte("shared")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(b.mm, b.as, rb+pg+5, 6); string(got) != "shared" {
		t.Errorf("the other process reads %q, want the shared write", got)
	}
	var id MappingIdentity
	for _, v := range a.mm.VMAs() {
		if v.Start == wa {
			id = v.Identity
		}
	}
	if err := id.(interface{ Sync() error }).Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if string(f.data[pg+5:pg+11]) != "shared" {
		t.Errorf("after Sync the file has %q", f.data[pg+5:pg+11])
	}
	if _, _, w := f.state(); w != 1 {
		t.Errorf("Sync made %d writes, want 1 (only the changed page)", w)
	}
	if len(f.data) != len(pageCacheData()) {
		t.Errorf("write-back changed the file's size to %d", len(f.data))
	}
}

func TestPageCacheBeyondEOF(t *testing.T) {
	e := newTestEnv(t)
	dropCache(t, e)
	f := newCacheFile(4, pageCacheData()) // 3.5 pages
	addr := e.mapFile(t, f, 6*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)

	got, err := appRead(e.mm, e.as, addr+3*pg+pg/2-1, 2)
	if err != nil || got[0] != 4 || got[1] != 0 {
		t.Errorf("around the end of the file: %v %v, want [4 0] (the last page's tail is zero)", got, err)
	}
	for _, page := range []uintptr{4, 5} {
		_, err := appAccess(e.mm, e.as, addr+page*pg+8, ro)
		var fe *FaultError
		if !errors.As(err, &fe) || fe.Signo != unix.SIGBUS || fe.Code != BusAdrErr {
			t.Errorf("page %d beyond the end of the file: %v, want SIGBUS BUS_ADRERR", page, err)
		}
	}
	// The kernel's own copies stop at the end of the object too.
	buf := make([]byte, 2*pg)
	if n, err := e.mm.CopyIn(addr+3*pg, buf); n != int(pg) || err != unix.EFAULT {
		t.Errorf("CopyIn across the end: %d, %v; want %d, EFAULT", n, err, pg)
	}
}

func TestPageCacheReleaseAndReuse(t *testing.T) {
	e := newTestEnv(t)
	c := e.mm.PageCache()
	f := newCacheFile(5, pageCacheData())
	addr := e.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	if _, err := appRead(e.mm, e.as, addr, len(f.data)); err != nil {
		t.Fatal(err)
	}
	if err := e.mm.MUnmap(addr, 4*pg); err != nil {
		t.Fatal(err)
	}
	if refs, _, _ := f.state(); refs != 0 {
		t.Errorf("after the last unmap the cache holds %d file references", refs)
	}
	if u := c.Usage(); u.Entries != 1 || u.Unused != 1 || u.UnusedBytes != 4*pg {
		t.Errorf("after unmapping: %+v, want one unused entry keeping 4 pages", u)
	}
	// Mapping it again reads nothing.
	addr = e.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	if got, err := appRead(e.mm, e.as, addr, len(f.data)); err != nil || !bytes.Equal(got, f.data) {
		t.Errorf("remapped contents wrong (%v)", err)
	}
	if _, read, _ := f.state(); read != len(f.data) {
		t.Errorf("file read %d bytes, want %d (once)", read, len(f.data))
	}
	// A changed file is read again; the old pages go when unused.
	if err := e.mm.MUnmap(addr, 4*pg); err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xee}, 0)
	addr = e.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	if got, _ := appRead(e.mm, e.as, addr, 1); got[0] != 0xee {
		t.Errorf("after the file changed the mapping reads %#x, want the new byte", got[0])
	}
	if u := c.Usage(); u.Entries != 1 || u.Unused != 0 {
		t.Errorf("after the file changed: %+v, want only the new entry", u)
	}
	if err := e.mm.MUnmap(addr, 4*pg); err != nil {
		t.Fatal(err)
	}
	c.Drop()
	if u := e.mf.Usage(); u.Allocated != 0 {
		t.Errorf("after unmapping and Drop, %d bytes are still allocated", u.Allocated)
	}
	if u := c.Usage(); u.Entries != 0 || u.UnusedBytes != 0 {
		t.Errorf("after Drop: %+v", u)
	}
}

func TestPageCacheEvictsUnused(t *testing.T) {
	e := newTestEnvSize(t, 64*pg)
	c := e.mm.PageCache()
	dropCache(t, e)
	if c.limit != 8*pg {
		t.Fatalf("limit %d, want an eighth of the memory file", c.limit)
	}
	// Unused entries beyond the limit are evicted, oldest first.
	for ino := uint64(10); ino < 14; ino++ {
		f := newCacheFile(ino, pageCacheData())
		addr := e.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
		if _, err := appRead(e.mm, e.as, addr, 1); err != nil {
			t.Fatal(err)
		}
		if err := e.mm.MUnmap(addr, 4*pg); err != nil {
			t.Fatal(err)
		}
	}
	if u := c.Usage(); u.UnusedBytes > 8*pg || u.Entries != 2 {
		t.Errorf("after four files: %+v, want two entries within the limit", u)
	}
}
