package tmpfs

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func TestENOSPC(t *testing.T) {
	size := config.Size("16KiB")
	fs, err := New(&Config{Size: &size})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := vfs.New(fs)
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/f", unix.O_CREAT|unix.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n, err := fd.Write(nil, make([]byte, 20<<10))
	if n != 16<<10 || err != nil {
		t.Fatalf("write past capacity = %d, %v; want a short write of 16KiB", n, err)
	}
	if _, err := fd.Write(nil, []byte("x")); err != unix.ENOSPC {
		t.Fatalf("write on a full tmpfs: %v, want ENOSPC", err)
	}
	sf, _ := v.StatfsAt(vfs.Root, v.Root(), "/", 0)
	if sf.Bfree != 0 || sf.Blocks != 4 {
		t.Errorf("statfs of a full tmpfs: %+v", sf)
	}
	// Sparse files cost nothing; freeing space makes room.
	if err := fd.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	if err := fd.Truncate(4096); err != nil {
		t.Fatal(err)
	}
	if n, err := fd.WriteAt(nil, []byte("ok"), 8192); n != 2 || err != nil {
		t.Errorf("write after truncate = %d, %v", n, err)
	}
	fd.DecRef()
	if err := v.Unlink(vfs.Root, v.Root(), "/f"); err != nil {
		t.Fatal(err)
	}
	if sf, _ := v.StatfsAt(vfs.Root, v.Root(), "/", 0); sf.Bfree != 4 {
		t.Errorf("space not returned after unlink: %+v", sf)
	}
}

func TestConfig(t *testing.T) {
	f, ok := registry.Lookup(registry.KindFS, "tmpfs")
	if !ok {
		t.Fatal("tmpfs not registered")
	}
	mode := "755"
	got, err := f.New(&Config{Mode: &mode})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := vfs.New(got.(vfs.Filesystem))
	if st, _ := v.StatAt(vfs.Root, v.Root(), "/", 0); st.Mode != unix.S_IFDIR|0o755 {
		t.Errorf("root mode %#o", st.Mode)
	}
	bad := "999"
	if _, err := New(&Config{Mode: &bad}); err == nil {
		t.Error("mode 999 accepted")
	}
	fs, _ := New(nil)
	v, _ = vfs.New(fs)
	if st, _ := v.StatAt(vfs.Root, v.Root(), "/", 0); st.Mode != unix.S_IFDIR|0o1777 {
		t.Errorf("default root mode %#o", st.Mode)
	}
}
