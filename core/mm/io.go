package mm

import (
	"bytes"
	"encoding/binary"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// ioMode is what access does with the application's memory.
type ioMode int

const (
	ioRead  ioMode = iota // copy application memory into buf
	ioWrite               // copy buf into application memory
	ioZero                // clear application memory
)

// CopyIn copies application memory at addr into dst, as copy_from_user. It
// returns the number of bytes copied; if that is less than len(dst) the
// error is unix.EFAULT (or a platform error).
func (mm *MemoryManager) CopyIn(addr uintptr, dst []byte) (int, error) {
	return mm.access(addr, len(dst), ioRead, dst, false)
}

// CopyOut copies src into application memory at addr, as copy_to_user: the
// memory must be writable by the application. It returns the number of bytes
// copied; if that is less than len(src) the error is unix.EFAULT (or a
// platform error).
func (mm *MemoryManager) CopyOut(addr uintptr, src []byte) (int, error) {
	return mm.access(addr, len(src), ioWrite, src, false)
}

// ZeroOut clears n bytes of application memory at addr, as clear_user.
func (mm *MemoryManager) ZeroOut(addr uintptr, n int) (int, error) {
	return mm.access(addr, n, ioZero, nil, false)
}

// CopyOutForce is CopyOut ignoring the mapping's permissions, as Linux's
// FOLL_FORCE: for the ELF loader writing into a read-only or PROT_NONE
// segment, and later for ptrace(PTRACE_POKEDATA). A shared mapping must
// still be writable in principle (its max permissions); the memory must
// still be mapped.
func (mm *MemoryManager) CopyOutForce(addr uintptr, src []byte) (int, error) {
	return mm.access(addr, len(src), ioWrite, src, true)
}

// CopyInForce is CopyIn ignoring the mapping's permissions, for
// ptrace(PTRACE_PEEKDATA) and /proc/[pid]/mem.
func (mm *MemoryManager) CopyInForce(addr uintptr, dst []byte) (int, error) {
	return mm.access(addr, len(dst), ioRead, dst, true)
}

// CopyInString copies a NUL-terminated string of at most maxLen bytes
// (without the NUL) from addr. It reads no further than the NUL. If there is
// no NUL in the first maxLen bytes it returns those bytes and
// unix.ENAMETOOLONG; a fault before the NUL is unix.EFAULT.
func (mm *MemoryManager) CopyInString(addr uintptr, maxLen int) (string, error) {
	if maxLen < 0 {
		return "", unix.EINVAL
	}
	var buf []byte
	var chunk [PageSize]byte
	for len(buf) < maxLen {
		// Never read past the current page: the NUL may be its last byte.
		n := min(int(PageSize-(addr%PageSize)), maxLen-len(buf))
		if _, err := mm.CopyIn(addr, chunk[:n]); err != nil {
			return "", err
		}
		if i := bytes.IndexByte(chunk[:n], 0); i >= 0 {
			return string(append(buf, chunk[:i]...)), nil
		}
		buf = append(buf, chunk[:n]...)
		addr += uintptr(n)
	}
	return string(buf), unix.ENAMETOOLONG
}

// canAccess reports whether v permits the kernel's access.
func canAccess(v *vma, mode ioMode, force bool) bool {
	if mode == ioRead {
		return force || effectiveProt(v.prot)&platform.ProtRead != 0
	}
	if force {
		return v.private || v.maxProt&platform.ProtWrite != 0
	}
	return v.prot&platform.ProtWrite != 0
}

// access is the body of the copy functions.
func (mm *MemoryManager) access(addr uintptr, n int, mode ioMode, buf []byte, force bool) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	end := addr + uintptr(n)
	if end < addr || end > mm.maxAddr {
		return 0, unix.EFAULT
	}
	done := 0
	limit := n // lowered when population fails part way
	mm.mu.RLock()
	for done < limit {
		cur := addr + uintptr(done)
		v := mm.vmaAt(cur)
		if v == nil || !canAccess(v, mode, force) {
			break
		}
		segEnd := min(v.end, end)
		populate := false
		for cur < segEnd {
			if p := mm.pmaAt(cur); p != nil && (mode == ioRead || !p.cow) {
				stop := min(p.end, segEnd)
				b := mm.mf.Slice(p.fileRange(cur, stop))
				switch mode {
				case ioRead:
					copy(buf[done:], b)
				case ioWrite:
					copy(b, buf[done:])
				case ioZero:
					clear(b)
				}
				done += int(stop - cur)
				cur = stop
				continue
			}
			if v.mappable == nil && mode != ioWrite && mm.pmaAt(cur) == nil {
				// Never-touched private anonymous memory is zero;
				// reading or clearing it needs no pages.
				stop := mm.nextPMAStart(cur, segEnd)
				if mode == ioRead {
					clear(buf[done : done+int(stop-cur)])
				}
				done += int(stop - cur)
				cur = stop
				continue
			}
			populate = true
			break
		}
		if !populate {
			continue
		}
		mm.mu.RUnlock()
		filled, err := mm.populateForAccess(cur, end, mode, force)
		mm.mu.RLock()
		if err != nil {
			if !isErrno(err) {
				mm.mu.RUnlock()
				return done, err
			}
			if filled <= cur {
				break
			}
			// Copy what could be populated, then fail.
			end = min(end, filled)
			limit = done + int(end-cur)
		}
	}
	mm.mu.RUnlock()
	if done < n {
		return done, unix.EFAULT
	}
	return done, nil
}

// populateForAccess populates the pages of [addr, end) inside the VMA
// containing addr, for a kernel access that found addr unpopulated (or, for
// a write, shared copy-on-write), and returns how far from addr's page it
// got. For a write it also breaks the copy-on-write sharing of the pages
// it populated.
func (mm *MemoryManager) populateForAccess(addr, end uintptr, mode ioMode, force bool) (_ uintptr, err error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	defer mm.endBatch(mm.beginBatch(), &err)
	v := mm.vmaAt(addr)
	if v == nil || !canAccess(v, mode, force) {
		return addr, unix.EFAULT
	}
	pe, _ := pageRoundUp(min(end, v.end))
	ps := pageRoundDown(addr)
	filled, err := mm.populate(v, ps, pe)
	if mode != ioRead && filled > ps {
		if cerr := mm.breakCOW(ps, filled); cerr != nil {
			// The copy stops at the first page still cow.
			for cur := ps; cur < filled; cur += PageSize {
				if p := mm.pmaAt(cur); p != nil && p.cow {
					return cur, cerr
				}
			}
			return filled, cerr
		}
	}
	return filled, err
}

// IOVec is one struct iovec.
type IOVec struct {
	Base uintptr
	Len  uintptr
}

const (
	// uioMaxIOV is UIO_MAXIOV, the most iovecs a readv/writev may pass.
	uioMaxIOV = 1024

	// maxRWCount is MAX_RW_COUNT, the most bytes one read or write moves.
	maxRWCount = 0x7ffff000
)

// CopyInIOVecs reads an array of count struct iovec at addr, as Linux's
// import_iovec: more than UIO_MAXIOV entries or a negative length is EINVAL,
// an entry outside the user address range is EFAULT, and the total length is
// clamped to MAX_RW_COUNT by shortening the entries.
func (mm *MemoryManager) CopyInIOVecs(addr uintptr, count int) ([]IOVec, error) {
	if count < 0 || count > uioMaxIOV {
		return nil, unix.EINVAL
	}
	if count == 0 {
		return nil, nil
	}
	raw := make([]byte, 16*count)
	if _, err := mm.CopyIn(addr, raw); err != nil {
		return nil, err
	}
	iovs := make([]IOVec, count)
	var total uintptr
	for i := range iovs {
		base := uintptr(binary.LittleEndian.Uint64(raw[16*i:]))
		l := binary.LittleEndian.Uint64(raw[16*i+8:])
		if int64(l) < 0 {
			return nil, unix.EINVAL
		}
		n := min(uintptr(l), maxRWCount-total)
		if n > 0 && (base+n < base || base+n > mm.maxAddr) {
			return nil, unix.EFAULT
		}
		total += n
		iovs[i] = IOVec{Base: base, Len: n}
	}
	return iovs, nil
}

// CopyOutVec copies src into the buffers iovs describe, in order, as
// readv(2) fills them. It returns the number of bytes copied; a fault stops
// the copy with unix.EFAULT.
func (mm *MemoryManager) CopyOutVec(iovs []IOVec, src []byte) (int, error) {
	done := 0
	for _, iov := range iovs {
		if done == len(src) {
			break
		}
		n := int(min(iov.Len, uintptr(len(src)-done)))
		k, err := mm.CopyOut(iov.Base, src[done:done+n])
		done += k
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// CopyInVec copies from the buffers iovs describe into dst, in order, as
// writev(2) gathers them. It returns the number of bytes copied; a fault
// stops the copy with unix.EFAULT.
func (mm *MemoryManager) CopyInVec(iovs []IOVec, dst []byte) (int, error) {
	done := 0
	for _, iov := range iovs {
		if done == len(dst) {
			break
		}
		n := int(min(iov.Len, uintptr(len(dst)-done)))
		k, err := mm.CopyIn(iov.Base, dst[done:done+n])
		done += k
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
