package mm

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// modelPage is one page of private memory in the reference model: anonymous,
// or of a private mapping of the model's file at offset off.
type modelPage struct {
	prot platform.Prot
	file bool
	off  uint64
	data [pg]byte
}

// continues reports whether q, the page after p, is in the same VMA as p
// on Linux: equal permissions and backing.
func (p *modelPage) continues(q *modelPage) bool {
	return p != nil && q != nil && p.prot == q.prot && p.file == q.file && (!p.file || q.off == p.off+pg)
}

// model is a page-by-page reference for a small arena of private memory:
// what Linux would show after the same calls.
type model map[uintptr]*modelPage

// runs returns the VMAs Linux would have: maximal runs of mapped pages with
// equal permissions and backing.
func (m model) runs(lo, hi uintptr) []span {
	var out []span
	for a := lo; a < hi; a += pg {
		p := m[a]
		if p == nil {
			continue
		}
		if n := len(out); n > 0 && out[n-1].end == a && m[a-pg].continues(p) {
			out[n-1].end = a + pg
		} else {
			out = append(out, span{a, a + pg, p.prot})
		}
	}
	return out
}

// TestModel runs random sequences of system calls and application accesses
// against a page-level reference model and checks VMAs, contents, copy
// results and the AddressSpace after every step. The memory is private:
// anonymous, or mapped from a file through the page cache, whose pages
// (mapped copy-on-write while read-only) must never change.
func TestModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed, 400) })
	}
}

func runModel(t *testing.T, seed int64, steps int) {
	const arena = 0x10000000
	const npages = 48
	const hi = arena + npages*pg
	const filePages = 64
	r := rand.New(rand.NewSource(seed))
	e := newTestEnv(t)
	m := model{}
	prots := []platform.Prot{none, ro, rw}
	f := newCacheFile(99, fill(filePages*pg, 77))
	fileData := append([]byte(nil), f.data...)
	fm, fid, err := e.mm.PageCache().Get(f, "/model/file", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Before the leak check: the VMAs hold the entry until
		// Release, which then frees its pages.
		fm.DecRef()
		fid.DecRef()
		e.mm.PageCache().Drop()
	})
	randRange := func(maxPages int) (uintptr, uintptr) {
		start := arena + uintptr(r.Intn(npages))*pg
		n := uintptr(1 + r.Intn(maxPages))
		end := min(start+n*pg, hi)
		return start, end - start
	}
	for step := 0; step < steps; step++ {
		var desc string
		switch op := r.Intn(9); op {
		case 0: // mmap MAP_FIXED, anonymous or of the file
			addr, length := randRange(8)
			prot := prots[r.Intn(3)]
			if r.Intn(2) == 0 {
				desc = fmt.Sprintf("mmap(%#x, %#x, %v)", addr, length, prot)
				e.mmap(t, addr, length, prot, unix.MAP_PRIVATE|unix.MAP_FIXED)
				for a := addr; a < addr+length; a += pg {
					m[a] = &modelPage{prot: prot}
				}
				break
			}
			off := uint64(r.Intn(filePages-int(length/pg)+1)) * pg
			desc = fmt.Sprintf("mmap(%#x, %#x, %v, file@%#x)", addr, length, prot, off)
			if _, err := e.mm.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot,
				Flags: unix.MAP_PRIVATE | unix.MAP_FIXED, Mappable: fm, Offset: off, Identity: fid}); err != nil {
				t.Fatalf("step %d %s: %v", step, desc, err)
			}
			for a := uintptr(0); a < length; a += pg {
				p := &modelPage{prot: prot, file: true, off: off + uint64(a)}
				copy(p.data[:], fileData[p.off:])
				m[addr+a] = p
			}
		case 1: // munmap
			addr, length := randRange(8)
			desc = fmt.Sprintf("munmap(%#x, %#x)", addr, length)
			if err := e.mm.MUnmap(addr, length); err != nil {
				t.Fatalf("step %d %s: %v", step, desc, err)
			}
			for a := addr; a < addr+length; a += pg {
				delete(m, a)
			}
		case 2: // mprotect
			addr, length := randRange(8)
			prot := prots[r.Intn(3)]
			desc = fmt.Sprintf("mprotect(%#x, %#x, %v)", addr, length, prot)
			var want error
			for a := addr; a < addr+length; a += pg {
				if m[a] == nil {
					want = unix.ENOMEM
					break
				}
				m[a].prot = prot
			}
			if err := e.mm.MProtect(addr, length, uint32(prot)); err != want {
				t.Fatalf("step %d %s: %v, want %v", step, desc, err, want)
			}
		case 3: // madvise(DONTNEED)
			addr, length := randRange(8)
			desc = fmt.Sprintf("madvise(%#x, %#x, DONTNEED)", addr, length)
			var want error
			for a := addr; a < addr+length; a += pg {
				if m[a] == nil {
					want = unix.ENOMEM
					continue
				}
				m[a].data = [pg]byte{}
				if m[a].file {
					copy(m[a].data[:], fileData[m[a].off:])
				}
			}
			if err := e.mm.MAdvise(addr, length, unix.MADV_DONTNEED); err != want {
				t.Fatalf("step %d %s: %v, want %v", step, desc, err, want)
			}
		case 4, 5: // CopyOut / CopyIn
			addr := arena + uintptr(r.Intn(npages*pg))
			n := 1 + r.Intn(3*pg)
			write := op == 4
			desc = fmt.Sprintf("copy(write=%v, %#x, %d)", write, addr, n)
			// The model: bytes up to the first page that denies access.
			want := 0
			for want < n {
				a := addr + uintptr(want)
				p := m[pageRoundDown(a)]
				if p == nil || (write && p.prot&platform.ProtWrite == 0) ||
					(!write && effectiveProt(p.prot) == 0) {
					break
				}
				want += min(n-want, int(pg-a%pg))
			}
			src := fill(n, byte(step))
			var got int
			var err error
			buf := make([]byte, n)
			if write {
				got, err = e.mm.CopyOut(addr, src)
			} else {
				got, err = e.mm.CopyIn(addr, buf)
			}
			if got != want || (want < n) != (err == unix.EFAULT) || (want == n && err != nil) {
				t.Fatalf("step %d %s: %d, %v; want %d", step, desc, got, err, want)
			}
			for i := 0; i < got; i++ {
				a := addr + uintptr(i)
				p := m[pageRoundDown(a)]
				if write {
					p.data[a%pg] = src[i]
				} else if buf[i] != p.data[a%pg] {
					t.Fatalf("step %d %s: byte %#x is %#x, model %#x", step, desc, a, buf[i], p.data[a%pg])
				}
			}
		case 6: // application store
			addr := arena + uintptr(r.Intn(npages*pg))
			desc = fmt.Sprintf("store(%#x)", addr)
			p := m[pageRoundDown(addr)]
			err := appWrite(e.mm, e.as, addr, []byte{byte(step) | 1})
			if ok := p != nil && p.prot&platform.ProtWrite != 0; ok != (err == nil) {
				t.Fatalf("step %d %s: %v, model allows: %v", step, desc, err, ok)
			}
			if err == nil {
				p.data[addr%pg] = byte(step) | 1
			}
		case 7: // mremap(MAYMOVE|FIXED), same size
			addr, length := randRange(4)
			dst, _ := randRange(1)
			desc = fmt.Sprintf("mremap(%#x, %#x -> %#x)", addr, length, dst)
			if dst+length > hi || (addr < dst+length && dst < addr+length) {
				continue
			}
			// Linux unmaps the destination first, then requires the
			// source in one VMA.
			for a := dst; a < dst+length; a += pg {
				delete(m, a)
			}
			// A VMA in the model is a run of pages that continue
			// each other; the source range must lie inside one.
			var want error
			if m[addr] == nil {
				want = unix.EFAULT
			}
			for a := addr + pg; a < addr+length; a += pg {
				if !m[a-pg].continues(m[a]) {
					want = unix.EFAULT
				}
			}
			got, err := e.mm.MRemap(addr, length, length, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, dst)
			if err != want {
				t.Fatalf("step %d %s: %#x, %v; want %v", step, desc, got, err, want)
			}
			if want == nil {
				for a := uintptr(0); a < length; a += pg {
					m[dst+a] = m[addr+a]
					delete(m, addr+a)
				}
			}
		case 8: // fork, compare, let the child scribble, release
			desc = "fork"
			c := e.fork(t)
			checkContents(t, c.mm, m, arena, hi, step, desc)
			for a := range m {
				c.mm.CopyOutForce(a, []byte("child"))
			}
			c.mm.Release()
		}
		checkContents(t, e.mm, m, arena, hi, step, desc)
		if got, want := spansIn(e.mm, arena, hi), m.runs(arena, hi); !sameSpans(got, want) {
			t.Fatalf("step %d %s: VMAs %v, model %v", step, desc, got, want)
		}
		if step%16 == 0 {
			checkInvariants(t, e.mm, e.as)
			if t.Failed() {
				t.Fatalf("step %d %s: invariants broken", step, desc)
			}
		}
	}
	// No private write reached the page cache, nor the file.
	shared, err := e.mm.MMap(MMapOpts{Length: filePages * pg, Prot: ro, Flags: unix.MAP_SHARED, Mappable: fm})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, filePages*pg)
	if _, err := e.mm.CopyIn(shared, buf); err != nil || !bytes.Equal(buf, fileData) {
		t.Errorf("the page cache's pages changed (%v)", err)
	}
	if _, _, w := f.state(); w != 0 || !bytes.Equal(f.data, fileData) {
		t.Errorf("the file was written (%d writes)", w)
	}
}

func checkContents(t *testing.T, mm *MemoryManager, m model, lo, hi uintptr, step int, desc string) {
	t.Helper()
	buf := make([]byte, pg)
	for a := lo; a < hi; a += pg {
		p := m[a]
		n, err := mm.CopyInForce(a, buf)
		if p == nil {
			if err != unix.EFAULT {
				t.Fatalf("step %d %s: page %#x readable but unmapped in the model", step, desc, a)
			}
			continue
		}
		if err != nil || n != pg {
			t.Fatalf("step %d %s: page %#x: %d, %v", step, desc, a, n, err)
		}
		if !bytes.Equal(buf, p.data[:]) {
			t.Fatalf("step %d %s: page %#x differs from the model", step, desc, a)
		}
	}
}
