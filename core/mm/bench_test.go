package mm

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// nopAS is an AddressSpace that does nothing, to measure mm alone.
type nopAS struct{}

func (nopAS) MapFile(uintptr, int, int64, uintptr, platform.Prot) error { return nil }
func (nopAS) Unmap(uintptr, uintptr) error                              { return nil }
func (nopAS) Release()                                                  {}

func newBenchMM(b *testing.B) *MemoryManager {
	b.Helper()
	mf, err := memfile.New(memfile.Options{MaxSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	mm, err := New(Config{MemoryFile: mf, AddressSpace: nopAS{}, MinAddr: testMinAddr, MaxAddr: testMaxAddr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		mm.Release()
		mf.Close()
	})
	// Some unrelated mappings, as a real process has.
	for i := 0; i < 32; i++ {
		prot := rw
		if i%2 == 0 {
			prot = ro
		}
		if _, err := mm.MMap(MMapOpts{Length: 16 * pg, Prot: prot, Flags: anonPriv}); err != nil {
			b.Fatal(err)
		}
	}
	return mm
}

func BenchmarkCopyIn4K(b *testing.B) {
	mm := newBenchMM(b)
	a, err := mm.MMap(MMapOpts{Length: 16 * pg, Prot: rw, Flags: anonPriv | unix.MAP_POPULATE})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	b.SetBytes(4096)
	for b.Loop() {
		if _, err := mm.CopyIn(a+pg, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopyOut4K(b *testing.B) {
	mm := newBenchMM(b)
	a, err := mm.MMap(MMapOpts{Length: 16 * pg, Prot: rw, Flags: anonPriv | unix.MAP_POPULATE})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	b.SetBytes(4096)
	for b.Loop() {
		if _, err := mm.CopyOut(a+pg, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMMapMUnmap(b *testing.B) {
	mm := newBenchMM(b)
	for b.Loop() {
		a, err := mm.MMap(MMapOpts{Length: 64 << 10, Prot: rw, Flags: anonPriv})
		if err != nil {
			b.Fatal(err)
		}
		if err := mm.MUnmap(a, 64<<10); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFaultTouchUnmap is the cost of a first touch: mmap, one fault
// (allocating and mapping a fault-around window), munmap (freeing it).
func BenchmarkFaultTouchUnmap(b *testing.B) {
	mm := newBenchMM(b)
	for b.Loop() {
		a, err := mm.MMap(MMapOpts{Length: 64 << 10, Prot: rw, Flags: anonPriv})
		if err != nil {
			b.Fatal(err)
		}
		if err := mm.HandleFault(a, platform.ProtWrite); err != nil {
			b.Fatal(err)
		}
		if err := mm.MUnmap(a, 64<<10); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFork(b *testing.B) {
	mm := newBenchMM(b)
	if _, err := mm.MMap(MMapOpts{Length: 1 << 20, Prot: rw, Flags: anonPriv | unix.MAP_POPULATE}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c, err := mm.Fork(nopAS{})
		if err != nil {
			b.Fatal(err)
		}
		c.Release()
	}
}
