package hostfs

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// hostTree makes a host directory holding:
//
//	file        "content"
//	dir/inner   "inner"
//	rel -> dir  escape -> /etc   abs -> /etc/passwd
func hostTree(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(d, "file"), []byte("content"), 0o644))
	must(os.Mkdir(filepath.Join(d, "dir"), 0o755))
	must(os.WriteFile(filepath.Join(d, "dir/inner"), []byte("inner"), 0o600))
	must(os.Symlink("dir", filepath.Join(d, "rel")))
	must(os.Symlink("/etc", filepath.Join(d, "escape")))
	must(os.Symlink("/etc/passwd", filepath.Join(d, "abs")))
	return d
}

func mount(t *testing.T, src string, ro bool) (*vfs.VFS, *FS) {
	t.Helper()
	fs, err := New(&Config{Source: src, Readonly: &ro})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	v, err := vfs.New(fs)
	if err != nil {
		t.Fatal(err)
	}
	return v, fs
}

func read(t *testing.T, v *vfs.VFS, path string) (string, error) {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer fd.DecRef()
	buf := make([]byte, 100)
	n, err := fd.Read(nil, buf)
	return string(buf[:n]), err
}

func TestReadOnly(t *testing.T) {
	d := hostTree(t)
	v, _ := mount(t, d, true)
	root := v.Root()
	cases := []struct {
		path string
		want string
		err  error
	}{
		{"/file", "content", nil},
		{"/dir/inner", "inner", nil},
		{"/rel/inner", "inner", nil},
		{"/dir/../file", "content", nil},
		{"/../../file", "content", nil},
		// Symlinks resolve inside the sandbox: /etc of the hostfs root,
		// which does not exist here. The host's /etc is never reached.
		{"/escape/passwd", "", unix.ENOENT},
		{"/abs", "", unix.ENOENT},
		{"/missing", "", unix.ENOENT},
		{"/file/", "", unix.ENOTDIR},
	}
	for _, c := range cases {
		got, err := read(t, v, c.path)
		if err != c.err || got != c.want {
			t.Errorf("read %s = %q, %v; want %q, %v", c.path, got, err, c.want, c.err)
		}
	}
	st, err := v.StatAt(vfs.Root, root, "/escape", unix.AT_SYMLINK_NOFOLLOW)
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("lstat escape = %#o, %v", st.Mode, err)
	}
	if s, err := v.Readlink(vfs.Root, root, "/escape"); s != "/etc" || err != nil {
		t.Errorf("readlink = %q, %v", s, err)
	}
	for name, err := range map[string]error{
		"create": func() error {
			_, err := v.OpenAt(vfs.Root, root, "/new", unix.O_CREAT|unix.O_WRONLY, 0o644)
			return err
		}(),
		"open rw":  func() error { _, err := v.OpenAt(vfs.Root, root, "/file", unix.O_RDWR, 0); return err }(),
		"mkdir":    v.Mkdir(vfs.Root, root, "/newdir", 0o755),
		"unlink":   v.Unlink(vfs.Root, root, "/file"),
		"rename":   v.Rename(vfs.Root, root, "/file", root, "/file2", 0),
		"chmod":    v.Chmod(vfs.Root, root, "/file", 0o777, 0),
		"truncate": v.Truncate(vfs.Root, root, "/file", 0),
	} {
		if err != unix.EROFS {
			t.Errorf("%s on read-only hostfs: %v, want EROFS", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(d, "file")); string(b) != "content" {
		t.Errorf("host file changed: %q", b)
	}
	sf, err := v.StatfsAt(vfs.Root, root, "/", 0)
	if err != nil || sf.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("statfs = %+v, %v", sf, err)
	}
}

func TestNoHostSymlinkFollowing(t *testing.T) {
	d := hostTree(t)
	_, fs := mount(t, d, true)
	for _, p := range []string{"escape/passwd", "rel/inner", "abs"} {
		fd, err := fs.open(p, unix.O_RDONLY, 0)
		if err == nil {
			unix.Close(fd)
			t.Errorf("host open of %q followed a symlink", p)
		}
	}
	// The O_PATH open of a final symlink gets the link itself.
	fd, err := fs.open("escape", unix.O_PATH, 0)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	unix.Fstat(fd, &st)
	unix.Close(fd)
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("O_PATH open of a symlink got mode %#o", st.Mode)
	}
}

func TestGetdents(t *testing.T) {
	d := hostTree(t)
	v, _ := mount(t, d, true)
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	var names []string
	for {
		var one []string
		err := fd.IterDirents(func(d vfs.Dirent) bool {
			if len(one) == 1 {
				return false
			}
			one = append(one, d.Name)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(one) == 0 {
			break
		}
		names = append(names, one...)
	}
	sort.Strings(names)
	want := []string{".", "..", "abs", "dir", "escape", "file", "rel"}
	if len(names) != len(want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %v, want %v", names, want)
		}
	}
}

func TestWritable(t *testing.T) {
	d := hostTree(t)
	v, _ := mount(t, d, false)
	root := v.Root()
	fd, err := v.OpenAt(vfs.Root, root, "/dir/new", unix.O_CREAT|unix.O_RDWR, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	fd.Write(nil, []byte("written"))
	fd.DecRef()
	if b, err := os.ReadFile(filepath.Join(d, "dir/new")); string(b) != "written" || err != nil {
		t.Errorf("host sees %q, %v", b, err)
	}
	if fi, _ := os.Stat(filepath.Join(d, "dir/new")); fi.Mode().Perm() != 0o640 {
		t.Errorf("host mode %v", fi.Mode())
	}
	steps := []struct {
		name string
		err  error
	}{
		{"mkdir", v.Mkdir(vfs.Root, root, "/sub", 0o700)},
		{"rename", v.Rename(vfs.Root, root, "/dir/new", root, "/sub/moved", 0)},
		{"link", v.Link(vfs.Root, root, "/sub/moved", root, "/hard", 0)},
		{"symlink", v.Symlink(vfs.Root, "sub/moved", root, "/sl")},
		{"chmod", v.Chmod(vfs.Root, root, "/hard", 0o604, 0)},
		{"truncate", v.Truncate(vfs.Root, root, "/sl", 3)},
		{"unlink", v.Unlink(vfs.Root, root, "/file")},
		{"rmdir non-empty", func() error {
			if err := v.Rmdir(vfs.Root, root, "/sub"); err != unix.ENOTEMPTY {
				return err
			}
			return nil
		}()},
	}
	for _, s := range steps {
		if s.err != nil {
			t.Errorf("%s: %v", s.name, s.err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(d, "sub/moved")); string(b) != "wri" {
		t.Errorf("after truncate through symlink: %q", b)
	}
	if fi, _ := os.Stat(filepath.Join(d, "sub/moved")); fi.Mode().Perm() != 0o604 {
		t.Errorf("chmod through hard link: %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(d, "file")); !os.IsNotExist(err) {
		t.Errorf("unlinked file still on host: %v", err)
	}
	ts := [2]vfs.Timespec{{Sec: 1000}, {Sec: 2000}}
	if err := v.Utimens(vfs.Root, root, "/hard", &ts, 0); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(d, "hard")); fi.ModTime().Unix() != 2000 {
		t.Errorf("mtime %v", fi.ModTime())
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(&Config{Source: "relative"}); err == nil {
		t.Error("relative source accepted")
	}
	if _, err := New(&Config{}); err == nil {
		t.Error("empty source accepted")
	}
	if _, err := New(&Config{Source: "/nonexistent-ward-test"}); err == nil {
		t.Error("missing source accepted")
	}
}
