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
	return e.mapFileAt(t, f, 0, length, prot, maxProt, flags, off)
}

// mapFileAt is mapFile at addr (with MAP_FIXED), unless addr is zero.
func (e *testEnv) mapFileAt(t *testing.T, f CachedFile, addr, length uintptr, prot, maxProt uint32, flags int, off uint64) uintptr {
	t.Helper()
	shared := flags&unix.MAP_TYPE != unix.MAP_PRIVATE
	m, id, err := e.mm.PageCache().Get(f, "/lib/libtest.so", shared && maxProt&unix.PROT_WRITE != 0)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer m.DecRef()
	defer id.DecRef()
	if addr != 0 {
		flags |= unix.MAP_FIXED
	}
	addr, err = e.mm.MMap(MMapOpts{Addr: addr, Length: length, Prot: protOf(prot), MaxProt: protOf(maxProt), Flags: flags,
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

// TestPageCachePrivateReadOnly checks that a private mapping without
// PROT_WRITE maps the cache's own pages, copy-on-write, and that a write
// after mprotect copies them.
func TestPageCachePrivateReadOnly(t *testing.T) {
	a := newTestEnv(t)
	b := a.newPeer(t)
	dropCache(t, a)
	f := newCacheFile(20, pageCacheData())
	orig := append([]byte(nil), f.data...)

	text := a.mapFile(t, f, 4*pg, unix.PROT_READ|unix.PROT_EXEC, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE, 0)
	if got := a.read(t, text, len(orig)); !bytes.Equal(got, orig) {
		t.Fatal("read-only private mapping reads differ from the file")
	}
	if u := a.mf.Usage().Allocated; u != 4*pg {
		t.Errorf("%#x bytes allocated, want only the cache's 4 pages", u)
	}
	shared := b.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_SHARED, 0)
	privB := b.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	b.read(t, shared, len(orig))
	b.read(t, privB, len(orig))
	cacheOff := make([]uint64, 4)
	for i := range uintptr(4) {
		cacheOff[i], _ = b.offAt(shared + i*pg)
		off, cow := a.offAt(text + i*pg)
		if off != cacheOff[i] || !cow {
			t.Errorf("page %d: at %#x (cow %v), want the cache's page %#x, cow", i, off, cow, cacheOff[i])
		}
		if off, cow := b.offAt(privB + i*pg); off != cacheOff[i] || !cow {
			t.Errorf("page %d of the second private mapping: at %#x (cow %v), want %#x, cow", i, off, cow, cacheOff[i])
		}
		if p, _ := a.mappedProt(text + i*pg); p != ro|platform.ProtExec {
			t.Errorf("page %d mapped %v", i, p)
		}
		// The cache, a's mapping and b's two.
		if r := a.refsAt(t, text+i*pg); r != 4 {
			t.Errorf("page %d has %d references, want 4", i, r)
		}
	}
	if u := a.mf.Usage().Allocated; u != 4*pg {
		t.Errorf("%#x bytes allocated after three mappings, want 4 pages", u)
	}

	// Made writable and written, the mapping copies its pages: its
	// fault-around window, the whole VMA.
	if err := appWrite(a.mm, a.as, text, []byte{1}); !isSegv(err, SegvAccErr) {
		t.Fatalf("write to the read-only mapping: %v, want SEGV_ACCERR", err)
	}
	if err := a.mm.MProtect(text, 4*pg, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.mappedProt(text); p != ro {
		t.Errorf("after mprotect the shared page is mapped %v, want read-only", p)
	}
	a.write(t, text+pg+5, []byte("private"))
	if u := a.mf.Usage().Allocated; u != 8*pg {
		t.Errorf("after the write %#x bytes allocated, want 8 pages (a copy of the VMA)", u)
	}
	if got := a.read(t, text+pg, 12); string(got[5:]) != "private" || got[0] != orig[pg] {
		t.Errorf("the writer reads %q", got)
	}
	for i := range uintptr(4) {
		if off, cow := a.offAt(text + i*pg); off == cacheOff[i] || cow {
			t.Errorf("page %d after the write: at %#x (cow %v), want a private copy", i, off, cow)
		}
		if r := b.refsAt(t, shared+i*pg); r != 3 {
			t.Errorf("cache page %d has %d references, want 3", i, r)
		}
	}
	for name, addr := range map[string]uintptr{"shared": shared, "private": privB} {
		if got, err := appRead(b.mm, b.as, addr, len(orig)); err != nil || !bytes.Equal(got, orig) {
			t.Errorf("%s mapping of another process does not see the file's bytes (%v)", name, err)
		}
	}
	// A process mapping the file now reads the cache's pages, unchanged.
	c := a.newPeer(t)
	later := c.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	if got := c.read(t, later, len(orig)); !bytes.Equal(got, orig) {
		t.Error("a later mapping does not see the file's bytes")
	}
	if off, _ := c.offAt(later + pg); off != cacheOff[1] {
		t.Errorf("a later mapping maps %#x, want the cache's page %#x", off, cacheOff[1])
	}
	if _, read, w := f.state(); w != 0 || read != len(orig) || !bytes.Equal(f.data, orig) {
		t.Errorf("file read %d bytes and written %d times, want read once and never written", read, w)
	}

	// Unmapped, everything but the cache's pages goes back.
	for _, m := range []struct {
		e    *testEnv
		addr uintptr
	}{{a, text}, {b, shared}, {b, privB}, {c, later}} {
		if err := m.e.mm.MUnmap(m.addr, 4*pg); err != nil {
			t.Fatal(err)
		}
	}
	if u := a.mf.Usage().Allocated; u != 4*pg {
		t.Errorf("after unmapping, %#x bytes allocated, want the cache's 4 pages", u)
	}
	if u := a.mm.PageCache().Usage(); u.Unused != 1 || u.UnusedBytes != 4*pg {
		t.Errorf("after unmapping: %+v, want one unused entry keeping 4 pages", u)
	}
}

// TestPageCachePrivateReadOnlyFork checks fork of a read-only private file
// mapping: parent, child and cache share the pages until each writes.
func TestPageCachePrivateReadOnlyFork(t *testing.T) {
	e := newTestEnv(t)
	dropCache(t, e)
	f := newCacheFile(21, pageCacheData())
	orig := append([]byte(nil), f.data...)
	text := e.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	e.read(t, text, 1) // the window: all four pages
	cacheOff, _ := e.offAt(text + 2*pg)

	c := e.fork(t)
	if u := e.mf.Usage().Allocated; u != 4*pg {
		t.Errorf("fork allocated: %#x bytes, want the cache's 4 pages", u)
	}
	if off, cow := c.offAt(text + 2*pg); off != cacheOff || !cow {
		t.Errorf("child's page at %#x (cow %v), want the cache's %#x, cow", off, cow, cacheOff)
	}
	if r := e.refsAt(t, text+2*pg); r != 3 {
		t.Errorf("page has %d references, want 3 (cache, parent, child)", r)
	}
	if got := c.read(t, text, len(orig)); !bytes.Equal(got, orig) {
		t.Error("child reads differ from the file")
	}

	for _, env := range []*testEnv{c, e} {
		if err := env.mm.MProtect(text, 4*pg, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			t.Fatal(err)
		}
	}
	c.write(t, text+2*pg+10, []byte("child"))
	e.write(t, text+2*pg+10, []byte("parent"))
	if got := c.read(t, text+2*pg+10, 5); string(got) != "child" {
		t.Errorf("child reads %q", got)
	}
	if got := e.read(t, text+2*pg+10, 6); string(got) != "parent" {
		t.Errorf("parent reads %q", got)
	}
	if u := e.mf.Usage().Allocated; u != 12*pg {
		t.Errorf("%#x bytes allocated, want 12 pages (the cache's and a copy each)", u)
	}
	p := e.newPeer(t)
	addr := p.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_PRIVATE, 0)
	if got := p.read(t, addr, len(orig)); !bytes.Equal(got, orig) {
		t.Error("another process does not see the file's bytes")
	}
	if r := p.refsAt(t, addr+2*pg); r != 2 {
		t.Errorf("cache page has %d references, want 2 (cache, the other process)", r)
	}
	if _, _, w := f.state(); w != 0 || !bytes.Equal(f.data, orig) {
		t.Errorf("private writes reached the file (%d writes)", w)
	}
	// Releasing the child drops its copies only.
	c.mm.Release()
	if u := e.mf.Usage().Allocated; u != 8*pg {
		t.Errorf("after the child's Release %#x bytes allocated, want 8 pages", u)
	}
}

// TestPageCachePrivateReadOnlyKernelWrites checks the kernel's forced writes
// (the loader's, ptrace's) into a read-only private file mapping, and
// MADV_DONTNEED after them.
func TestPageCachePrivateReadOnlyKernelWrites(t *testing.T) {
	e := newTestEnv(t)
	dropCache(t, e)
	f := newCacheFile(22, pageCacheData())
	orig := append([]byte(nil), f.data...)
	text := e.mapFile(t, f, 4*pg, unix.PROT_READ|unix.PROT_EXEC, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE, 0)
	shared := e.mapFile(t, f, 4*pg, unix.PROT_READ, unix.PROT_READ, unix.MAP_SHARED, 0)

	// Into a page never touched, and into one mapped from the cache.
	if n, err := e.mm.CopyOutForce(text+3*pg+1, []byte("poke")); n != 4 || err != nil {
		t.Fatalf("CopyOutForce into an unpopulated page: %d, %v", n, err)
	}
	e.read(t, text, 1)
	if _, err := e.mm.CopyOut(text+5, []byte("poke")); err != unix.EFAULT {
		t.Errorf("CopyOut into read-only memory: %v, want EFAULT", err)
	}
	if n, err := e.mm.CopyOutForce(text+5, []byte("poke")); n != 4 || err != nil {
		t.Fatalf("CopyOutForce: %d, %v", n, err)
	}
	for _, addr := range []uintptr{text + 5, text + 3*pg + 1} {
		if got := e.read(t, addr, 4); string(got) != "poke" {
			t.Errorf("at %#x the mapping reads %q", addr, got)
		}
		page := pageRoundDown(addr)
		cacheOff, _ := e.offAt(shared + page - text)
		if off, cow := e.offAt(page); off == cacheOff || cow {
			t.Errorf("written page %#x: at %#x (cow %v), want a private copy", page, off, cow)
		}
		if p, _ := e.mappedProt(page); p != ro|platform.ProtExec {
			t.Errorf("written page %#x mapped %v, want read-only", page, p)
		}
	}
	if err := appWrite(e.mm, e.as, text+5, []byte{1}); !isSegv(err, SegvAccErr) {
		t.Errorf("the written page became writable: %v", err)
	}
	if got := e.read(t, shared, len(orig)); !bytes.Equal(got, orig) {
		t.Error("forced private writes reached the page cache")
	}
	// Other pages still share the cache's.
	cacheOff, _ := e.offAt(shared + pg)
	if off, cow := e.offAt(text + pg); off != cacheOff || !cow {
		t.Errorf("unwritten page at %#x (cow %v), want the cache's %#x", off, cow, cacheOff)
	}

	// MADV_DONTNEED drops the copies: the file's bytes, from the cache.
	before := e.mf.Usage().Allocated
	if err := e.mm.MAdvise(text, 4*pg, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if u := e.mf.Usage().Allocated; before-u != 2*pg {
		t.Errorf("MADV_DONTNEED freed %#x bytes, want the two copies", before-u)
	}
	if got := e.read(t, text, len(orig)); !bytes.Equal(got, orig) {
		t.Error("after MADV_DONTNEED the mapping does not read the file")
	}
	if off, cow := e.offAt(text); off != func() uint64 { o, _ := e.offAt(shared); return o }() || !cow {
		t.Errorf("after MADV_DONTNEED the page is at %#x (cow %v), want the cache's", off, cow)
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
