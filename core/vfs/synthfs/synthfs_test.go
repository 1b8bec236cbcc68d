package synthfs

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// testTree is a small tree: /a (a file counting its generations), /d/ (a
// directory with a file), /when (present while shown is set) and /sub/
// (a directory present while shown is set).
func testTree(t *testing.T) (*vfs.VFS, *atomic.Bool, *atomic.Int64) {
	t.Helper()
	var shown atomic.Bool
	var gens atomic.Int64
	b := &Builder{FileSize: 7}
	root := b.Dir(
		Named("a", b.File(func() string {
			return "generation " + strings.Repeat("x", int(gens.Add(1))) + "\n"
		})),
		Named("d", b.Dir(Named("f", b.File(func() string { return "f\n" })))),
		Named("when", b.File(func() string { return "here\n" })).If(shown.Load),
		Named("sub", b.Dir()).If(shown.Load),
	)
	v, err := vfs.New(New(root, Options{Magic: 0x1234, TypeName: "test"}))
	if err != nil {
		t.Fatal(err)
	}
	return v, &shown, &gens
}

func names(t *testing.T, v *vfs.VFS, path string) string {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fd.DecRef()
	var out []string
	fd.IterDirents(func(d vfs.Dirent) bool { out = append(out, d.Name); return true })
	return strings.Join(out, " ")
}

func TestTree(t *testing.T) {
	v, shown, _ := testTree(t)
	if got := names(t, v, "/"); got != ". .. a d" {
		t.Errorf("/ lists %q", got)
	}
	if got := names(t, v, "/d"); got != ". .. f" {
		t.Errorf("/d lists %q", got)
	}
	for _, p := range []string{"/when", "/sub", "/nope", "/d/nope"} {
		if _, err := v.StatAt(vfs.Root, v.Root(), p, 0); err != unix.ENOENT {
			t.Errorf("stat %s: %v, want ENOENT", p, err)
		}
	}
	if _, err := v.StatAt(vfs.Root, v.Root(), "/a/x", 0); err != unix.ENOTDIR {
		t.Errorf("stat /a/x: %v, want ENOTDIR", err)
	}
	st, err := v.StatAt(vfs.Root, v.Root(), "/", 0)
	if err != nil || st.Nlink != 3 || st.Mode != unix.S_IFDIR|0o755 {
		t.Errorf("stat / = %+v, %v; want nlink 3, mode dir 0755", st, err)
	}

	shown.Store(true)
	if got := names(t, v, "/"); got != ". .. a d when sub" {
		t.Errorf("/ lists %q with the conditional entries shown", got)
	}
	st, err = v.StatAt(vfs.Root, v.Root(), "/when", 0)
	if err != nil || st.Mode != unix.S_IFREG|0o444 || st.Size != 7 {
		t.Errorf("stat /when = %+v, %v", st, err)
	}
	if st, err := v.StatAt(vfs.Root, v.Root(), "/", 0); err != nil || st.Nlink != 4 {
		t.Errorf("stat / = %+v, %v; want nlink 4", st, err)
	}
	sfs, err := v.StatfsAt(vfs.Root, v.Root(), "/", 0)
	if err != nil || sfs.Type != 0x1234 || sfs.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("statfs = %+v, %v", sfs, err)
	}
}

// TestOpenFileKeepsItsCopy: a file read in pieces is one generation; a
// read at offset 0 generates it again.
func TestOpenFileKeepsItsCopy(t *testing.T) {
	v, _, gens := testTree(t)
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/a", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	var got []byte
	buf := make([]byte, 3)
	for {
		n, err := fd.Read(nil, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "generation x\n" || gens.Load() != 1 {
		t.Errorf("read %q in %d generations", got, gens.Load())
	}
	n, err := fd.ReadAt(nil, buf, 0)
	if err != nil || string(buf[:n]) != "gen" || gens.Load() != 2 {
		t.Errorf("pread at 0 = %q, %v after %d generations", buf[:n], err, gens.Load())
	}
	if n, err := fd.ReadAt(nil, buf, 1000); n != 0 || err != nil {
		t.Errorf("pread past the end = %d, %v", n, err)
	}
}

func TestReadOnly(t *testing.T) {
	v, _, _ := testTree(t)
	for _, flags := range []int{unix.O_WRONLY, unix.O_RDWR} {
		if _, err := v.OpenAt(vfs.Root, v.Root(), "/a", flags, 0); err != unix.EACCES {
			t.Errorf("open /a %#x: %v, want EACCES", flags, err)
		}
	}
	if _, err := v.OpenAt(vfs.Root, v.Root(), "/new", unix.O_RDONLY|unix.O_CREAT, 0o644); err == nil {
		t.Error("created /new")
	}
	if err := v.Mkdir(vfs.Root, v.Root(), "/d/x", 0o755); err == nil {
		t.Error("mkdir /d/x succeeded")
	}
	if err := v.Unlink(vfs.Root, v.Root(), "/a"); err == nil {
		t.Error("unlink /a succeeded")
	}
	root, _ := New(testRoot(), Options{}).Root()
	if err := root.SetStat(&vfs.SetStat{Mask: vfs.SetMode, Mode: 0o777}); err != unix.EPERM {
		t.Errorf("chmod /: %v, want EPERM", err)
	}
	if err := root.Unlink("a"); err != unix.EACCES {
		t.Errorf("unlink a: %v, want EACCES", err)
	}
	a, _ := root.Lookup("a")
	if _, err := a.Create("x", unix.S_IFREG, 0, vfs.Owner{}); err != unix.ENOTDIR {
		t.Errorf("create under a file: %v, want ENOTDIR", err)
	}
	f, err := a.Open(unix.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(nil, []byte("x"), 0); err != unix.EACCES {
		t.Errorf("write: %v, want EACCES", err)
	}
}

func testRoot() *Node {
	var b Builder
	return b.Dir(Named("a", b.File(func() string { return "" })))
}

func TestNewRejectsAFileRoot(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted a file as the root")
		}
	}()
	var b Builder
	New(b.File(func() string { return "" }), Options{})
}
