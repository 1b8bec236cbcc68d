package loader

import (
	"debug/elf"
	"errors"
	"io"

	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// copyChunk is how much of a segment is read from the file at a time.
const copyChunk = 256 << 10

// loadedImage is where an ELF file was mapped.
type loadedImage struct {
	// bias is added to every address in the file.
	bias uint64

	// start and end bound the segments in memory (page-aligned start;
	// end is the highest p_vaddr+p_memsz plus bias, not rounded).
	start, end uint64
}

// loadImage maps the PT_LOAD segments of f into m and fills them from r. An
// ET_EXEC file goes at its own addresses; an ET_DYN file at lay.dynBase
// (aligned to its largest p_align) if that is non-zero and the range is
// free, else wherever top-down placement finds room.
//
// If r is a MappableFile, each segment's file pages are a private mapping of
// the file through the page cache, as Linux's elf_map does: they are read
// once for every process and copied on first touch, and /proc/[pid]/maps
// names the file. When the segment has a .bss, the rest of its last file
// page is cleared, and the rest of the .bss is anonymous memory.
// Otherwise the segments are private anonymous memory filled by copying
// from r. Either way, pages shared by two segments get the later segment's
// permissions, as the later mmap in Linux replaces the earlier.
func loadImage(m MemoryManager, r io.ReaderAt, f *elfFile, lay layout) (loadedImage, error) {
	lo, hi := f.span()
	length := hi - lo
	base, err := reserve(m, f, lay, lo, length)
	if err != nil {
		return loadedImage{}, err
	}
	img := loadedImage{bias: base - lo, start: base}

	var (
		fileMap mm.Mappable
		fileID  mm.MappingIdentity
	)
	if mf, ok := r.(MappableFile); ok {
		cf, name := mf.CachedFile()
		if fileMap, fileID, err = m.PageCache().Get(cf, name, false); err != nil {
			return img, readError("the file's pages", err)
		}
		defer fileMap.DecRef()
		defer fileID.DecRef()
	}

	// Map every segment over the reservation, then give back the holes
	// between them.
	mapped := base
	for _, i := range f.loads {
		p := &f.phdrs[i]
		start := pageDown(p.Vaddr) + img.bias
		end := pageUp(p.Vaddr+p.Memsz) + img.bias
		if start > mapped {
			if err := m.MUnmap(uintptr(mapped), uintptr(start-mapped)); err != nil {
				return img, errnoError(unix.ENOMEM, "unmapping the gap before segment %d: %v", i, err)
			}
		}
		anonStart := start
		if fileMap != nil && p.Filesz > 0 {
			anonStart = pageUp(p.Vaddr+p.Filesz) + img.bias
			_, err := m.MMap(mm.MMapOpts{
				Addr:     uintptr(start),
				Length:   uintptr(anonStart - start),
				Prot:     segmentProt(p.Flags),
				Flags:    unix.MAP_PRIVATE | unix.MAP_FIXED,
				Mappable: fileMap,
				Offset:   pageDown(p.Off),
				Identity: fileID,
			})
			if err != nil {
				return img, mapError(err, "mapping segment %d at [%#x, %#x)", i, start, anonStart)
			}
			// Linux's padzero: the .bss starts mid-page, and the
			// rest of that page is cleared (the dynamic loader's
			// first allocations rely on it).
			if bss := p.Vaddr + p.Filesz + img.bias; p.Memsz > p.Filesz && bss < anonStart {
				zeros := make([]byte, anonStart-bss)
				if _, err := m.CopyOutForce(uintptr(bss), zeros); err != nil {
					return img, mapError(err, "clearing the .bss of segment %d at %#x", i, bss)
				}
			}
		}
		if anonStart < end {
			_, err := m.MMap(mm.MMapOpts{
				Addr:   uintptr(anonStart),
				Length: uintptr(end - anonStart),
				Prot:   segmentProt(p.Flags),
				Flags:  unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED,
			})
			if err != nil {
				return img, mapError(err, "mapping segment %d at [%#x, %#x)", i, anonStart, end)
			}
		}
		mapped = end
		img.end = max(img.end, p.Vaddr+p.Memsz+img.bias)
	}
	if fileMap != nil {
		return img, nil
	}

	// Fill the segments. Anonymous memory is zero, so only p_filesz
	// bytes need copying; .bss and partial pages are already clear.
	buf := make([]byte, min(copyChunk, maxFilesz(f)))
	for _, i := range f.loads {
		p := &f.phdrs[i]
		for done := uint64(0); done < p.Filesz; {
			n := min(uint64(len(buf)), p.Filesz-done)
			if k, err := r.ReadAt(buf[:n], int64(p.Off+done)); uint64(k) < n {
				if err == nil || errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return img, readError("segment contents", err)
			}
			addr := p.Vaddr + img.bias + done
			if _, err := m.CopyOutForce(uintptr(addr), buf[:n]); err != nil {
				return img, mapError(err, "filling segment %d at %#x", i, addr)
			}
			done += n
		}
	}
	return img, nil
}

// reserve claims length bytes of address space for the image with a
// PROT_NONE mapping and returns its start. lo is the lowest page of the
// image in the file.
func reserve(m MemoryManager, f *elfFile, lay layout, lo, length uint64) (uint64, error) {
	opts := mm.MMapOpts{
		Length: uintptr(length),
		Flags:  unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE,
	}
	if !f.isDyn() {
		opts.Addr = uintptr(lo) // Load checked the range
		if _, err := m.MMap(opts); err != nil {
			return 0, mapError(err, "reserving [%#x, %#x) for the image", lo, lo+length)
		}
		return lo, nil
	}

	// ET_DYN: at the aligned dynamic base if free (the common case in a
	// fresh address space), else anywhere with room for the alignment.
	align := f.maxAlign
	if base := alignUp(lay.dynBase, align); lay.dynBase != 0 && base+length <= lay.mmapBase {
		opts.Addr = uintptr(base)
		if _, err := m.MMap(opts); err == nil {
			return base, nil
		}
	}
	opts.Addr = 0
	opts.Flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	opts.Length = uintptr(length + align - pageSize)
	got, err := m.MMap(opts)
	if err != nil {
		return 0, mapError(err, "reserving %#x bytes for the image", opts.Length)
	}
	start, base := uint64(got), alignUp(uint64(got), align)
	end := start + uint64(opts.Length)
	if base > start {
		if err := m.MUnmap(got, uintptr(base-start)); err != nil {
			return 0, mapError(err, "trimming the image reservation")
		}
	}
	if end > base+length {
		if err := m.MUnmap(uintptr(base+length), uintptr(end-base-length)); err != nil {
			return 0, mapError(err, "trimming the image reservation")
		}
	}
	return base, nil
}

// segmentProt converts p_flags to mapping permissions.
func segmentProt(flags uint32) platform.Prot {
	var p platform.Prot
	if elf.ProgFlag(flags)&elf.PF_R != 0 {
		p |= platform.ProtRead
	}
	if elf.ProgFlag(flags)&elf.PF_W != 0 {
		p |= platform.ProtWrite
	}
	if elf.ProgFlag(flags)&elf.PF_X != 0 {
		p |= platform.ProtExec
	}
	return p
}

func maxFilesz(f *elfFile) uint64 {
	var n uint64 = 1
	for _, i := range f.loads {
		n = max(n, f.phdrs[i].Filesz)
	}
	return n
}

func alignUp(a, align uint64) uint64 { return (a + align - 1) &^ (align - 1) }

// mapError wraps an error from the MemoryManager: an errno is kept (EEXIST
// for a collision becomes ENOMEM, as there is no room for the image); a
// platform error is returned as is, with context.
func mapError(err error, format string, args ...any) error {
	var e unix.Errno
	if errors.As(err, &e) {
		// EEXIST: a segment overlaps another. EFAULT: writing into
		// memory the loader has just mapped failed, which only running
		// out of memory does. Both are ENOMEM to execve's caller.
		if e == unix.EEXIST || e == unix.EFAULT {
			e = unix.ENOMEM
		}
		return errnoError(e, format+" (%v)", append(args, err)...)
	}
	return errors.Join(errnoError(unix.EIO, format, args...), err)
}
