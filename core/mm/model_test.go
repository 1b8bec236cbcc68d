package mm

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// modelPage is one page of private anonymous memory in the reference model.
type modelPage struct {
	prot platform.Prot
	data [pg]byte
}

// model is a page-by-page reference for a small arena of private anonymous
// memory: what Linux would show after the same calls.
type model map[uintptr]*modelPage

// runs returns the VMAs Linux would have: maximal runs of mapped pages with
// equal permissions.
func (m model) runs(lo, hi uintptr) []span {
	var out []span
	for a := lo; a < hi; a += pg {
		p := m[a]
		if p == nil {
			continue
		}
		if n := len(out); n > 0 && out[n-1].end == a && out[n-1].prot == p.prot {
			out[n-1].end = a + pg
		} else {
			out = append(out, span{a, a + pg, p.prot})
		}
	}
	return out
}

// TestModel runs random sequences of system calls and application accesses
// against a page-level reference model and checks VMAs, contents, copy
// results and the AddressSpace after every step.
func TestModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed, 400) })
	}
}

func runModel(t *testing.T, seed int64, steps int) {
	const arena = 0x10000000
	const npages = 48
	const hi = arena + npages*pg
	r := rand.New(rand.NewSource(seed))
	e := newTestEnv(t)
	m := model{}
	prots := []platform.Prot{none, ro, rw}
	randRange := func(maxPages int) (uintptr, uintptr) {
		start := arena + uintptr(r.Intn(npages))*pg
		n := uintptr(1 + r.Intn(maxPages))
		end := min(start+n*pg, hi)
		return start, end - start
	}
	for step := 0; step < steps; step++ {
		var desc string
		switch op := r.Intn(9); op {
		case 0: // mmap MAP_FIXED
			addr, length := randRange(8)
			prot := prots[r.Intn(3)]
			desc = fmt.Sprintf("mmap(%#x, %#x, %v)", addr, length, prot)
			e.mmap(t, addr, length, prot, unix.MAP_PRIVATE|unix.MAP_FIXED)
			for a := addr; a < addr+length; a += pg {
				m[a] = &modelPage{prot: prot}
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
			var want error
			first := m[addr]
			for a := addr; a < addr+length; a += pg {
				if p := m[a]; p == nil || first == nil || p.prot != first.prot {
					want = unix.EFAULT
				}
			}
			// A VMA in the model is a run of equal protection; the
			// source range must lie inside one.
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
