package loader

import (
	"bytes"
	"debug/elf"
	"errors"
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

const (
	rx = platform.ProtRead | platform.ProtExec
	rw = platform.ProtRead | platform.ProtWrite
)

// staticSpec is a typical static executable: a text segment holding the
// headers and code at 0x400000, a data segment with .bss spanning pages,
// and a non-executable stack.
func staticSpec() (elfSpec, []byte, []byte) {
	code := fill(300, 1)
	data := fill(5000, 2)
	return elfSpec{
		entry: 0x400000 + sizeofEhdr + 3*sizeofPhdr,
		segs: []seg{
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x400000, data: code, withHeaders: true},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, vaddr: 0x401f00, data: data, memsz: 5000 + 0x3000},
			{typ: elf.PT_GNU_STACK, flags: elf.PF_R | elf.PF_W},
		},
	}, code, data
}

func load(t *testing.T, m *mm.MemoryManager, file []byte, args Args) *Image {
	t.Helper()
	if args.Rand == nil {
		args.Rand = &detRand{}
	}
	img, err := Load(m, bytes.NewReader(file), int64(len(file)), args)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return img
}

func TestLoadStatic(t *testing.T) {
	spec, code, data := staticSpec()
	file := spec.build()
	m := newMM(t)
	img := load(t, m, file, Args{
		Argv:     []string{"prog", "-v", ""},
		Envv:     []string{"HOME=/root", "PATH=/bin"},
		Filename: "/bin/prog",
		Creds:    Credentials{UID: 1, EUID: 2, GID: 3, EGID: 4},
		HWCap:    0x178bfbff,
		HWCap2:   0x2,
	})

	if img.Entry != uintptr(spec.entry) || img.LoadBias != 0 {
		t.Errorf("entry %#x bias %#x, want %#x and 0", img.Entry, img.LoadBias, spec.entry)
	}

	// The text segment: the file's first bytes, then zeros to the end
	// of the page.
	hdrLen := sizeofEhdr + 3*sizeofPhdr
	if got := readMem(t, m, 0x400000, hdrLen+len(code)); !bytes.Equal(got, file[:hdrLen+len(code)]) {
		t.Errorf("text segment contents differ from the file")
	}
	if got := readMem(t, m, uintptr(0x400000+hdrLen+len(code)), 0x1000-hdrLen-len(code)); !allZero(got) {
		t.Errorf("rest of the text page is not zero")
	}
	// The data segment, then .bss, zero, across pages.
	if got := readMem(t, m, 0x401f00, len(data)); !bytes.Equal(got, data) {
		t.Errorf("data segment contents differ")
	}
	if got := readMem(t, m, 0x401f00+5000, 0x3000); !allZero(got) {
		t.Errorf(".bss is not zero")
	}
	if got := readMem(t, m, 0x401000, 0xf00); !allZero(got) {
		t.Errorf("the data segment's first page before p_vaddr is not zero")
	}

	for _, want := range []struct {
		addr       uintptr
		start, end uintptr
		prot       platform.Prot
	}{
		{0x400000, 0x400000, 0x401000, rx},
		{0x401f00, 0x401000, 0x407000, rw}, // 0x401f00 + 5000 + 0x3000 = 0x406288
	} {
		v := vmaAt(t, m, want.addr)
		if v.Start != want.start || v.End != want.end || v.Prot != want.prot || v.Shared {
			t.Errorf("VMA at %#x: [%#x, %#x) %v shared=%v, want [%#x, %#x) %v private",
				want.addr, v.Start, v.End, v.Prot, v.Shared, want.start, want.end, want.prot)
		}
	}
	if img.BrkStart != 0x407000 || m.BrkStart() != 0x407000 {
		t.Errorf("brk start %#x (mm %#x), want 0x407000", img.BrkStart, m.BrkStart())
	}

	// The layout: stack at the top, mmap base below its gap.
	if img.StackTop != testMaxAddr {
		t.Errorf("stack top %#x, want %#x", img.StackTop, uintptr(testMaxAddr))
	}
	if want := uintptr(testMaxAddr - minGap); m.MmapBase() != want {
		t.Errorf("mmap base %#x, want %#x (8 MiB stack limit: the 128 MiB minimum gap)", m.MmapBase(), want)
	}
	sv := vmaAt(t, m, img.StackPointer)
	if !sv.GrowsDown || sv.Name != "[stack]" || sv.Prot != rw || sv.End != img.StackTop {
		t.Errorf("stack VMA %+v", sv)
	}

	// The stack as _start sees it.
	if img.StackPointer%16 != 0 {
		t.Errorf("stack pointer %#x is not 16-byte aligned", img.StackPointer)
	}
	st := readStack(t, m, img.StackPointer)
	if st.argc != 3 || strings.Join(st.argv, ",") != "prog,-v," {
		t.Errorf("argc %d argv %q", st.argc, st.argv)
	}
	if strings.Join(st.envv, ",") != "HOME=/root,PATH=/bin" {
		t.Errorf("envp %q", st.envv)
	}
	for _, tc := range []struct {
		key, want uint64
	}{
		{linux.AT_PHDR, 0x400000 + sizeofEhdr},
		{linux.AT_PHENT, sizeofPhdr},
		{linux.AT_PHNUM, 3},
		{linux.AT_PAGESZ, 4096},
		{linux.AT_BASE, 0},
		{linux.AT_FLAGS, 0},
		{linux.AT_ENTRY, spec.entry},
		{linux.AT_UID, 1},
		{linux.AT_EUID, 2},
		{linux.AT_GID, 3},
		{linux.AT_EGID, 4},
		{linux.AT_SECURE, 0},
		{linux.AT_HWCAP, 0x178bfbff},
		{linux.AT_HWCAP2, 0x2},
		{linux.AT_CLKTCK, 100},
	} {
		if got := aux(t, st.auxv, tc.key); got != tc.want {
			t.Errorf("auxv[%d] = %#x, want %#x", tc.key, got, tc.want)
		}
	}
	if st.auxv[len(st.auxv)-1] != (linux.AuxEntry{}) {
		t.Errorf("auxv does not end with AT_NULL")
	}
	if len(st.auxv) != len(img.Auxv) {
		t.Fatalf("stack has %d auxv entries, Image.Auxv %d", len(st.auxv), len(img.Auxv))
	}
	for i := range st.auxv {
		if st.auxv[i] != img.Auxv[i] {
			t.Errorf("auxv[%d]: stack %+v, Image %+v", i, st.auxv[i], img.Auxv[i])
		}
	}
	rnd := readMem(t, m, uintptr(aux(t, st.auxv, linux.AT_RANDOM)), 16)
	// detRand counts from 0; AT_RANDOM's are the first bytes drawn.
	if !bytes.Equal(rnd, fill16(0)) {
		t.Errorf("AT_RANDOM bytes % x", rnd)
	}
	if s, _ := m.CopyInString(uintptr(aux(t, st.auxv, linux.AT_EXECFN)), 100); s != "/bin/prog" {
		t.Errorf("AT_EXECFN %q", s)
	}
	if s, _ := m.CopyInString(uintptr(aux(t, st.auxv, linux.AT_PLATFORM)), 100); s != "x86_64" {
		t.Errorf("AT_PLATFORM %q", s)
	}
	// /proc/[pid]/cmdline and environ.
	if got := readMem(t, m, img.ArgvStart, int(img.ArgvEnd-img.ArgvStart)); string(got) != "prog\x00-v\x00\x00" {
		t.Errorf("argv strings %q", got)
	}
	if got := readMem(t, m, img.EnvvStart, int(img.EnvvEnd-img.EnvvStart)); string(got) != "HOME=/root\x00PATH=/bin\x00" {
		t.Errorf("envp strings %q", got)
	}
	// The strings end 8 bytes below the top, after AT_EXECFN's.
	if want := img.StackTop - 8 - uintptr(len("/bin/prog\x00")); img.EnvvEnd != want {
		t.Errorf("strings end at %#x, want %#x", img.EnvvEnd, want)
	}
}

func fill16(start byte) []byte {
	b := make([]byte, 16)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestLoadStaticPIE(t *testing.T) {
	code := fill(100, 9)
	data := fill(64, 10)
	file := elfSpec{
		typ:   elf.ET_DYN,
		entry: 0x1000,
		segs: []seg{
			{typ: elf.PT_LOAD, flags: elf.PF_R, vaddr: 0, withHeaders: true, align: 0x200000},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x1000, data: code, align: 0x200000},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, vaddr: 0x2000, data: data, memsz: 0x100, align: 0x200000},
		},
	}.build()
	m := newMM(t)
	img := load(t, m, file, Args{Argv: []string{"pie"}})
	wantBias := uintptr(alignUp(uint64(testMaxAddr)/3*2, 0x200000))
	if img.LoadBias != wantBias {
		t.Errorf("load bias %#x, want %#x (2/3 of the address space, 2 MiB aligned)", img.LoadBias, wantBias)
	}
	if img.Entry != img.LoadBias+0x1000 {
		t.Errorf("entry %#x, want bias+0x1000", img.Entry)
	}
	if got := readMem(t, m, img.LoadBias+0x1000, len(code)); !bytes.Equal(got, code) {
		t.Errorf("code differs")
	}
	if got := readMem(t, m, img.LoadBias+0x2000, 0x100); !bytes.Equal(got[:64], data) || !allZero(got[64:]) {
		t.Errorf("data/bss differ")
	}
	if v := vmaAt(t, m, img.LoadBias+0x1000); v.Prot != rx {
		t.Errorf("text prot %v", v.Prot)
	}
	st := readStack(t, m, img.StackPointer)
	if got := aux(t, st.auxv, linux.AT_PHDR); got != uint64(img.LoadBias)+sizeofEhdr {
		t.Errorf("AT_PHDR %#x, want bias+64", got)
	}
	if got := aux(t, st.auxv, linux.AT_ENTRY); got != uint64(img.Entry) {
		t.Errorf("AT_ENTRY %#x", got)
	}
	if img.BrkStart != img.LoadBias+0x3000 {
		t.Errorf("brk %#x, want bias+0x3000", img.BrkStart)
	}
}

func TestLoadRandomized(t *testing.T) {
	spec, _, _ := staticSpec()
	spec.typ = elf.ET_DYN
	spec.entry -= 0x400000
	for i := range spec.segs {
		spec.segs[i].vaddr &^= 0x400000
	}
	file := spec.build()
	seen := map[uintptr]bool{}
	for seed := byte(1); seed <= 3; seed++ {
		m := newMM(t)
		img := load(t, m, file, Args{Argv: []string{"x"}, Randomize: true, Rand: &detRand{next: seed * 50}})
		if img.StackPointer%16 != 0 || img.StackTop > testMaxAddr || img.StackTop%4096 != 0 {
			t.Errorf("seed %d: sp %#x top %#x", seed, img.StackPointer, img.StackTop)
		}
		if img.LoadBias%4096 != 0 || m.MmapBase() >= img.StackTop {
			t.Errorf("seed %d: bias %#x, mmap base %#x, stack top %#x", seed, img.LoadBias, m.MmapBase(), img.StackTop)
		}
		st := readStack(t, m, img.StackPointer)
		if st.argc != 1 || st.argv[0] != "x" {
			t.Errorf("seed %d: argv %q", seed, st.argv)
		}
		seen[img.LoadBias] = true
		seen[img.StackTop] = true
	}
	if len(seen) != 6 {
		t.Errorf("randomisation gave repeated addresses: %v", seen)
	}
}

func TestLoadSharedPageAndExecStack(t *testing.T) {
	// Text and data share the page at 0x400000, as with ld -N: both
	// contents must be there, with the later segment's permissions.
	code := fill(0x100, 3)
	data := fill(0x80, 4)
	file := elfSpec{
		entry: 0x400000 + 0x200,
		segs: []seg{
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x400000 + 0x200, data: code},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, vaddr: 0x400000 + 0x300, data: data, memsz: 0x2000},
			{typ: elf.PT_GNU_STACK, flags: elf.PF_R | elf.PF_W | elf.PF_X},
		},
	}.build()
	m := newMM(t)
	img := load(t, m, file, Args{})
	if got := readMem(t, m, 0x400200, 0x180); !bytes.Equal(got, append(append([]byte(nil), code...), data...)) {
		t.Errorf("shared page contents wrong")
	}
	if v := vmaAt(t, m, 0x400000); v.Prot != rw {
		t.Errorf("shared page prot %v, want the later segment's %v", v.Prot, rw)
	}
	if v := vmaAt(t, m, img.StackPointer); v.Prot != rw|platform.ProtExec {
		t.Errorf("PT_GNU_STACK PF_X: stack prot %v", v.Prot)
	}
	st := readStack(t, m, img.StackPointer)
	if st.argc != 1 || st.argv[0] != "" {
		t.Errorf("empty argv became %q, want one empty string", st.argv)
	}
	// No PT_LOAD contains the program headers and there is no PT_PHDR.
	if got := aux(t, st.auxv, linux.AT_PHDR); got != 0 {
		t.Errorf("AT_PHDR %#x, want 0", got)
	}
}

func TestLoadGapsUnmapped(t *testing.T) {
	file := elfSpec{
		entry: 0x400000,
		segs: []seg{
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x400000, data: fill(10, 1)},
			{typ: elf.PT_LOAD, flags: elf.PF_R, vaddr: 0x800000, data: fill(10, 2)},
		},
	}.build()
	m := newMM(t)
	load(t, m, file, Args{})
	for _, v := range m.VMAs() {
		if v.Start < 0x800000 && v.End > 0x401000 {
			t.Errorf("the gap between the segments is mapped: %+v", v)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	good, _, _ := staticSpec()
	mut := func(f func(h *elf.Header64, ph []elf.Prog64)) []byte {
		s := good
		s.mutate = f
		return s.build()
	}
	valid := good.build()
	for _, tc := range []struct {
		name string
		file []byte
		msg  string
	}{
		{"empty", nil, "truncated ELF header"},
		{"truncated header", valid[:40], "truncated ELF header"},
		{"not ELF", bytes.Repeat([]byte("MZ"), 100), "not an ELF file"},
		{"32-bit", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS32) }), "ELFCLASS32"},
		{"big-endian", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2MSB) }), "ELFDATA2MSB"},
		{"aarch64", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Machine = uint16(elf.EM_AARCH64) }), "EM_AARCH64"},
		{"i386", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Machine = uint16(elf.EM_386) }), "EM_386"},
		{"relocatable", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Type = uint16(elf.ET_REL) }), "ET_REL"},
		{"core", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Type = uint16(elf.ET_CORE) }), "ET_CORE"},
		{"phentsize", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Phentsize = 32 }), "e_phentsize"},
		{"no phdrs", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Phnum = 0 }), "0 program headers"},
		{"too many phdrs", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Phnum = 1000 }), "1000 program headers"},
		{"phdrs beyond file", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Phoff = 1 << 40 }), "program headers"},
		{"phoff overflow", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Phoff = ^uint64(0) - 8 }), "program headers"},
		{"segment beyond file", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Filesz += 1 << 20; ph[1].Memsz += 1 << 20 }), "beyond the end of the file"},
		{"offset overflow", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Off = ^uint64(0) - 10 }), "beyond the end of the file"},
		{"truncated file", valid[:len(valid)-100], "beyond the end of the file"},
		{"filesz > memsz", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Memsz = ph[1].Filesz - 1 }), "larger than p_memsz"},
		{"vaddr+memsz overflows", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Memsz = ^uint64(0) - 0x1000 }), "overflows"},
		{"huge segment", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Memsz = 1 << 62 }), "more than the address space"},
		{"overlapping", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Vaddr = 0x400100; ph[1].Off = 0x100 }), "overlaps"},
		{"descending", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Vaddr = 0x300f00 }), "overlaps or precedes"},
		{"incongruent", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Vaddr += 8 }), "differ within a page"},
		{"no PT_LOAD", mut(func(_ *elf.Header64, ph []elf.Prog64) {
			ph[0].Type, ph[1].Type = uint32(elf.PT_NOTE), uint32(elf.PT_NOTE)
		}), "no loadable segments"},
		{"absurd alignment", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Align = 1 << 40 }), "p_align"},
		{"at address zero", mut(func(h *elf.Header64, ph []elf.Prog64) { ph[0].Vaddr = 0; ph[1].Vaddr = 0x1f00; h.Entry = 0x100 }), "outside the user address range"},
		{"above the user range", mut(func(_ *elf.Header64, ph []elf.Prog64) { ph[1].Vaddr = testMaxAddr - 0x100 }), "outside the user address range"},
		{"entry outside", mut(func(h *elf.Header64, _ []elf.Prog64) { h.Entry = 0x10 }), "entry point"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMM(t)
			base := m.MmapBase()
			_, err := Load(m, bytes.NewReader(tc.file), int64(len(tc.file)), Args{Rand: &detRand{}})
			if !errors.Is(err, unix.ENOEXEC) {
				t.Fatalf("Load: %v, want ENOEXEC", err)
			}
			// Validation happens before the address space is touched.
			if len(m.VMAs()) != 0 || m.MmapBase() != base {
				t.Errorf("a rejected file changed the address space: %+v", m.VMAs())
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestLoadDynamic(t *testing.T) {
	s, _, _ := staticSpec()
	s.segs = append(s.segs, seg{typ: elf.PT_INTERP, data: []byte("/lib64/ld-linux-x86-64.so.2\x00")})
	file := s.build()
	m := newMM(t)
	_, err := Load(m, bytes.NewReader(file), int64(len(file)), Args{})
	if !errors.Is(err, unix.ENOEXEC) ||
		!strings.Contains(err.Error(), "dynamic executables need an Opener for their interpreter (PT_INTERP /lib64/ld-linux-x86-64.so.2)") {
		t.Errorf("Load of a dynamic executable: %v", err)
	}

	for name, interp := range map[string]string{
		"no NUL":        "/lib/ld.so",
		"inner NUL":     "/lib\x00ld.so\x00",
		"one byte":      "\x00",
		"second interp": "",
	} {
		s, _, _ := staticSpec()
		s.segs = append(s.segs, seg{typ: elf.PT_INTERP, data: []byte(interp)})
		if name == "second interp" {
			s.segs = append(s.segs[:3],
				seg{typ: elf.PT_INTERP, data: []byte("/a\x00")}, seg{typ: elf.PT_INTERP, data: []byte("/b\x00")})
		}
		file := s.build()
		_, err := Load(newMM(t), bytes.NewReader(file), int64(len(file)), Args{})
		if !errors.Is(err, unix.ENOEXEC) || strings.Contains(err.Error(), "not supported yet") {
			t.Errorf("%s: %v, want ENOEXEC for a bad PT_INTERP", name, err)
		}
	}
}

func TestLoadE2BIG(t *testing.T) {
	spec, _, _ := staticSpec()
	file := spec.build()
	for name, args := range map[string]Args{
		"long string":  {Argv: []string{"x", strings.Repeat("a", 32*4096)}},
		"long env":     {Envv: []string{strings.Repeat("a", 40*4096)}},
		"total":        {Argv: make([]string, 0), Envv: repeat(strings.Repeat("e", 4000), 600)},
		"small rlimit": {StackLimit: 1 << 20, Envv: repeat(strings.Repeat("e", 4000), 100)},
	} {
		_, err := Load(newMM(t), bytes.NewReader(file), int64(len(file)), args)
		if !errors.Is(err, unix.E2BIG) {
			t.Errorf("%s: %v, want E2BIG", name, err)
		}
	}
	// Just inside the limits works, and the stack VMA covers it.
	m := newMM(t)
	img := load(t, m, file, Args{Argv: []string{"x"}, Envv: repeat(strings.Repeat("e", 4000), 500)})
	st := readStack(t, m, img.StackPointer)
	if len(st.envv) != 500 {
		t.Errorf("%d environment strings", len(st.envv))
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestLoadStackLimit(t *testing.T) {
	spec, _, _ := staticSpec()
	file := spec.build()
	m := newMM(t)
	load(t, m, file, Args{StackLimit: 512 << 20})
	want := uintptr(testMaxAddr - (512<<20 + stackGuardGap))
	if m.MmapBase() != want {
		t.Errorf("mmap base %#x with a 512 MiB stack limit, want %#x", m.MmapBase(), want)
	}
	m = newMM(t)
	load(t, m, file, Args{StackLimit: unix.RLIM_INFINITY})
	if want := uintptr(testMaxAddr - pageDown(testMaxAddr/6*5)); m.MmapBase() > want+mm.PageSize || m.MmapBase() < want-mm.PageSize {
		t.Errorf("mmap base %#x with an unlimited stack, want about %#x", m.MmapBase(), want)
	}
}
