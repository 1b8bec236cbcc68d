package memfs

import (
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// blockSize is the size of a data block.
const blockSize = 4096

// block is one block of file data.
type block [blockSize]byte

// maxFileSize bounds file sizes (and so the blocks slice).
const maxFileSize = 1 << 40

// truncateLocked sets the size of a regular file, freeing blocks past it
// and zeroing the tail of the last one.
//
// Preconditions: fs.mu is held.
func (in *inode) truncateLocked(size int64) error {
	if size > maxFileSize {
		return unix.EFBIG
	}
	if size < in.size {
		nb := int((size + blockSize - 1) / blockSize)
		for i := nb; i < len(in.blocks); i++ {
			if in.blocks[i] != nil {
				in.blocks[i] = nil
				in.fs.unchargeLocked(blockSize)
			}
		}
		if nb < len(in.blocks) {
			in.blocks = in.blocks[:nb:nb]
		}
		if r := size % blockSize; r != 0 && nb > 0 && in.blocks[nb-1] != nil {
			clear(in.blocks[nb-1][r:])
		}
	}
	in.size = size
	return nil
}

// readLocked copies file data at off into dst.
//
// Preconditions: fs.mu is held.
func (in *inode) readLocked(dst []byte, off int64) int {
	if off >= in.size {
		return 0
	}
	if rem := in.size - off; int64(len(dst)) > rem {
		dst = dst[:rem]
	}
	n := 0
	for n < len(dst) {
		bi, bo := (off+int64(n))/blockSize, (off+int64(n))%blockSize
		chunk := min(len(dst)-n, int(blockSize-bo))
		if int(bi) < len(in.blocks) && in.blocks[bi] != nil {
			copy(dst[n:n+chunk], in.blocks[bi][bo:])
		} else {
			clear(dst[n : n+chunk])
		}
		n += chunk
	}
	return n
}

// writeLocked copies src into the file at off, allocating blocks within
// the filesystem's capacity. It returns ENOSPC only if nothing was written.
//
// Preconditions: fs.mu is held.
func (in *inode) writeLocked(src []byte, off int64) (int, error) {
	if off+int64(len(src)) > maxFileSize {
		if off >= maxFileSize {
			return 0, unix.EFBIG
		}
		src = src[:maxFileSize-off]
	}
	n := 0
	for n < len(src) {
		bi, bo := (off+int64(n))/blockSize, (off+int64(n))%blockSize
		chunk := min(len(src)-n, int(blockSize-bo))
		for int(bi) >= len(in.blocks) {
			in.blocks = append(in.blocks, nil)
		}
		if in.blocks[bi] == nil {
			if !in.fs.chargeLocked(blockSize) {
				break
			}
			in.blocks[bi] = new(block)
		}
		copy(in.blocks[bi][bo:], src[n:n+chunk])
		n += chunk
	}
	if end := off + int64(n); end > in.size {
		in.size = end
	}
	if n > 0 {
		now := vfs.Now()
		in.mtime, in.ctime = now, now
	}
	if n == 0 && len(src) > 0 {
		return 0, unix.ENOSPC
	}
	return n, nil
}

// regFile is an open regular file.
type regFile struct{ in *inode }

// Read implements vfs.FileImpl.
func (f *regFile) Read(_ vfs.Blocker, dst []byte, off int64) (int, error) {
	f.in.fs.mu.Lock()
	defer f.in.fs.mu.Unlock()
	return f.in.readLocked(dst, off), nil
}

// Write implements vfs.FileImpl.
func (f *regFile) Write(_ vfs.Blocker, src []byte, off int64) (int, error) {
	f.in.fs.mu.Lock()
	defer f.in.fs.mu.Unlock()
	if off < 0 {
		off = f.in.size
	}
	return f.in.writeLocked(src, off)
}

// Stat implements vfs.FileImpl.
func (f *regFile) Stat() (vfs.Stat, error) { return f.in.Stat() }

// Release implements vfs.FileImpl.
func (f *regFile) Release() {
	f.in.fs.mu.Lock()
	defer f.in.fs.mu.Unlock()
	f.in.release()
}
