package memfs

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Allocate implements vfs.Allocator: mode 0 and KEEP_SIZE allocate the
// blocks of the range (ENOSPC, allocating nothing, beyond the capacity);
// PUNCH_HOLE frees whole blocks and zeroes partial ones; ZERO_RANGE zeroes
// the range and leaves it allocated. Only mode 0 and ZERO_RANGE without
// KEEP_SIZE grow the file.
func (f *regFile) Allocate(mode uint32, off, length int64) error {
	in := f.in
	in.fs.mu.Lock()
	defer in.fs.mu.Unlock()
	end := off + length
	if end > maxFileSize {
		return unix.EFBIG
	}
	if mode&vfs.FallocPunchHole != 0 {
		in.zeroLocked(off, min(end, in.size), true)
	} else {
		if mode&vfs.FallocZeroRange != 0 {
			in.zeroLocked(off, min(end, in.size), false)
		}
		if err := in.allocateLocked(off, end); err != nil {
			return err
		}
		if mode&vfs.FallocKeepSize == 0 && end > in.size {
			in.size = end
		}
	}
	now := vfs.Now()
	in.mtime, in.ctime = now, now
	return nil
}

// allocateLocked allocates every block of [off, end), or none (ENOSPC).
//
// Preconditions: fs.mu is held.
func (in *inode) allocateLocked(off, end int64) error {
	first, last := off/blockSize, (end+blockSize-1)/blockSize
	var need uint64
	for bi := first; bi < last; bi++ {
		if int(bi) >= len(in.blocks) || in.blocks[bi] == nil {
			need += blockSize
		}
	}
	if !in.fs.chargeLocked(need) {
		return unix.ENOSPC
	}
	for int(last) > len(in.blocks) {
		in.blocks = append(in.blocks, nil)
	}
	for bi := first; bi < last; bi++ {
		if in.blocks[bi] == nil {
			in.blocks[bi] = new(block)
		}
	}
	return nil
}

// zeroLocked zeroes [off, end) of the file's data; with free, blocks
// wholly inside the range are freed (a hole) rather than zeroed.
//
// Preconditions: fs.mu is held.
func (in *inode) zeroLocked(off, end int64, free bool) {
	for pos := off; pos < end; {
		bi, bo := pos/blockSize, pos%blockSize
		n := min(end-pos, blockSize-bo)
		if int(bi) >= len(in.blocks) {
			return
		}
		if b := in.blocks[bi]; b != nil {
			if free && n == blockSize {
				in.blocks[bi] = nil
				in.fs.unchargeLocked(blockSize)
			} else {
				clear(b[bo : bo+n])
			}
		}
		pos += n
	}
}
