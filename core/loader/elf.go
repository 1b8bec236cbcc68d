package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
)

// ELF limits Linux applies (fs/binfmt_elf.c).
const (
	// maxPhdrBytes bounds e_phnum*e_phentsize: the program headers must
	// fit in one page (ELF_MIN_ALIGN), or the file is rejected.
	maxPhdrBytes = 4096

	// maxInterpLen is PATH_MAX: the longest PT_INTERP accepted.
	maxInterpLen = 4096

	// sizeofEhdr and sizeofPhdr are sizeof(Elf64_Ehdr) and
	// sizeof(Elf64_Phdr).
	sizeofEhdr = 64
	sizeofPhdr = 56

	// maxAlign is the largest p_align honoured (1 GiB, a huge page).
	maxAlign = 1 << 30
)

// elfFile is a validated ELF executable: everything the loader needs from
// the file except the segment contents, which it reads while mapping.
type elfFile struct {
	// typ is elf.ET_EXEC or elf.ET_DYN.
	typ elf.Type

	// entry is e_entry, before the load bias.
	entry uint64

	// phoff is e_phoff and phdrs the program headers, in file order.
	phoff uint64
	phdrs []elf.Prog64

	// loads are the indices in phdrs of the PT_LOAD segments with
	// p_memsz > 0, in ascending address order (which the ELF spec
	// requires and validation checks).
	loads []int

	// interp is the PT_INTERP path without its NUL, or "".
	interp string

	// execStack is set by a PT_GNU_STACK with PF_X.
	execStack bool

	// maxAlign is the largest power-of-two p_align of the PT_LOAD
	// segments, at least a page.
	maxAlign uint64
}

// isELF reports whether the file starts with the ELF magic.
func isELF(head []byte) bool {
	return len(head) >= 4 && bytes.Equal(head[:4], []byte(elf.ELFMAG))
}

// parseELF reads and validates the ELF header and program headers of the
// file r of size bytes. It looks at nothing else (section headers do not
// matter to a loader, as in Linux), so it uses debug/elf's definitions of
// the structures and constants rather than elf.NewFile, which insists on
// sane section headers. maxSpan bounds how large the image may be.
//
// Every error is ENOEXEC with a message saying what is wrong.
func parseELF(r io.ReaderAt, size int64, maxSpan uint64) (*elfFile, error) {
	if size < sizeofEhdr {
		return nil, noexec("truncated ELF header (%d bytes, need %d)", size, sizeofEhdr)
	}
	var raw [sizeofEhdr]byte
	if _, err := r.ReadAt(raw[:], 0); err != nil {
		return nil, readError("ELF header", err)
	}
	if !isELF(raw[:]) {
		return nil, noexec("not an ELF file")
	}
	var hdr elf.Header64
	if _, err := binary.Decode(raw[:], binary.LittleEndian, &hdr); err != nil {
		return nil, noexec("bad ELF header: %v", err)
	}
	switch {
	case elf.Class(hdr.Ident[elf.EI_CLASS]) != elf.ELFCLASS64:
		return nil, noexec("%v executables are not supported (only ELFCLASS64)", elf.Class(hdr.Ident[elf.EI_CLASS]))
	case elf.Data(hdr.Ident[elf.EI_DATA]) != elf.ELFDATA2LSB:
		return nil, noexec("%v executables are not supported (only little-endian)", elf.Data(hdr.Ident[elf.EI_DATA]))
	case elf.Version(hdr.Ident[elf.EI_VERSION]) != elf.EV_CURRENT:
		return nil, noexec("unknown ELF version %d", hdr.Ident[elf.EI_VERSION])
	case elf.Machine(hdr.Machine) != elf.EM_X86_64:
		return nil, noexec("executable is for machine %v, not EM_X86_64", elf.Machine(hdr.Machine))
	}
	f := &elfFile{typ: elf.Type(hdr.Type), entry: hdr.Entry, phoff: hdr.Phoff, maxAlign: pageSize}
	if f.typ != elf.ET_EXEC && f.typ != elf.ET_DYN {
		return nil, noexec("ELF type %v is not executable (want ET_EXEC or ET_DYN)", f.typ)
	}
	if hdr.Phentsize != sizeofPhdr {
		return nil, noexec("e_phentsize is %d, want %d", hdr.Phentsize, sizeofPhdr)
	}
	phBytes := uint64(hdr.Phnum) * sizeofPhdr
	if hdr.Phnum == 0 || phBytes > maxPhdrBytes {
		return nil, noexec("%d program headers (want 1 to %d)", hdr.Phnum, maxPhdrBytes/sizeofPhdr)
	}
	if hdr.Phoff > uint64(size) || phBytes > uint64(size)-hdr.Phoff {
		return nil, noexec("program headers [%#x, %#x) beyond the end of the file (%d bytes)",
			hdr.Phoff, hdr.Phoff+phBytes, size)
	}
	rawPh := make([]byte, phBytes)
	if _, err := r.ReadAt(rawPh, int64(hdr.Phoff)); err != nil {
		return nil, readError("program headers", err)
	}
	f.phdrs = make([]elf.Prog64, hdr.Phnum)
	if _, err := binary.Decode(rawPh, binary.LittleEndian, f.phdrs); err != nil {
		return nil, noexec("bad program headers: %v", err)
	}
	if err := f.validateSegments(r, size, maxSpan); err != nil {
		return nil, err
	}
	return f, nil
}

// validateSegments checks the program headers: each PT_LOAD inside the file
// and the address space, in ascending order without overlap; at most one
// well-formed PT_INTERP.
func (f *elfFile) validateSegments(r io.ReaderAt, size int64, maxSpan uint64) error {
	var prevEnd uint64
	prev := -1
	for i := range f.phdrs {
		p := &f.phdrs[i]
		switch elf.ProgType(p.Type) {
		case elf.PT_LOAD:
		case elf.PT_INTERP:
			if err := f.readInterp(r, size, i); err != nil {
				return err
			}
			continue
		case elf.PT_GNU_STACK:
			f.execStack = elf.ProgFlag(p.Flags)&elf.PF_X != 0
			continue
		default:
			continue
		}
		if p.Filesz > p.Memsz {
			return noexec("segment %d: p_filesz %#x is larger than p_memsz %#x", i, p.Filesz, p.Memsz)
		}
		if p.Off > uint64(size) || p.Filesz > uint64(size)-p.Off {
			return noexec("segment %d: file range [%#x, %#x) beyond the end of the file (%d bytes)",
				i, p.Off, p.Off+p.Filesz, size)
		}
		end := p.Vaddr + p.Memsz
		if end < p.Vaddr || end > maxUint64-pageSize {
			return noexec("segment %d: p_vaddr %#x + p_memsz %#x overflows", i, p.Vaddr, p.Memsz)
		}
		// Like Linux, an alignment that is not a power of two is
		// ignored; an absurd one is an error rather than a failed
		// reservation later.
		if p.Align > 1 && p.Align&(p.Align-1) == 0 {
			if p.Align > maxAlign {
				return noexec("segment %d: p_align %#x is larger than %#x", i, p.Align, maxAlign)
			}
			f.maxAlign = max(f.maxAlign, p.Align)
		}
		if p.Filesz > 0 && p.Vaddr%pageSize != p.Off%pageSize {
			return noexec("segment %d: p_vaddr %#x and p_offset %#x differ within a page", i, p.Vaddr, p.Off)
		}
		if p.Memsz == 0 {
			continue
		}
		if prev >= 0 && p.Vaddr < prevEnd {
			return noexec("segment %d: [%#x, %#x) overlaps or precedes segment %d (ending at %#x)",
				i, p.Vaddr, end, prev, prevEnd)
		}
		prev, prevEnd = i, end
		f.loads = append(f.loads, i)
	}
	if len(f.loads) == 0 {
		return noexec("no loadable segments")
	}
	if lo, hi := f.span(); hi-lo > maxSpan {
		return noexec("image spans %#x bytes, more than the address space (%#x)", hi-lo, maxSpan)
	}
	return nil
}

// readInterp reads and checks the PT_INTERP segment phdrs[i].
func (f *elfFile) readInterp(r io.ReaderAt, size int64, i int) error {
	p := &f.phdrs[i]
	if f.interp != "" {
		return noexec("more than one PT_INTERP")
	}
	if p.Filesz < 2 || p.Filesz > maxInterpLen {
		return noexec("PT_INTERP of %d bytes (want 2 to %d)", p.Filesz, maxInterpLen)
	}
	if p.Off > uint64(size) || p.Filesz > uint64(size)-p.Off {
		return noexec("PT_INTERP [%#x, %#x) beyond the end of the file", p.Off, p.Off+p.Filesz)
	}
	b := make([]byte, p.Filesz)
	if _, err := r.ReadAt(b, int64(p.Off)); err != nil {
		return readError("PT_INTERP", err)
	}
	if b[len(b)-1] != 0 || bytes.IndexByte(b[:len(b)-1], 0) >= 0 {
		return noexec("PT_INTERP is not a NUL-terminated path")
	}
	f.interp = string(b[:len(b)-1])
	return nil
}

// span returns the page-aligned range [lo, hi) the PT_LOAD segments cover,
// before the load bias.
func (f *elfFile) span() (lo, hi uint64) {
	first := &f.phdrs[f.loads[0]]
	last := &f.phdrs[f.loads[len(f.loads)-1]]
	return pageDown(first.Vaddr), pageUp(last.Vaddr + last.Memsz)
}

// phdrAddr returns the address of the program headers in the loaded image,
// before the load bias, for AT_PHDR: where the PT_LOAD segment that contains
// them in the file puts them, else PT_PHDR's address, else 0 (as Linux).
func (f *elfFile) phdrAddr() uint64 {
	for _, i := range f.loads {
		p := &f.phdrs[i]
		if p.Off <= f.phoff && f.phoff < p.Off+p.Filesz {
			return f.phoff - p.Off + p.Vaddr
		}
	}
	for i := range f.phdrs {
		if elf.ProgType(f.phdrs[i].Type) == elf.PT_PHDR {
			return f.phdrs[i].Vaddr
		}
	}
	return 0
}

// isDyn reports whether f is position-independent.
func (f *elfFile) isDyn() bool { return f.typ == elf.ET_DYN }

const maxUint64 = ^uint64(0)

func pageDown(a uint64) uint64 { return a &^ (pageSize - 1) }

// pageUp rounds a up to a page. Callers make sure it does not overflow.
func pageUp(a uint64) uint64 { return (a + pageSize - 1) &^ (pageSize - 1) }
