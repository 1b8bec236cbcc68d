package memfs

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// fakeCharger is a memory limit of left bytes.
type fakeCharger struct{ left, charged uint64 }

func (c *fakeCharger) Charge(n uint64) bool {
	if n > c.left {
		return false
	}
	c.left -= n
	c.charged += n
	return true
}

func (c *fakeCharger) Uncharge(n uint64) {
	c.left += n
	c.charged -= n
}

// TestMemoryCharge: data blocks are charged to the sandbox's memory; a
// write the limit cannot cover writes what fits and then fails with
// ENOSPC; truncation, hole punching and removal give the memory back;
// fallocate takes all it needs or nothing.
func TestMemoryCharge(t *testing.T) {
	fs := New(Options{Mode: 0o777})
	c := &fakeCharger{left: 3 * blockSize}
	fs.SetMemoryCharger(c)
	root, _ := fs.Root()
	ino, err := root.Create("f", unix.S_IFREG|0o644, 0, vfs.Owner{})
	if err != nil {
		t.Fatal(err)
	}
	impl, err := ino.Open(unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	f := impl.(*regFile)
	if n, err := f.Write(nil, make([]byte, 5*blockSize), 0); n != 3*blockSize || err != nil {
		t.Fatalf("write past the limit: %d, %v; want a short write of 3 blocks", n, err)
	}
	if n, err := f.Write(nil, []byte{1}, 3*blockSize); n != 0 || err != unix.ENOSPC {
		t.Fatalf("write with the limit used up: %d, %v; want ENOSPC", n, err)
	}
	if c.charged != 3*blockSize {
		t.Fatalf("charged %d", c.charged)
	}
	if err := f.Allocate(unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, blockSize); err != nil {
		t.Fatal(err)
	}
	if c.charged != 2*blockSize {
		t.Fatalf("charged %d after punching a block", c.charged)
	}
	if err := f.Allocate(0, 3*blockSize, 2*blockSize); err != unix.ENOSPC || c.charged != 2*blockSize {
		t.Fatalf("fallocate of 2 blocks with 1 left: %v, charged %d; want ENOSPC taking nothing", err, c.charged)
	}
	if err := ino.SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: 0}); err != nil {
		t.Fatal(err)
	}
	if c.charged != 0 || fs.Used() != 0 {
		t.Fatalf("after truncating to 0: charged %d, used %d", c.charged, fs.Used())
	}
	f.Release()
}
