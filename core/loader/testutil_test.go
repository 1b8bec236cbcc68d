package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
)

// The user address range of the tests: the ptrace platform's.
const (
	testMinAddr = 0x10000
	testMaxAddr = 0x7fff_ffff_0000
)

// fakeAS is a platform.AddressSpace that checks the calls and counts the
// mapped pages. Tests read memory through the MemoryManager (CopyIn), which
// goes through the memory file, so no MMU is modelled.
type fakeAS struct {
	mf *memfile.File

	mu       sync.Mutex
	pages    map[uintptr]platform.Prot
	released bool
}

func (f *fakeAS) MapFile(addr uintptr, fd int, off int64, length uintptr, prot platform.Prot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if addr%mm.PageSize != 0 || off%mm.PageSize != 0 || length%mm.PageSize != 0 || length == 0 {
		return fmt.Errorf("fakeAS: MapFile(%#x, %#x, %#x) misaligned", addr, off, length)
	}
	if fd != f.mf.FD() {
		return fmt.Errorf("fakeAS: MapFile of fd %d, not the memory file", fd)
	}
	if addr < testMinAddr || addr+length > testMaxAddr {
		return fmt.Errorf("fakeAS: MapFile at %#x outside the user range", addr)
	}
	for i := uintptr(0); i < length; i += mm.PageSize {
		f.pages[addr+i] = prot
	}
	return nil
}

func (f *fakeAS) Unmap(addr, length uintptr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for a := range f.pages {
		if a >= addr && a-addr < length {
			delete(f.pages, a)
		}
	}
	return nil
}

func (f *fakeAS) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = true
	f.pages = nil
}

// newMM returns an empty address space over a fresh memory file; at the end
// of the test it is released and checked for leaked pages.
func newMM(t *testing.T) *mm.MemoryManager {
	t.Helper()
	mf, err := memfile.New(memfile.Options{MaxSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	as := &fakeAS{mf: mf, pages: map[uintptr]platform.Prot{}}
	m, err := mm.New(mm.Config{MemoryFile: mf, AddressSpace: as, MinAddr: testMinAddr, MaxAddr: testMaxAddr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Release()
		if u := mf.Usage(); u.Allocated != 0 {
			t.Errorf("after Release: %d bytes still allocated", u.Allocated)
		}
		mf.Close()
	})
	return m
}

// seg describes one program header of a test ELF file.
type seg struct {
	typ   elf.ProgType
	flags elf.ProgFlag
	vaddr uint64
	data  []byte
	memsz uint64 // zero: len(data) (plus the headers with withHeaders)
	align uint64 // zero: a page

	// withHeaders makes the segment start at file offset 0, so that it
	// contains the ELF header and program headers before data (the usual
	// text segment); vaddr is then the address of the ELF header.
	withHeaders bool
}

// elfSpec describes a test ELF file.
type elfSpec struct {
	typ   elf.Type // zero: ET_EXEC
	entry uint64
	segs  []seg

	// mutate, if set, edits the header and program headers after layout,
	// before encoding: how the tests make corrupt files.
	mutate func(h *elf.Header64, ph []elf.Prog64)
}

// build lays the file out (header, program headers, then each segment's
// contents at a file offset congruent to its address modulo the page size)
// and encodes it.
func (s elfSpec) build() []byte {
	typ := s.typ
	if typ == 0 {
		typ = elf.ET_EXEC
	}
	var h elf.Header64
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	h.Type = uint16(typ)
	h.Machine = uint16(elf.EM_X86_64)
	h.Version = uint32(elf.EV_CURRENT)
	h.Entry = s.entry
	h.Phoff = sizeofEhdr
	h.Ehsize = sizeofEhdr
	h.Phentsize = sizeofPhdr
	h.Phnum = uint16(len(s.segs))
	hdrLen := uint64(sizeofEhdr + sizeofPhdr*len(s.segs))

	ph := make([]elf.Prog64, len(s.segs))
	type blob struct {
		off  uint64
		data []byte
	}
	var blobs []blob
	cur := hdrLen
	for i, sg := range s.segs {
		p := &ph[i]
		p.Type = uint32(sg.typ)
		p.Flags = uint32(sg.flags)
		p.Vaddr, p.Paddr = sg.vaddr, sg.vaddr
		p.Align = sg.align
		if p.Align == 0 && sg.typ == elf.PT_LOAD {
			p.Align = pageSize
		}
		if sg.withHeaders {
			p.Off = 0
			p.Filesz = hdrLen + uint64(len(sg.data))
			blobs = append(blobs, blob{hdrLen, sg.data})
			cur = max(cur, hdrLen+uint64(len(sg.data)))
		} else if len(sg.data) == 0 {
			p.Off = 0
		} else {
			off := pageDown(cur) + sg.vaddr%pageSize
			if off < cur {
				off += pageSize
			}
			p.Off = off
			p.Filesz = uint64(len(sg.data))
			blobs = append(blobs, blob{off, sg.data})
			cur = off + uint64(len(sg.data))
		}
		p.Memsz = max(sg.memsz, p.Filesz)
	}
	if s.mutate != nil {
		s.mutate(&h, ph)
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, &h)
	binary.Write(&b, binary.LittleEndian, ph)
	file := make([]byte, max(cur, uint64(b.Len())))
	copy(file, b.Bytes())
	for _, bl := range blobs {
		copy(file[bl.off:], bl.data)
	}
	return file
}

// fill returns n bytes of a pattern seeded by seed.
func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// detRand is a deterministic randomness source: bytes counting up from
// seed.
type detRand struct{ next byte }

func (r *detRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// initialStack is the initial stack as the program sees it.
type initialStack struct {
	argc int
	argv []string
	envv []string
	auxv []linux.AuxEntry
}

// readStack decodes the initial stack at sp, as a C runtime's _start does.
func readStack(t *testing.T, m *mm.MemoryManager, sp uintptr) initialStack {
	t.Helper()
	word := func(a uintptr) uint64 {
		var b [8]byte
		if _, err := m.CopyIn(a, b[:]); err != nil {
			t.Fatalf("reading the stack at %#x: %v", a, err)
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	str := func(a uint64) string {
		s, err := m.CopyInString(uintptr(a), 1<<20)
		if err != nil {
			t.Fatalf("reading a string at %#x: %v", a, err)
		}
		return s
	}
	var st initialStack
	st.argc = int(word(sp))
	a := sp + 8
	for i := 0; i < st.argc; i++ {
		st.argv = append(st.argv, str(word(a)))
		a += 8
	}
	if word(a) != 0 {
		t.Fatalf("argv[argc] is not NULL")
	}
	a += 8
	for ; word(a) != 0; a += 8 {
		st.envv = append(st.envv, str(word(a)))
	}
	a += 8
	for {
		e := linux.AuxEntry{Key: word(a), Value: word(a + 8)}
		st.auxv = append(st.auxv, e)
		a += 16
		if e.Key == linux.AT_NULL {
			break
		}
		if len(st.auxv) > 100 {
			t.Fatalf("auxv has no AT_NULL")
		}
	}
	return st
}

// aux returns the value of key in auxv, failing the test if it is absent.
func aux(t *testing.T, auxv []linux.AuxEntry, key uint64) uint64 {
	t.Helper()
	for _, e := range auxv {
		if e.Key == key {
			return e.Value
		}
	}
	t.Fatalf("auxv has no entry %d", key)
	return 0
}

// readMem reads n bytes at addr, ignoring permissions.
func readMem(t *testing.T, m *mm.MemoryManager, addr uintptr, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := m.CopyInForce(addr, b); err != nil {
		t.Fatalf("reading %d bytes at %#x: %v", n, addr, err)
	}
	return b
}

// vmaAt returns the VMA containing addr.
func vmaAt(t *testing.T, m *mm.MemoryManager, addr uintptr) mm.VMA {
	t.Helper()
	for _, v := range m.VMAs() {
		if v.Start <= addr && addr < v.End {
			return v
		}
	}
	t.Fatalf("no VMA at %#x; VMAs: %+v", addr, m.VMAs())
	return mm.VMA{}
}
