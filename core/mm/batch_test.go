package mm

import (
	"bytes"
	"sync"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// batchingAS is a fakeAS that batches (platform.Batcher): inside a batch,
// MapFile and Unmap are recorded and applied by EndBatch, so a change that
// MemoryManager forgot to bracket, or a batch it forgot to end, shows.
type batchingAS struct {
	*fakeAS

	mu      sync.Mutex
	open    bool
	queue   []func() error
	batches int // EndBatch calls that applied something
	outside int // changes made outside any batch
}

var _ platform.Batcher = (*batchingAS)(nil)

func (b *batchingAS) BeginBatch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open {
		panic("nested BeginBatch")
	}
	b.open = true
}

func (b *batchingAS) EndBatch() error {
	b.mu.Lock()
	q := b.queue
	b.queue, b.open = nil, false
	if len(q) > 0 {
		b.batches++
	}
	b.mu.Unlock()
	for _, f := range q {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func (b *batchingAS) defer_(f func() error) error {
	b.mu.Lock()
	if b.open {
		b.queue = append(b.queue, f)
		b.mu.Unlock()
		return nil
	}
	b.outside++
	b.mu.Unlock()
	return f()
}

func (b *batchingAS) MapFile(addr uintptr, fd int, off int64, length uintptr, prot platform.Prot) error {
	return b.defer_(func() error { return b.fakeAS.MapFile(addr, fd, off, length, prot) })
}

func (b *batchingAS) Unmap(addr, length uintptr) error {
	return b.defer_(func() error { return b.fakeAS.Unmap(addr, length) })
}

// newBatchingEnv returns a MemoryManager over a batchingAS and a fresh
// memory file (closed at the end of the test; the caller releases m).
func newBatchingEnv(t *testing.T) (*MemoryManager, *batchingAS, *memfile.File) {
	t.Helper()
	mf, err := memfile.New(memfile.Options{MaxSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	bas := &batchingAS{fakeAS: newFakeAS(mf)}
	m, err := New(Config{MemoryFile: mf, AddressSpace: bas, MinAddr: testMinAddr, MaxAddr: testMaxAddr})
	if err != nil {
		t.Fatal(err)
	}
	return m, bas, mf
}

// TestBatchedChanges runs faults, fork, copy-on-write, mprotect, munmap and
// brk over a batching address space: every change is made inside a batch,
// and every batch is applied before the operation returns (the
// application's accesses would fault forever otherwise).
func TestBatchedChanges(t *testing.T) {
	m, bas, mf := newBatchingEnv(t)
	f := bas.fakeAS
	a, err := m.MMap(MMapOpts{Length: 64 * pg, Prot: rw, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS})
	if err != nil {
		t.Fatal(err)
	}
	if err := appWrite(m, f, a, []byte("parent")); err != nil {
		t.Fatal(err)
	}
	cas := newFakeAS(mf)
	child, err := m.Fork(cas)
	if err != nil {
		t.Fatal(err)
	}
	if err := appWrite(m, f, a, []byte("PARENT")); err != nil { // breaks COW
		t.Fatal(err)
	}
	if got, err := appRead(child, cas, a, 6); err != nil || !bytes.Equal(got, []byte("parent")) {
		t.Errorf("child reads %q, %v", got, err)
	}
	child.Release()
	if err := m.MProtect(a, 64*pg, uint32(unix.PROT_READ)); err != nil {
		t.Fatal(err)
	}
	if _, err := appRead(m, f, a+32*pg, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.MUnmap(a, 32*pg); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.translate(a, platform.ProtRead); ok {
		t.Error("an unmapped page is still mapped")
	}
	if got, err := appRead(m, f, a+32*pg, 1); err != nil || got[0] != 0 {
		t.Errorf("read after munmap of the other half: %v, %v", got, err)
	}
	bas.mu.Lock()
	open, outside, batches := bas.open, bas.outside, bas.batches
	bas.mu.Unlock()
	if open {
		t.Error("a batch was left open")
	}
	if outside != 0 {
		t.Errorf("%d address-space changes were made outside a batch", outside)
	}
	if batches == 0 {
		t.Error("no batch applied anything")
	}
	m.Release()
	if u := mf.Usage(); u.Allocated != 0 {
		t.Errorf("after Release: %d bytes still allocated (leak)", u.Allocated)
	}
}
