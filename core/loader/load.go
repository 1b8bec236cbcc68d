package loader

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"golang.org/x/sys/unix"
)

// pageSize is the application page size.
const pageSize = uint64(mm.PageSize)

// MemoryManager is what the loader needs of an address space.
// *mm.MemoryManager implements it; it must be new and empty.
type MemoryManager interface {
	MMap(opts mm.MMapOpts) (uintptr, error)
	MUnmap(addr, length uintptr) error
	CopyOut(addr uintptr, src []byte) (int, error)
	CopyOutForce(addr uintptr, src []byte) (int, error)
	SetBrkStart(addr uintptr) error
	SetMmapBase(base uintptr) error
	SetStackLimit(limit uintptr)
	MinAddr() uintptr
	MaxAddr() uintptr

	// PageCache is where the segments of a MappableFile are mapped from.
	PageCache() *mm.PageCache
}

// MappableFile is implemented by an Opener's reader whose file can be
// mapped through the page cache; the loader then maps the segments from the
// file (shared, read once, copied on touch) instead of copying them, and
// /proc/[pid]/maps names the file.
type MappableFile interface {
	// CachedFile returns the file for the page cache (the caller takes
	// its own references) and its absolute path.
	CachedFile() (f mm.CachedFile, name string)
}

var _ MemoryManager = (*mm.MemoryManager)(nil)

// Credentials are the task's IDs after exec, for AT_UID and friends.
type Credentials struct {
	UID, EUID, GID, EGID uint32
}

// Args describes the program to start.
type Args struct {
	// Argv and Envv are the argument and environment strings. An empty
	// Argv gets one empty string, as Linux (since 5.18) does.
	Argv []string
	Envv []string

	// Filename is the path execve was given; it goes on the stack for
	// AT_EXECFN. Exec opens it (and it is the script path a "#!"
	// interpreter receives).
	Filename string

	// Creds fill AT_UID, AT_EUID, AT_GID and AT_EGID. Secure sets
	// AT_SECURE (a set-ID exec: the C library then ignores LD_* and
	// friends).
	Creds  Credentials
	Secure bool

	// StackLimit is RLIMIT_STACK's soft limit: how far the stack may grow,
	// and how much room the layout leaves for it. Zero means 8 MiB;
	// unix.RLIM_INFINITY is treated as the largest gap Linux allows.
	StackLimit uint64

	// Randomize enables address-space layout randomisation: of the stack
	// top, the mmap base, the load address of ET_DYN executables, the
	// brk start and the stack pointer within its page. Without it the
	// layout is that of Linux with randomize_va_space=0.
	Randomize bool

	// Rand is the source of AT_RANDOM's bytes and of the randomisation;
	// nil means crypto/rand.
	Rand io.Reader

	// HWCap and HWCap2 are AT_HWCAP and AT_HWCAP2. If both are zero the
	// host's values are used (see HostHWCap).
	HWCap, HWCap2 uint64

	// Open opens the program interpreter (PT_INTERP) of a dynamic
	// executable, with the same checks as the executable. Exec sets it to
	// its Opener when it is nil; Load without it rejects dynamic
	// executables with ENOEXEC.
	Open Opener

	// ExtraAuxv are entries put first in the auxiliary vector, as Linux's
	// ARCH_DLINFO does on x86-64: AT_SYSINFO_EHDR once there is a vDSO,
	// AT_MINSIGSTKSZ from the kernel's signal frame size.
	ExtraAuxv []linux.AuxEntry
}

// Image is a loaded program: where its first thread starts, and what the
// kernel keeps for /proc and for later system calls.
type Image struct {
	// Entry is where the first thread starts (RIP): the program's entry,
	// or its interpreter's once dynamic executables are supported.
	Entry uintptr

	// StackPointer is the initial RSP: it points at argc and is 16-byte
	// aligned, as the x86-64 psABI requires at process entry. All other
	// registers start at zero (Linux's ELF_PLAT_INIT); RDX = 0 tells the
	// C library there is no function to register with atexit.
	StackPointer uintptr

	// Auxv is the auxiliary vector on the stack, AT_NULL included, for
	// /proc/[pid]/auxv.
	Auxv []linux.AuxEntry

	// ArgvStart..ArgvEnd and EnvvStart..EnvvEnd are the argument and
	// environment strings on the stack (Linux's mm->arg_start and
	// friends), for /proc/[pid]/cmdline and environ.
	ArgvStart, ArgvEnd uintptr
	EnvvStart, EnvvEnd uintptr

	// StackTop is the end of the stack VMA.
	StackTop uintptr

	// LoadBias is what was added to the executable's addresses (zero for
	// ET_EXEC). ImageStart and ImageEnd bound its mapped segments.
	LoadBias   uintptr
	ImageStart uintptr
	ImageEnd   uintptr

	// BrkStart is the start of the heap as set in the MemoryManager.
	BrkStart uintptr

	// Interpreter is the PT_INTERP of the executable, "" for a static
	// one, and InterpBase where it was loaded (AT_BASE).
	Interpreter string
	InterpBase  uintptr

	// Path is the file that was loaded: Args.Filename, or the interpreter
	// of a "#!" script (the kernel's /proc/[pid]/exe). Argv is the argv
	// the program received, after any "#!" rewriting.
	Path string
	Argv []string
}

// Load loads the ELF executable r (size bytes) into the empty address space
// m and builds its initial stack. It does not resolve "#!" scripts; Exec
// does.
//
// A dynamic executable's interpreter (PT_INTERP) is opened with args.Open
// and loaded too; the first thread starts at its entry, with AT_BASE its
// load address and AT_ENTRY the program's entry.
//
// Errors: ENOEXEC for a file that is not a valid x86-64 executable (or
// whose interpreter is not), the Opener's error for an interpreter that
// cannot be opened, E2BIG for arguments that do not fit
// the stack limit, ENOMEM when the address space is too small; all wrapped
// with a message. See the package comment for the state of m after an
// error.
func Load(m MemoryManager, r io.ReaderAt, size int64, args Args) (*Image, error) {
	if args.Rand == nil {
		args.Rand = rand.Reader
	}
	if len(args.Argv) == 0 {
		args.Argv = []string{""}
	}
	minAddr, maxAddr := uint64(m.MinAddr()), uint64(m.MaxAddr())
	f, err := parseELF(r, size, maxAddr-minAddr)
	if err != nil {
		return nil, err
	}
	var interp *interpFile
	if f.interp != "" {
		if interp, err = openInterp(f.interp, args.Open, maxAddr-minAddr); err != nil {
			return nil, err
		}
		defer interp.close()
	}
	if !f.isDyn() {
		if lo, hi := f.span(); lo < minAddr || hi > maxAddr {
			return nil, noexec("image [%#x, %#x) is outside the user address range [%#x, %#x)", lo, hi, minAddr, maxAddr)
		}
		if f.entry < minAddr || f.entry >= maxAddr {
			return nil, noexec("entry point %#x is outside the user address range", f.entry)
		}
	}
	stk, err := newStackBuilder(args)
	if err != nil {
		return nil, err
	}

	// Nothing has touched m so far. From here on, errors leave m half
	// built and the kernel discards it.
	lay, err := newLayout(m, args)
	if err != nil {
		return nil, err
	}
	img, err := loadImage(m, r, f, lay)
	if err != nil {
		return nil, err
	}
	brk := img.end
	if args.Randomize {
		// Linux's arch_randomize_brk: up to 32 MiB above the image.
		off, err := randomPages(args.Rand, 32<<20)
		if err != nil {
			return nil, err
		}
		brk += off
	}
	brk = pageUp(brk)
	if err := m.SetBrkStart(uintptr(brk)); err != nil {
		return nil, errnoError(unix.ENOMEM, "setting the heap start: %v", err)
	}

	entry := img.bias + f.entry
	if entry < f.entry || entry < minAddr || entry >= maxAddr {
		return nil, noexec("entry point %#x is outside the user address range", entry)
	}
	// The program's entry goes in AT_ENTRY; the thread starts in the
	// interpreter, which Linux maps after the program and below the mmap
	// base (load_elf_interp with no fixed address).
	start := entry
	var interpBase uint64
	if interp != nil {
		ilay := lay
		ilay.dynBase = 0
		iimg, err := loadImage(m, interp.r, interp.f, ilay)
		if err != nil {
			return nil, err
		}
		interpBase = iimg.bias
		if !interp.f.isDyn() {
			interpBase = 0
		}
		start = iimg.bias + interp.f.entry
		if start < interp.f.entry || start < minAddr || start >= maxAddr {
			return nil, noexec("interpreter %s: entry point %#x is outside the user address range", f.interp, start)
		}
	}
	out := &Image{
		Entry:       uintptr(start),
		Interpreter: f.interp,
		InterpBase:  uintptr(interpBase),
		LoadBias:    uintptr(img.bias),
		ImageStart:  uintptr(img.start),
		ImageEnd:    uintptr(img.end),
		BrkStart:    uintptr(brk),
		Path:        args.Filename,
		Argv:        args.Argv,
	}
	auxv := auxvFor(f, img, out, args)
	if err := stk.build(m, lay, f.execStack, auxv, out); err != nil {
		return nil, err
	}
	return out, nil
}

// auxvFor returns the auxiliary vector for the loaded image, in Linux's
// order (create_elf_tables), with placeholders for the values that are
// addresses on the stack (AT_RANDOM, AT_EXECFN, AT_PLATFORM), which the
// stack builder fills in.
func auxvFor(f *elfFile, img loadedImage, out *Image, args Args) []linux.AuxEntry {
	hwcap, hwcap2 := args.HWCap, args.HWCap2
	if hwcap == 0 && hwcap2 == 0 {
		hwcap, hwcap2 = HostHWCap()
	}
	var phdr uint64
	if a := f.phdrAddr(); a != 0 {
		phdr = a + img.bias
	}
	b2u := func(b bool) uint64 {
		if b {
			return 1
		}
		return 0
	}
	auxv := append([]linux.AuxEntry(nil), args.ExtraAuxv...)
	auxv = append(auxv,
		linux.AuxEntry{Key: linux.AT_HWCAP, Value: hwcap},
		linux.AuxEntry{Key: linux.AT_PAGESZ, Value: pageSize},
		linux.AuxEntry{Key: linux.AT_CLKTCK, Value: linux.CLK_TCK},
		linux.AuxEntry{Key: linux.AT_PHDR, Value: phdr},
		linux.AuxEntry{Key: linux.AT_PHENT, Value: sizeofPhdr},
		linux.AuxEntry{Key: linux.AT_PHNUM, Value: uint64(len(f.phdrs))},
		linux.AuxEntry{Key: linux.AT_BASE, Value: uint64(out.InterpBase)},
		linux.AuxEntry{Key: linux.AT_FLAGS, Value: 0},
		linux.AuxEntry{Key: linux.AT_ENTRY, Value: img.bias + f.entry},
		linux.AuxEntry{Key: linux.AT_UID, Value: uint64(args.Creds.UID)},
		linux.AuxEntry{Key: linux.AT_EUID, Value: uint64(args.Creds.EUID)},
		linux.AuxEntry{Key: linux.AT_GID, Value: uint64(args.Creds.GID)},
		linux.AuxEntry{Key: linux.AT_EGID, Value: uint64(args.Creds.EGID)},
		linux.AuxEntry{Key: linux.AT_SECURE, Value: b2u(args.Secure)},
		linux.AuxEntry{Key: linux.AT_RANDOM},
	)
	if hwcap2 != 0 {
		auxv = append(auxv, linux.AuxEntry{Key: linux.AT_HWCAP2, Value: hwcap2})
	}
	return append(auxv,
		linux.AuxEntry{Key: linux.AT_EXECFN},
		linux.AuxEntry{Key: linux.AT_PLATFORM},
		linux.AuxEntry{Key: linux.AT_NULL},
	)
}

// randomPages returns a random page-aligned offset in [0, limit).
func randomPages(r io.Reader, limit uint64) (uint64, error) {
	pages := limit / pageSize
	if pages == 0 {
		return 0, nil
	}
	n, err := randomBelow(r, pages)
	return n * pageSize, err
}

// interpFile is an opened and validated program interpreter.
type interpFile struct {
	r io.ReaderAt
	f *elfFile
}

// openInterp opens the interpreter at path with open and checks it as
// Linux's load_elf_binary does: an ELF executable of the same machine,
// without an interpreter of its own.
func openInterp(path string, open Opener, maxSpan uint64) (*interpFile, error) {
	if open == nil {
		return nil, noexec("dynamic executables need an Opener for their interpreter (PT_INTERP %s)", path)
	}
	r, size, err := open(path)
	if err != nil {
		return nil, err
	}
	in := &interpFile{r: r}
	if in.f, err = parseELF(r, size, maxSpan); err != nil {
		in.close()
		return nil, fmt.Errorf("interpreter %s: %w", path, err)
	}
	if in.f.interp != "" {
		in.close()
		return nil, noexec("interpreter %s has an interpreter of its own (%s)", path, in.f.interp)
	}
	return in, nil
}

func (in *interpFile) close() {
	if c, ok := in.r.(io.Closer); ok {
		c.Close()
	}
}
