package hostfs

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// user is an unprivileged caller: its walks stat every directory they
// search, as most programs' do.
var user = &vfs.Credentials{UID: 1000, GID: 1000}

// hostCalls returns how many times fs asked the host while fn ran.
func hostCalls(fs *FS, fn func()) uint64 {
	before := fs.hostCalls.Load()
	fn()
	return fs.hostCalls.Load() - before
}

// rootInode returns fs's root as an *inode.
func rootInode(t *testing.T, fs *FS) *inode {
	t.Helper()
	r, err := fs.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r.(*inode)
}

func TestCacheHits(t *testing.T) {
	d := hostTree(t)
	v, fs := mount(t, d, true)
	fs.ttl = time.Hour
	root := v.Root()

	want, err := os.Lstat(filepath.Join(d, "dir/inner"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(st vfs.Stat) {
		t.Helper()
		if st.Size != want.Size() || st.Mode&0o777 != 0o600 || st.Mode&unix.S_IFMT != unix.S_IFREG {
			t.Errorf("stat = size %d mode %#o; want size %d mode 0600", st.Size, st.Mode, want.Size())
		}
	}
	var first vfs.Stat
	if n := hostCalls(fs, func() {
		if first, err = v.StatAt(user, root, "/dir/inner", 0); err != nil {
			t.Fatal(err)
		}
	}); n == 0 {
		t.Errorf("first stat made no host calls")
	}
	check(first)
	for i := 0; i < 3; i++ {
		if n := hostCalls(fs, func() {
			st, err := v.StatAt(user, root, "/dir/inner", 0)
			if err != nil {
				t.Fatal(err)
			}
			check(st)
			if st.Ino != first.Ino {
				t.Errorf("inode number %d, then %d", first.Ino, st.Ino)
			}
		}); n != 0 {
			t.Errorf("repeated stat made %d host calls", n)
		}
	}

	// Through a symbolic link, whose target is remembered too.
	if got, err := read(t, v, "/rel/inner"); got != "inner" || err != nil {
		t.Fatalf("read /rel/inner = %q, %v", got, err)
	}
	if n := hostCalls(fs, func() {
		if s, err := v.Readlink(user, root, "/rel"); s != "dir" || err != nil {
			t.Errorf("readlink = %q, %v", s, err)
		}
		if _, err := v.StatAt(user, root, "/rel/inner", 0); err != nil {
			t.Error(err)
		}
	}); n != 0 {
		t.Errorf("walk through a symlink made %d host calls", n)
	}

	// The inodes themselves: a repeated lookup returns the child found.
	r := rootInode(t, fs)
	c1, err := r.Lookup("file")
	if err != nil {
		t.Fatal(err)
	}
	if n := hostCalls(fs, func() {
		c2, err := r.Lookup("file")
		if err != nil || c2 != c1 {
			t.Errorf("second lookup = %p, %v; want %p", c2, err, c1)
		}
		if st, err := c1.Stat(); err != nil || st.Size != int64(len("content")) {
			t.Errorf("stat = size %d, %v", st.Size, err)
		}
	}); n != 0 {
		t.Errorf("repeated lookup and stat made %d host calls", n)
	}
	// Errors are not remembered.
	if _, err := r.Lookup("missing"); err != unix.ENOENT {
		t.Fatalf("lookup of missing = %v", err)
	}
	if n := hostCalls(fs, func() { r.Lookup("missing") }); n != 1 {
		t.Errorf("repeated lookup of a missing name made %d host calls, want 1", n)
	}
	if _, err := rootInode(t, fs).Lookup("file/x"); err != unix.ENOTDIR {
		t.Errorf("lookup below a file = %v, want ENOTDIR", err)
	}
}

// TestCacheOwnChanges checks that every change through the FS is seen at
// once, however long the cache would otherwise be trusted.
func TestCacheOwnChanges(t *testing.T) {
	d := hostTree(t)
	v, fs := mount(t, d, false)
	fs.ttl = time.Hour
	root := v.Root()

	stat := func(path string) vfs.Stat {
		t.Helper()
		st, err := v.StatAt(user, root, path, unix.AT_SYMLINK_NOFOLLOW)
		if err != nil {
			t.Fatalf("stat %s: %v", path, err)
		}
		return st
	}
	missing := func(path string) {
		t.Helper()
		if _, err := v.StatAt(user, root, path, unix.AT_SYMLINK_NOFOLLOW); err != unix.ENOENT {
			t.Errorf("stat %s = %v, want ENOENT", path, err)
		}
	}
	// Fill the caches.
	for _, p := range []string{"/", "/file", "/dir", "/dir/inner", "/rel", "/abs"} {
		stat(p)
	}

	fd, err := v.OpenAt(vfs.Root, root, "/file", unix.O_WRONLY|unix.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fd.Write(nil, []byte(" and more")); err != nil {
		t.Fatal(err)
	}
	if st, err := fd.Stat(); err != nil || st.Size != int64(len("content and more")) {
		t.Errorf("fstat after write: size %d, %v", st.Size, err)
	}
	fd.DecRef()
	if st := stat("/file"); st.Size != int64(len("content and more")) {
		t.Errorf("stat after write: size %d", st.Size)
	}

	if err := v.Chmod(vfs.Root, root, "/dir/inner", 0o640, 0); err != nil {
		t.Fatal(err)
	}
	if st := stat("/dir/inner"); st.Mode&0o777 != 0o640 {
		t.Errorf("mode after chmod %#o", st.Mode)
	}

	if err := v.Truncate(vfs.Root, root, "/dir/inner", 2); err != nil {
		t.Fatal(err)
	}
	if st := stat("/dir/inner"); st.Size != 2 {
		t.Errorf("size after truncate %d", st.Size)
	}

	nlink := stat("/").Nlink
	if err := v.Mkdir(vfs.Root, root, "/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if st := stat("/"); st.Nlink != nlink+1 {
		t.Errorf("root nlink after mkdir %d, want %d", st.Nlink, nlink+1)
	}
	stat("/sub")

	fd, err = v.OpenAt(vfs.Root, root, "/sub/new", unix.O_CREAT|unix.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fd.DecRef()
	stat("/sub/new")

	if err := v.Link(vfs.Root, root, "/sub/new", root, "/hard", 0); err != nil {
		t.Fatal(err)
	}
	if st := stat("/sub/new"); st.Nlink != 2 {
		t.Errorf("nlink after link %d", st.Nlink)
	}

	if err := v.Rename(vfs.Root, root, "/file", root, "/sub/file", 0); err != nil {
		t.Fatal(err)
	}
	missing("/file")
	if st := stat("/sub/file"); st.Size != int64(len("content and more")) {
		t.Errorf("renamed file: size %d", st.Size)
	}

	if err := v.Unlink(vfs.Root, root, "/rel"); err != nil {
		t.Fatal(err)
	}
	missing("/rel")
	if err := v.Symlink(vfs.Root, "sub", root, "/rel"); err != nil {
		t.Fatal(err)
	}
	if s, err := v.Readlink(user, root, "/rel"); s != "sub" || err != nil {
		t.Errorf("readlink of replaced link = %q, %v", s, err)
	}
	if st := stat("/rel/file"); st.Size != int64(len("content and more")) {
		t.Errorf("through replaced link: size %d", st.Size)
	}

	for _, p := range []string{"/sub/new", "/sub/file", "/hard"} {
		if err := v.Unlink(vfs.Root, root, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Rmdir(vfs.Root, root, "/sub"); err != nil {
		t.Fatal(err)
	}
	missing("/sub")
	if st := stat("/"); st.Nlink != nlink {
		t.Errorf("root nlink after rmdir %d, want %d", st.Nlink, nlink)
	}
}

// TestCacheHostChanges checks that changes made on the host are seen once
// the cache is older than the TTL, and files the host creates at once.
func TestCacheHostChanges(t *testing.T) {
	d := hostTree(t)
	v, fs := mount(t, d, true)
	fs.ttl = time.Hour
	root := v.Root()

	size := func(path string) (int64, error) {
		st, err := v.StatAt(user, root, path, 0)
		return st.Size, err
	}
	if n, err := size("/dir/inner"); n != 5 || err != nil {
		t.Fatalf("size = %d, %v", n, err)
	}
	size("/file")

	// A file the host creates is found at once: misses are not
	// remembered.
	if _, err := size("/dir/new"); err != unix.ENOENT {
		t.Fatalf("stat of missing file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(d, "dir/new"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := size("/dir/new"); n != 3 || err != nil {
		t.Errorf("file created on the host: size %d, %v", n, err)
	}

	if err := os.WriteFile(filepath.Join(d, "dir/inner"), []byte("longer inner"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(d, "file")); err != nil {
		t.Fatal(err)
	}
	// Within the TTL the host's changes are not seen: this is the
	// deviation the cache makes.
	if n, err := size("/dir/inner"); n != 5 || err != nil {
		t.Errorf("within the TTL: size %d, %v; want the remembered 5", n, err)
	}
	if _, err := size("/file"); err != nil {
		t.Errorf("within the TTL, removed file: %v; want it remembered", err)
	}

	// What was remembered is now older than a short TTL.
	fs.ttl = 20 * time.Millisecond
	time.Sleep(fs.ttl)
	if n, err := size("/dir/inner"); n != int64(len("longer inner")) || err != nil {
		t.Errorf("after the TTL: size %d, %v", n, err)
	}
	if _, err := size("/file"); err != unix.ENOENT {
		t.Errorf("after the TTL, removed file: %v; want ENOENT", err)
	}
	if got, err := read(t, v, "/dir/inner"); got != "longer inner" || err != nil {
		t.Errorf("read = %q, %v", got, err)
	}
}

func TestCacheBound(t *testing.T) {
	d := t.TempDir()
	const files = 3*maxCachedNames + 7
	for i := 0; i < files; i++ {
		if err := os.WriteFile(filepath.Join(d, fmt.Sprint(i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, fs := mount(t, d, true)
	fs.ttl = time.Hour
	r := rootInode(t, fs)
	for i := 0; i < files; i++ {
		if _, err := r.Lookup(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		r.mu.Lock()
		n := len(r.dents.m)
		r.mu.Unlock()
		if n > maxCachedNames {
			t.Fatalf("after %d lookups the directory remembers %d names", i+1, n)
		}
	}
	// The last names looked up are still remembered.
	if n := hostCalls(fs, func() { r.Lookup(fmt.Sprint(files - 1)) }); n != 0 {
		t.Errorf("lookup of a recent name made %d host calls", n)
	}
}

// TestCacheConcurrent races walks against changes; run it with -race.
func TestCacheConcurrent(t *testing.T) {
	d := hostTree(t)
	v, fs := mount(t, d, false)
	fs.ttl = time.Millisecond
	root := v.Root()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				v.StatAt(user, root, "/dir/inner", 0)
				v.StatAt(user, root, "/rel/inner", 0)
				v.StatAt(user, root, "/dir/f", 0)
				read(t, v, "/file")
			}
		}()
	}
	for i := 0; i < 200; i++ {
		fd, err := v.OpenAt(vfs.Root, root, "/dir/f", unix.O_CREAT|unix.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fd.Write(nil, []byte("x"))
		if st, err := fd.Stat(); err != nil || st.Size != 1 {
			t.Errorf("stat after write: size %d, %v", st.Size, err)
		}
		fd.DecRef()
		if err := v.Chmod(vfs.Root, root, "/file", 0o600|uint32(i&1)<<2, 0); err != nil {
			t.Fatal(err)
		}
		if err := v.Unlink(vfs.Root, root, "/dir/f"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// BenchmarkStat measures an unprivileged stat of a path two directories
// deep, answered from the cache and by the host.
func BenchmarkStat(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", cacheTTL}, {"host", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			d := b.TempDir()
			if err := os.MkdirAll(filepath.Join(d, "a/b"), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, "a/b/f"), nil, 0o644); err != nil {
				b.Fatal(err)
			}
			ro := true
			fs, err := New(&Config{Source: d, Readonly: &ro})
			if err != nil {
				b.Fatal(err)
			}
			defer fs.Close()
			fs.ttl = bc.ttl
			v, err := vfs.New(fs)
			if err != nil {
				b.Fatal(err)
			}
			root := v.Root()
			for b.Loop() {
				if _, err := v.StatAt(user, root, "/a/b/f", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
