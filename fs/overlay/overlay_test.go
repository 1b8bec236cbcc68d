package overlay

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	// The lower layer is built through the registry; the test binary
	// must contain hostfs, as the standard ward binary does.
	_ "github.com/seed-a9fb2a21/ward/fs/hostfs"
	"golang.org/x/sys/unix"
)

// hostTree makes a lower directory holding:
//
//	file "lower"   dir/a "a"   dir/b "b"   dir/sub/c "c"   link -> file
func hostTree(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for name, data := range map[string]string{"file": "lower", "dir/a": "a", "dir/b": "b", "dir/sub/c": "c"} {
		p := filepath.Join(d, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("file", filepath.Join(d, "link")); err != nil {
		t.Fatal(err)
	}
	return d
}

// snapshot describes a host tree: every path with its mode and content.
func snapshot(t *testing.T, d string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(p)
		b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().String())
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.WriteString(" " + string(data))
		}
		b.WriteString("\n")
		return nil
	})
	return b.String()
}

func newOverlay(t *testing.T, d string, size string) *vfs.VFS {
	t.Helper()
	cfg := &Config{Lower: d}
	if size != "" {
		s := config.Size(size)
		cfg.Size = &s
	}
	ofs, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vfs.New(ofs)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func read(t *testing.T, v *vfs.VFS, path string) (string, error) {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer fd.DecRef()
	buf := make([]byte, 1000)
	n, err := fd.Read(nil, buf)
	return string(buf[:n]), err
}

func write(t *testing.T, v *vfs.VFS, path string, flags int, data string) {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_WRONLY|flags, 0o644)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fd.DecRef()
	if _, err := fd.Write(nil, []byte(data)); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func list(t *testing.T, v *vfs.VFS, path string) []string {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fd.DecRef()
	var names []string
	fd.IterDirents(func(d vfs.Dirent) bool {
		if d.Name != "." && d.Name != ".." {
			names = append(names, d.Name)
		}
		return true
	})
	sort.Strings(names)
	return names
}

func TestCopyUpAndWhiteout(t *testing.T) {
	d := hostTree(t)
	before := snapshot(t, d)
	v := newOverlay(t, d, "")
	root := v.Root()
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	st0, _ := v.StatAt(vfs.Root, root, "/file", 0)
	// Copy-up on write, keeping the inode number.
	write(t, v, "/file", unix.O_APPEND, "+upper")
	if got, _ := read(t, v, "/file"); got != "lower+upper" {
		t.Errorf("after append: %q", got)
	}
	if got, _ := read(t, v, "/link"); got != "lower+upper" {
		t.Errorf("through symlink: %q", got)
	}
	st1, _ := v.StatAt(vfs.Root, root, "/file", 0)
	if st1.Ino != st0.Ino {
		t.Errorf("inode number changed on copy-up: %d → %d", st0.Ino, st1.Ino)
	}
	// A hard link of a copied-up file is the same file: same inode
	// number under both names (git clone of a local repository checks).
	check("link", v.Link(vfs.Root, root, "/file", root, "/file2", 0))
	st2, _ := v.StatAt(vfs.Root, root, "/file2", 0)
	if st2.Ino != st0.Ino || st2.Nlink != 2 {
		t.Errorf("hard link of a copied-up file: inode %d (want %d), nlink %d", st2.Ino, st0.Ino, st2.Nlink)
	}
	check("unlink link", v.Unlink(vfs.Root, root, "/file2"))
	// Copy-up of a nested file copies its parents.
	check("chmod", v.Chmod(vfs.Root, root, "/dir/sub/c", 0o600, 0))
	if st, _ := v.StatAt(vfs.Root, root, "/dir/sub/c", 0); st.Mode != unix.S_IFREG|0o600 {
		t.Errorf("mode after chmod: %#o", st.Mode)
	}
	if got, _ := read(t, v, "/dir/sub/c"); got != "c" {
		t.Errorf("data after chmod copy-up: %q", got)
	}
	// Merged directories list both layers.
	write(t, v, "/dir/new", unix.O_CREAT, "new")
	if got := list(t, v, "/dir"); strings.Join(got, " ") != "a b new sub" {
		t.Errorf("merged /dir: %v", got)
	}
	// Whiteouts.
	check("unlink lower", v.Unlink(vfs.Root, root, "/dir/a"))
	if _, err := read(t, v, "/dir/a"); err != unix.ENOENT {
		t.Errorf("read of removed lower file: %v", err)
	}
	if got := list(t, v, "/dir"); strings.Join(got, " ") != "b new sub" {
		t.Errorf("/dir after unlink: %v", got)
	}
	write(t, v, "/dir/a", unix.O_CREAT|unix.O_EXCL, "again")
	if got, _ := read(t, v, "/dir/a"); got != "again" {
		t.Errorf("recreated file: %q", got)
	}
	// rmdir of a non-empty merged directory, then of an emptied one.
	if err := v.Rmdir(vfs.Root, root, "/dir/sub"); err != unix.ENOTEMPTY {
		t.Errorf("rmdir non-empty lower dir: %v", err)
	}
	check("unlink c", v.Unlink(vfs.Root, root, "/dir/sub/c"))
	check("rmdir sub", v.Rmdir(vfs.Root, root, "/dir/sub"))
	if _, err := v.StatAt(vfs.Root, root, "/dir/sub", 0); err != unix.ENOENT {
		t.Errorf("stat of removed dir: %v", err)
	}
	// A directory made where a lower one was removed is opaque.
	check("mkdir over whiteout", v.Mkdir(vfs.Root, root, "/dir/sub", 0o755))
	if got := list(t, v, "/dir/sub"); len(got) != 0 {
		t.Errorf("new dir over whiteout lists %v", got)
	}
	if _, err := v.StatAt(vfs.Root, root, "/dir/sub/c", 0); err != unix.ENOENT {
		t.Errorf("lower file visible through opaque dir: %v", err)
	}
	// Rename of a lower file.
	check("rename", v.Rename(vfs.Root, root, "/dir/b", root, "/moved", 0))
	if got, _ := read(t, v, "/moved"); got != "b" {
		t.Errorf("renamed file: %q", got)
	}
	if _, err := v.StatAt(vfs.Root, root, "/dir/b", 0); err != unix.ENOENT {
		t.Errorf("old name after rename: %v", err)
	}
	if err := v.Rename(vfs.Root, root, "/dir", root, "/dir2", 0); err != unix.EXDEV {
		t.Errorf("rename of a lower dir: %v, want EXDEV", err)
	}
	check("rename over lower file", v.Rename(vfs.Root, root, "/moved", root, "/file", 0))
	if got, _ := read(t, v, "/file"); got != "b" {
		t.Errorf("after rename over /file: %q", got)
	}
	check("truncate", v.Truncate(vfs.Root, root, "/link", 0))
	check("symlink", v.Symlink(vfs.Root, "dir", root, "/dl"))
	check("link", v.Link(vfs.Root, root, "/dir/new", root, "/hard", 0))
	if got := list(t, v, "/"); strings.Join(got, " ") != "dir dl file hard link" {
		t.Errorf("root: %v", got)
	}

	if after := snapshot(t, d); after != before {
		t.Errorf("host tree modified:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestUpperSize(t *testing.T) {
	d := hostTree(t)
	v := newOverlay(t, d, "8KiB")
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/big", unix.O_CREAT|unix.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	if n, _ := fd.Write(nil, make([]byte, 12<<10)); n != 8<<10 {
		t.Errorf("write to a full upper layer wrote %d", n)
	}
	if _, err := fd.Write(nil, []byte{1}); err != unix.ENOSPC {
		t.Errorf("write past the size: %v", err)
	}
}

func TestDefaultLowerIsRoot(t *testing.T) {
	v := newOverlay(t, "", "")
	if _, err := v.StatAt(vfs.Root, v.Root(), "/etc", 0); err != nil {
		t.Errorf("stat /etc through the default overlay: %v", err)
	}
	if err := v.Mkdir(vfs.Root, v.Root(), "/ward-overlay-test-dir", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/ward-overlay-test-dir"); !os.IsNotExist(err) {
		t.Errorf("mkdir reached the host: %v", err)
	}
}
