package vfs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
	"golang.org/x/sys/unix"
)

var user = &vfs.Credentials{UID: 1000, GID: 1000}

// newTree returns a VFS over a memfs root holding:
//
//	/a/b/file        "hello", 0644
//	/a/link -> b     /a/abs -> /a/b     /a/up -> ../a
//	/loop1 -> loop2  /loop2 -> loop1    /dangling -> nowhere
//	/priv (0700)/x   /mnt (a second memfs with /inner)
//	/chain0 -> chain1 -> ... -> chain40 -> /a (41 links)
func newTree(t *testing.T) *vfs.VFS {
	t.Helper()
	v, err := vfs.New(memfs.New(memfs.Options{Mode: 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	root := v.Root()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(v.Mkdir(vfs.Root, root, "/a", 0o755))
	must(v.Mkdir(vfs.Root, root, "/a/b", 0o755))
	writeFile(t, v, "/a/b/file", "hello", 0o644)
	must(v.Symlink(vfs.Root, "b", root, "/a/link"))
	must(v.Symlink(vfs.Root, "/a/b", root, "/a/abs"))
	must(v.Symlink(vfs.Root, "../a", root, "/a/up"))
	must(v.Symlink(vfs.Root, "loop2", root, "/loop1"))
	must(v.Symlink(vfs.Root, "loop1", root, "/loop2"))
	must(v.Symlink(vfs.Root, "nowhere", root, "/dangling"))
	must(v.Mkdir(vfs.Root, root, "/priv", 0o700))
	must(v.Mkdir(vfs.Root, root, "/priv/x", 0o755))
	must(v.Mkdir(vfs.Root, root, "/mnt", 0o755))
	inner := memfs.New(memfs.Options{Mode: 0o755})
	if _, err := v.MountAt(vfs.Root, "/mnt", inner, 0); err != nil {
		t.Fatal(err)
	}
	must(v.Mkdir(vfs.Root, root, "/mnt/inner", 0o755))
	for i := 0; i < 41; i++ {
		target := "/a"
		if i < 40 {
			target = "chain" + itoa(i+1)
		}
		must(v.Symlink(vfs.Root, target, root, "/chain"+itoa(i)))
	}
	return v
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func writeFile(t *testing.T, v *vfs.VFS, path, data string, mode uint32) {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, mode)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	defer fd.DecRef()
	if _, err := fd.Write(nil, []byte(data)); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func TestWalk(t *testing.T) {
	v := newTree(t)
	root := v.Root()
	a, err := v.Resolve(vfs.Root, root, "/a", 0)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		creds *vfs.Credentials
		at    vfs.Location
		path  string
		flags int
		want  string // PathOf the result
		err   error
	}{
		{name: "absolute", path: "/a/b/file", want: "/a/b/file"},
		{name: "relative to root", path: "a/b/file", want: "/a/b/file"},
		{name: "relative to dir", at: a, path: "b/file", want: "/a/b/file"},
		{name: "dot components", path: "/./a/./b/.", want: "/a/b"},
		{name: "dotdot", path: "/a/b/../b/file", want: "/a/b/file"},
		{name: "dotdot at root", path: "/../../a", want: "/a"},
		{name: "dotdot of root is root", path: "/..", want: "/"},
		{name: "relative symlink", path: "/a/link/file", want: "/a/b/file"},
		{name: "absolute symlink", path: "/a/abs/file", want: "/a/b/file"},
		{name: "symlink with dotdot", path: "/a/up/up/b/file", want: "/a/b/file"},
		{name: "final symlink followed", path: "/a/link", want: "/a/b"},
		{name: "final symlink nofollow", path: "/a/link", flags: unix.AT_SYMLINK_NOFOLLOW, want: "/a/link"},
		{name: "trailing slash follows", path: "/a/link/", flags: unix.AT_SYMLINK_NOFOLLOW, want: "/a/b"},
		{name: "trailing slashes on dir", path: "/a/b//", want: "/a/b"},
		{name: "repeated slashes", path: "//a///b//file", want: "/a/b/file"},
		{name: "trailing slash on file", path: "/a/b/file/", err: unix.ENOTDIR},
		{name: "file as directory", path: "/a/b/file/x", err: unix.ENOTDIR},
		{name: "missing", path: "/a/nope", err: unix.ENOENT},
		{name: "missing parent", path: "/nope/x", err: unix.ENOENT},
		{name: "empty path", path: "", err: unix.ENOENT},
		{name: "empty path with AT_EMPTY_PATH", at: a, path: "", flags: unix.AT_EMPTY_PATH, want: "/a"},
		{name: "dangling", path: "/dangling", err: unix.ENOENT},
		{name: "dangling nofollow", path: "/dangling", flags: unix.AT_SYMLINK_NOFOLLOW, want: "/dangling"},
		{name: "loop", path: "/loop1", err: unix.ELOOP},
		{name: "loop in middle", path: "/loop1/x", err: unix.ELOOP},
		{name: "loop nofollow", path: "/loop1", flags: unix.AT_SYMLINK_NOFOLLOW, want: "/loop1"},
		{name: "40 links", path: "/chain1/b", want: "/a/b"},
		{name: "41 links", path: "/chain0/b", err: unix.ELOOP},
		{name: "into mount", path: "/mnt/inner", want: "/mnt/inner"},
		{name: "mount root", path: "/mnt", want: "/mnt"},
		{name: "dotdot out of mount", path: "/mnt/inner/../../a", want: "/a"},
		{name: "dotdot of mount root", path: "/mnt/..", want: "/"},
		{name: "component too long", path: "/" + strings.Repeat("x", 256), err: unix.ENAMETOOLONG},
		{name: "path too long", path: "/" + strings.Repeat("a/", 2048), err: unix.ENAMETOOLONG},
		{name: "search denied", creds: user, path: "/priv/x", err: unix.EACCES},
		{name: "search denied dotdot", creds: user, path: "/priv/../a", err: unix.EACCES},
		{name: "root bypasses search", creds: vfs.Root, path: "/priv/x", want: "/priv/x"},
		{name: "user walks public", creds: user, path: "/a/link/file", want: "/a/b/file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			creds := c.creds
			if creds == nil {
				creds = vfs.Root
			}
			at := c.at
			if !at.Valid() {
				at = root
			}
			loc, err := v.Resolve(creds, at, c.path, c.flags)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("Resolve(%q) = %v, want %v", c.path, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", c.path, err)
			}
			got, err := v.PathOf(loc)
			if err != nil || got != c.want {
				t.Fatalf("Resolve(%q) is at %q (%v), want %q", c.path, got, err, c.want)
			}
		})
	}
}

func TestStatDevAndMount(t *testing.T) {
	v := newTree(t)
	st1, err := v.StatAt(vfs.Root, v.Root(), "/a", 0)
	if err != nil {
		t.Fatal(err)
	}
	st2, err := v.StatAt(vfs.Root, v.Root(), "/mnt/inner", 0)
	if err != nil {
		t.Fatal(err)
	}
	if st1.Dev == st2.Dev {
		t.Errorf("files of two mounts share st_dev %#x", st1.Dev)
	}
	if st1.Mode != unix.S_IFDIR|0o755 || st1.Blksize != 4096 {
		t.Errorf("stat /a: mode %#o blksize %d", st1.Mode, st1.Blksize)
	}
	lst, err := v.StatAt(vfs.Root, v.Root(), "/a/link", unix.AT_SYMLINK_NOFOLLOW)
	if err != nil || lst.Mode&unix.S_IFMT != unix.S_IFLNK || lst.Size != 1 {
		t.Errorf("lstat /a/link = %+v, %v", lst, err)
	}
}
