package vfs_test

import (
	"errors"
	"sort"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
	"golang.org/x/sys/unix"
)

func readAll(t *testing.T, v *vfs.VFS, path string) string {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fd.DecRef()
	var out []byte
	buf := make([]byte, 3)
	for {
		n, err := fd.Read(nil, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil && err != nil) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func TestOpenFlags(t *testing.T) {
	v := newTree(t)
	root := v.Root()
	open := func(c *vfs.Credentials, path string, flags int, mode uint32) error {
		fd, err := v.OpenAt(c, root, path, flags, mode)
		if err == nil {
			fd.DecRef()
		}
		return err
	}
	cases := []struct {
		name  string
		creds *vfs.Credentials
		path  string
		flags int
		err   error
	}{
		{"read file", nil, "/a/b/file", unix.O_RDONLY, nil},
		{"O_EXCL existing", nil, "/a/b/file", unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY, unix.EEXIST},
		{"O_EXCL symlink", nil, "/dangling", unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY, unix.EEXIST},
		{"O_DIRECTORY on file", nil, "/a/b/file", unix.O_RDONLY | unix.O_DIRECTORY, unix.ENOTDIR},
		{"O_DIRECTORY on dir", nil, "/a/b", unix.O_RDONLY | unix.O_DIRECTORY, nil},
		{"O_NOFOLLOW symlink", nil, "/a/link", unix.O_RDONLY | unix.O_NOFOLLOW, unix.ELOOP},
		{"O_NOFOLLOW mid-path ok", nil, "/a/link/file", unix.O_RDONLY | unix.O_NOFOLLOW, nil},
		{"write dir", nil, "/a", unix.O_WRONLY, unix.EISDIR},
		{"O_CREAT dir", nil, "/a/", unix.O_CREAT | unix.O_WRONLY, unix.EISDIR},
		{"O_CREAT in missing dir", nil, "/nope/f", unix.O_CREAT | unix.O_WRONLY, unix.ENOENT},
		{"user reads 0644", user, "/a/b/file", unix.O_RDONLY, nil},
		{"user writes 0644", user, "/a/b/file", unix.O_WRONLY, unix.EACCES},
		{"user truncates 0644", user, "/a/b/file", unix.O_RDONLY | unix.O_TRUNC, unix.EACCES},
		{"user creates in 0755 root dir", user, "/a/new", unix.O_CREAT | unix.O_WRONLY, unix.EACCES},
		{"O_PATH on symlink nofollow", nil, "/a/link", unix.O_PATH | unix.O_NOFOLLOW, nil},
		{"O_CREAT through dangling symlink", nil, "/dangling", unix.O_CREAT | unix.O_WRONLY, nil},
	}
	for _, c := range cases {
		creds := c.creds
		if creds == nil {
			creds = vfs.Root
		}
		wantErr(t, c.name, open(creds, c.path, c.flags, 0o644), c.err)
	}
	if _, err := v.StatAt(vfs.Root, root, "/nowhere", 0); err != nil {
		t.Errorf("O_CREAT through a dangling symlink did not create its target: %v", err)
	}
}

func TestReadWriteAppendTruncate(t *testing.T) {
	v := newTree(t)
	root := v.Root()
	fd, err := v.OpenAt(vfs.Root, root, "/f", unix.O_RDWR|unix.O_CREAT, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	fd.Write(nil, []byte("hello world"))
	if off, _ := fd.Seek(0, unix.SEEK_CUR); off != 11 {
		t.Errorf("offset after write = %d", off)
	}
	buf := make([]byte, 5)
	if n, _ := fd.ReadAt(nil, buf, 6); string(buf[:n]) != "world" {
		t.Errorf("pread = %q", buf[:n])
	}
	if off, _ := fd.Seek(-5, unix.SEEK_END); off != 6 {
		t.Errorf("SEEK_END -5 = %d", off)
	}
	if _, err := fd.Seek(-1, unix.SEEK_SET); err != unix.EINVAL {
		t.Errorf("negative seek: %v", err)
	}
	app, err := v.OpenAt(vfs.Root, root, "/f", unix.O_WRONLY|unix.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	app.Write(nil, []byte("!"))
	app.WriteAt(nil, []byte("?"), 0) // O_APPEND wins over the offset
	app.DecRef()
	if got := readAll(t, v, "/f"); got != "hello world!?" {
		t.Errorf("after append: %q", got)
	}
	if err := fd.Truncate(5); err != nil {
		t.Fatal(err)
	}
	if err := v.Truncate(vfs.Root, root, "/f", 8); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, v, "/f"); got != "hello\x00\x00\x00" {
		t.Errorf("after truncate: %q", got)
	}
	tr, err := v.OpenAt(vfs.Root, root, "/f", unix.O_WRONLY|unix.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr.DecRef()
	if st, _ := v.StatAt(vfs.Root, root, "/f", 0); st.Size != 0 {
		t.Errorf("O_TRUNC left size %d", st.Size)
	}
	ro, _ := v.OpenAt(vfs.Root, root, "/f", unix.O_RDONLY, 0)
	if _, err := ro.Write(nil, []byte("x")); err != unix.EBADF {
		t.Errorf("write on O_RDONLY: %v", err)
	}
	ro.DecRef()
}

func TestNamespaceOps(t *testing.T) {
	v := newTree(t)
	root := v.Root()
	c := vfs.Root
	wantErr(t, "mkdir existing", v.Mkdir(c, root, "/a", 0o755), unix.EEXIST)
	wantErr(t, "mkdir root", v.Mkdir(c, root, "/", 0o755), unix.EEXIST)
	wantErr(t, "rmdir non-empty", v.Rmdir(c, root, "/a"), unix.ENOTEMPTY)
	wantErr(t, "rmdir file", v.Rmdir(c, root, "/a/b/file"), unix.ENOTDIR)
	wantErr(t, "rmdir dot", v.Rmdir(c, root, "/a/."), unix.EINVAL)
	wantErr(t, "rmdir mount point", v.Rmdir(c, root, "/mnt"), unix.EBUSY)
	wantErr(t, "unlink dir", v.Unlink(c, root, "/a/b"), unix.EISDIR)
	wantErr(t, "unlink trailing slash", v.Unlink(c, root, "/a/b/file/"), unix.ENOTDIR)
	wantErr(t, "link dir", v.Link(c, root, "/a", root, "/a2", 0), unix.EPERM)
	wantErr(t, "link across mounts", v.Link(c, root, "/a/b/file", root, "/mnt/f", 0), unix.EXDEV)
	wantErr(t, "link", v.Link(c, root, "/a/b/file", root, "/hard", 0), nil)
	if st, _ := v.StatAt(c, root, "/hard", 0); st.Nlink != 2 {
		t.Errorf("nlink after link = %d", st.Nlink)
	}
	wantErr(t, "rename into itself", v.Rename(c, root, "/a", root, "/a/b/x", 0), unix.EINVAL)
	wantErr(t, "rename across mounts", v.Rename(c, root, "/hard", root, "/mnt/hard", 0), unix.EXDEV)
	wantErr(t, "rename dir over file", v.Rename(c, root, "/a/b", root, "/hard", 0), unix.ENOTDIR)
	wantErr(t, "rename file over dir", v.Rename(c, root, "/hard", root, "/priv", 0), unix.EISDIR)
	wantErr(t, "rename over non-empty dir", v.Rename(c, root, "/mnt/../priv", root, "/a", 0), unix.ENOTEMPTY)
	wantErr(t, "rename noreplace", v.Rename(c, root, "/hard", root, "/a/b/file", vfs.RenameNoReplace), unix.EEXIST)
	wantErr(t, "rename same file", v.Rename(c, root, "/hard", root, "/a/b/file", 0), nil)
	wantErr(t, "rename", v.Rename(c, root, "/hard", root, "/a/moved", 0), nil)
	wantErr(t, "old name gone", func() error { _, err := v.StatAt(c, root, "/hard", 0); return err }(), unix.ENOENT)
	wantErr(t, "exchange", v.Rename(c, root, "/a/moved", root, "/a/b", vfs.RenameExchange), nil)
	if st, _ := v.StatAt(c, root, "/a/b", 0); st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Errorf("after exchange /a/b is %#o", st.Mode)
	}
	wantErr(t, "exchange back", v.Rename(c, root, "/a/moved", root, "/a/b", vfs.RenameExchange), nil)
	wantErr(t, "mknod fifo", v.Mknod(c, root, "/fifo", unix.S_IFIFO|0o644, 0), nil)
	wantErr(t, "mknod chr as user", v.Mknod(user, root, "/tmpchr", unix.S_IFCHR|0o644, 0), unix.EPERM)
	wantErr(t, "readlink", func() error {
		s, err := v.Readlink(c, root, "/a/link")
		if err == nil && s != "b" {
			t.Errorf("readlink = %q", s)
		}
		return err
	}(), nil)
	wantErr(t, "readlink of file", func() error { _, err := v.Readlink(c, root, "/a/b/file"); return err }(), unix.EINVAL)

	// Sticky /tmp: a user cannot remove another user's file.
	wantErr(t, "mkdir tmp", v.Mkdir(c, root, "/tmp", 0o777), nil)
	wantErr(t, "chmod tmp", v.Chmod(c, root, "/tmp", 0o1777, 0), nil)
	wantErr(t, "root file in tmp", v.Mknod(c, root, "/tmp/rootfile", 0o666, 0), nil)
	wantErr(t, "user file in tmp", v.Mknod(user, root, "/tmp/userfile", 0o666, 0), nil)
	wantErr(t, "sticky unlink", v.Unlink(user, root, "/tmp/rootfile"), unix.EPERM)
	wantErr(t, "sticky rename", v.Rename(user, root, "/tmp/rootfile", root, "/tmp/x", 0), unix.EPERM)
	wantErr(t, "own unlink", v.Unlink(user, root, "/tmp/userfile"), nil)
	if st, _ := v.StatAt(c, root, "/tmp", 0); st.Mode != unix.S_IFDIR|0o1777 {
		t.Errorf("/tmp mode %#o", st.Mode)
	}
}

func TestAttrs(t *testing.T) {
	v := newTree(t)
	root := v.Root()
	writeFile(t, v, "/u", "data", 0o644)
	wantErr(t, "chown to user", v.Chown(vfs.Root, root, "/u", 1000, 1000, 0), nil)
	wantErr(t, "user chmod own", v.Chmod(user, root, "/u", 0o600, 0), nil)
	wantErr(t, "user chmod other", v.Chmod(user, root, "/a", 0o777, 0), unix.EPERM)
	wantErr(t, "user gives away", v.Chown(user, root, "/u", 0, -1, 0), unix.EPERM)
	wantErr(t, "user chgrp foreign", v.Chown(user, root, "/u", -1, 0, 0), unix.EPERM)
	wantErr(t, "access R_OK", v.Access(user, root, "/u", vfs.MayRead, 0), nil)
	wantErr(t, "access X_OK", v.Access(user, root, "/u", vfs.MayExec, 0), unix.EACCES)
	wantErr(t, "access F_OK missing", v.Access(user, root, "/missing", 0, 0), unix.ENOENT)
	wantErr(t, "root X_OK without x bits", v.Access(vfs.Root, root, "/u", vfs.MayExec, 0), unix.EACCES)
	wantErr(t, "user truncate other", v.Truncate(user, root, "/a/b/file", 0), unix.EACCES)
	wantErr(t, "truncate dir", v.Truncate(vfs.Root, root, "/a", 0), unix.EISDIR)
	ts := [2]vfs.Timespec{{Sec: 100, Nsec: 5}, {Nsec: vfs.UtimeOmit}}
	wantErr(t, "utimens", v.Utimens(user, root, "/u", &ts, 0), nil)
	st, _ := v.StatAt(vfs.Root, root, "/u", 0)
	if st.Atime != (linux.Timespec{Sec: 100, Nsec: 5}) || st.Mtime.Sec == 100 || st.Mode != unix.S_IFREG|0o600 || st.UID != 1000 {
		t.Errorf("stat after utimens/chmod/chown: %+v", st)
	}
	wantErr(t, "utimens other explicit", v.Utimens(user, root, "/a/b/file", &ts, 0), unix.EPERM)
	wantErr(t, "utimens other now without write", v.Utimens(user, root, "/a/b/file", nil, 0), unix.EACCES)
	wantErr(t, "chmod symlink nofollow", v.Chmod(vfs.Root, root, "/a/link", 0o600, unix.AT_SYMLINK_NOFOLLOW), unix.EOPNOTSUPP)
	sf, err := v.StatfsAt(vfs.Root, root, "/a", 0)
	if err != nil || sf.Type != memfs.TmpfsMagic || sf.Bsize != 4096 {
		t.Errorf("statfs = %+v, %v", sf, err)
	}
}

func TestGetcwdAndParent(t *testing.T) {
	v := newTree(t)
	loc, err := v.Chdir(vfs.Root, v.Root(), "/mnt/inner")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := v.PathOf(loc); p != "/mnt/inner" || err != nil {
		t.Errorf("PathOf = %q, %v", p, err)
	}
	up, err := v.Resolve(vfs.Root, loc, "../../a/link", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := v.PathOf(up); p != "/a/b" {
		t.Errorf("../../a/link from /mnt/inner = %q", p)
	}
	if _, err := v.Chdir(user, v.Root(), "/priv"); err != unix.EACCES {
		t.Errorf("chdir into 0700 dir as user: %v", err)
	}
	if _, err := v.Chdir(vfs.Root, v.Root(), "/a/b/file"); err != unix.ENOTDIR {
		t.Errorf("chdir into file: %v", err)
	}
}

// dirents reads the directory with getdents64 buffers of size bufSize.
func dirents(t *testing.T, fd *vfs.FileDescription, bufSize int) []string {
	t.Helper()
	var names []string
	buf := make([]byte, bufSize)
	for {
		n, err := fd.Getdents64(buf)
		if err != nil {
			t.Fatalf("getdents64(%d): %v", bufSize, err)
		}
		if n == 0 {
			return names
		}
		for b := buf[:n]; len(b) > 0; {
			reclen := int(b[16]) | int(b[17])<<8
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			names = append(names, string(name))
			b = b[reclen:]
		}
	}
}

func TestGetdents(t *testing.T) {
	v := newTree(t)
	root := v.Root()
	var want []string
	for i := 0; i < 200; i++ {
		name := "file-with-a-longish-name-" + itoa(i)
		writeFile(t, v, "/a/"+name, "", 0o644)
		want = append(want, name)
	}
	want = append(want, ".", "..", "b", "link", "abs", "up")
	sort.Strings(want)
	for _, size := range []int{48, 64, 100, 4096} {
		fd, err := v.OpenAt(vfs.Root, root, "/a", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := dirents(t, fd, size)
		sort.Strings(got)
		if len(got) != len(want) {
			t.Fatalf("buffer %d: %d entries, want %d", size, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("buffer %d: entry %q, want %q", size, got[i], want[i])
			}
		}
		// Rewind and read again.
		if _, err := fd.Seek(0, unix.SEEK_SET); err != nil {
			t.Fatal(err)
		}
		if again := dirents(t, fd, size); len(again) != len(want) {
			t.Errorf("after rewind: %d entries", len(again))
		}
		fd.DecRef()
	}
	fd, _ := v.OpenAt(vfs.Root, root, "/a", unix.O_RDONLY, 0)
	defer fd.DecRef()
	if _, err := fd.Getdents64(make([]byte, 20)); err != unix.EINVAL {
		t.Errorf("getdents64 with a buffer too small: %v", err)
	}
	// Removing entries while reading does not repeat or lose the others.
	first := dirents(t, fd, 4096)
	_ = first
	fd.Seek(0, unix.SEEK_SET)
	buf := make([]byte, 200)
	n, _ := fd.Getdents64(buf)
	if n == 0 {
		t.Fatal("no entries")
	}
	v.Unlink(vfs.Root, root, "/a/file-with-a-longish-name-199")
	rest := dirents(t, fd, 4096)
	for _, name := range rest {
		if name == "file-with-a-longish-name-199" {
			t.Error("removed entry still listed")
		}
	}
}

func TestUnlinkOpenFile(t *testing.T) {
	fs := memfs.New(memfs.Options{Mode: 0o755})
	v, _ := vfs.New(fs)
	writeFile(t, v, "/f", "0123456789", 0o644)
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/f", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Unlink(vfs.Root, v.Root(), "/f"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, _ := fd.Read(nil, buf); n != 10 {
		t.Errorf("read of unlinked open file: %d bytes", n)
	}
	if fs.Used() == 0 {
		t.Error("data freed while open")
	}
	fd.DecRef()
	if fs.Used() != 0 {
		t.Errorf("data not freed after last close: %d bytes", fs.Used())
	}
}
