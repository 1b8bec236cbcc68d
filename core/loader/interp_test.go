package loader

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

const testInterp = "/lib/ld-test.so"

// interpSpec is a tiny dynamic loader: ET_DYN, headers and code in a text
// segment at 0, data with a small .bss at 0x2100. The bytes after the data
// in the file are not zero, and some lie beyond p_memsz in the same page,
// so a missing or short padzero shows.
func interpSpec() (elfSpec, []byte, []byte) {
	code := fill(200, 5)
	data := append(fill(0x80, 6), bytes.Repeat([]byte{0xaa}, 0x20)...) // the 0xaa are file, not segment
	return elfSpec{
		typ:   elf.ET_DYN,
		entry: sizeofEhdr + 2*sizeofPhdr + 0x10,
		segs: []seg{
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0, data: code, withHeaders: true},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, vaddr: 0x2100, data: data, memsz: 0x90},
		},
		mutate: func(h *elf.Header64, ph []elf.Prog64) {
			ph[1].Filesz -= 0x20 // the segment ends before the 0xaa
		},
	}, code, data[:0x80]
}

// dynamicSpec is staticSpec with a PT_INTERP.
func dynamicSpec(interp string) []byte {
	s, _, _ := staticSpec()
	s.segs = append(s.segs, seg{typ: elf.PT_INTERP, data: []byte(interp + "\x00")})
	return s.build()
}

// memFile is an Opener's reader over bytes; with cached set it is a
// MappableFile whose CachedFile counts its references.
type memFile struct {
	*bytes.Reader
	data   []byte
	name   string
	cached bool
	ino    uint64

	mu   *sync.Mutex
	refs *int
}

func (f memFile) CachedFile() (mm.CachedFile, string) { return f, f.name }

func (f memFile) WriteAt([]byte, int64) (int, error) { return 0, unix.EBADF }
func (f memFile) Stat() (mm.FileStat, error) {
	return mm.FileStat{Key: mm.FileKey{Dev: 9, Ino: f.ino}, Version: mm.FileVersion{Size: int64(len(f.data))}}, nil
}
func (f memFile) IncRef() { f.mu.Lock(); *f.refs++; f.mu.Unlock() }
func (f memFile) DecRef() { f.mu.Lock(); *f.refs--; f.mu.Unlock() }

// plainFile hides memFile's MappableFile method: the copying path.
type plainFile struct{ io.ReaderAt }

// fileSystem is an Opener over a map of files.
type fileSystem struct {
	files  map[string][]byte
	cached bool

	mu     sync.Mutex
	refs   int
	opened []string
}

func (fs *fileSystem) open(path string) (io.ReaderAt, int64, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	data, ok := fs.files[path]
	if !ok {
		return nil, 0, unix.ENOENT
	}
	fs.opened = append(fs.opened, path)
	f := memFile{Reader: bytes.NewReader(data), data: data, name: path, ino: uint64(len(fs.opened)), mu: &fs.mu, refs: &fs.refs}
	if !fs.cached {
		return plainFile{f}, int64(len(data)), nil
	}
	return f, int64(len(data)), nil
}

func TestLoadInterpreter(t *testing.T) {
	for _, cached := range []bool{false, true} {
		name := "copied"
		if cached {
			name = "page cache"
		}
		t.Run(name, func(t *testing.T) {
			ispec, icode, idata := interpSpec()
			fs := &fileSystem{cached: cached, files: map[string][]byte{
				"/bin/prog": dynamicSpec(testInterp),
				testInterp:  ispec.build(),
			}}
			m := newMM(t)
			t.Cleanup(func() { m.PageCache().Drop() }) // before newMM's leak check
			img, err := Exec(m, fs.open, Args{Filename: "/bin/prog", Argv: []string{"prog"}, Rand: &detRand{}})
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			if want := []string{"/bin/prog", testInterp}; strings.Join(fs.opened, " ") != strings.Join(want, " ") {
				t.Errorf("opened %q, want %q", fs.opened, want)
			}
			if img.Interpreter != testInterp || img.Path != "/bin/prog" {
				t.Errorf("Interpreter %q Path %q", img.Interpreter, img.Path)
			}
			base := uint64(img.InterpBase)
			if base == 0 || base%pageSize != 0 || base >= uint64(m.MmapBase()) || base < 0x400000+0x10000 {
				t.Errorf("interpreter at %#x, want a page below the mmap base %#x", base, m.MmapBase())
			}
			if want := base + ispec.entry; uint64(img.Entry) != want {
				t.Errorf("Entry %#x, want the interpreter's %#x", img.Entry, want)
			}
			st := readStack(t, m, img.StackPointer)
			spec, _, _ := staticSpec()
			if got := aux(t, st.auxv, linux.AT_BASE); got != base {
				t.Errorf("AT_BASE %#x, want %#x", got, base)
			}
			if got := aux(t, st.auxv, linux.AT_ENTRY); got != spec.entry {
				t.Errorf("AT_ENTRY %#x, want the program's %#x", got, spec.entry)
			}
			if got := aux(t, st.auxv, linux.AT_PHDR); got != 0x400000+sizeofEhdr {
				t.Errorf("AT_PHDR %#x, want the program's %#x", got, 0x400000+sizeofEhdr)
			}
			if got := readMem(t, m, uintptr(base+sizeofEhdr+2*sizeofPhdr), len(icode)); !bytes.Equal(got, icode) {
				t.Errorf("interpreter code wrong")
			}
			if got := readMem(t, m, uintptr(base+0x2100), len(idata)); !bytes.Equal(got, idata) {
				t.Errorf("interpreter data wrong")
			}
			if got := readMem(t, m, uintptr(base+0x2180), 0x3000-0x2180); !bytes.Equal(got, make([]byte, len(got))) {
				t.Errorf("interpreter .bss (and the rest of its page) not zero: % x", got[:8])
			}
			text := vmaAt(t, m, uintptr(base))
			if text.Prot != platform.ProtRead|platform.ProtExec {
				t.Errorf("interpreter text %v", text.Prot)
			}
			if cached {
				if text.Name != testInterp || text.Anonymous || text.Shared {
					t.Errorf("interpreter text VMA %+v, want a private mapping of %s", text, testInterp)
				}
				if v := vmaAt(t, m, 0x400000); v.Name != "/bin/prog" {
					t.Errorf("program text VMA named %q", v.Name)
				}
				fs.mu.Lock()
				refs := fs.refs
				fs.mu.Unlock()
				if refs != 2 {
					t.Errorf("the page cache holds %d file references, want one per mapped file", refs)
				}
			}
			// Writes to private file pages stay private.
			if _, err := m.CopyOut(uintptr(base+0x2100), []byte("xyz")); err != nil {
				t.Fatal(err)
			}
			m2 := newMM(t)
			t.Cleanup(func() { m2.PageCache().Drop() })
			fs.opened = nil
			if _, err := Exec(m2, fs.open, Args{Filename: "/bin/prog", Rand: &detRand{}}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadInterpreterErrors(t *testing.T) {
	ispec, _, _ := interpSpec()
	nested := ispec
	nested.segs = append(append([]seg(nil), ispec.segs...), seg{typ: elf.PT_INTERP, data: []byte("/other\x00")})
	for _, tc := range []struct {
		name   string
		interp []byte // nil: missing
		errno  unix.Errno
		msg    string
	}{
		{"missing", nil, unix.ENOENT, ""},
		{"not ELF", []byte("#!/bin/sh\n"), unix.ENOEXEC, "interpreter " + testInterp},
		{"nested", nested.build(), unix.ENOEXEC, "has an interpreter of its own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fileSystem{files: map[string][]byte{"/bin/prog": dynamicSpec(testInterp)}}
			if tc.interp != nil {
				fs.files[testInterp] = tc.interp
			}
			m := newMM(t)
			_, err := Exec(m, fs.open, Args{Filename: "/bin/prog", Rand: &detRand{}})
			if !errors.Is(err, tc.errno) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Exec: %v, want %v mentioning %q", err, tc.errno, tc.msg)
			}
			if len(m.VMAs()) != 0 {
				t.Errorf("a rejected interpreter changed the address space: %+v", m.VMAs())
			}
		})
	}
}
