package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesProbe runs a static C program over the rest of the file
// surface: sendfile, splice, tee, copy_file_range, fallocate,
// memfd_create, openat2 and its RESOLVE_ flags, O_TMPFILE, FIFOs with
// blocking opens, flock, POSIX and OFD record locks (blocking, released on
// close), sync, syncfs, getrusage and getdents. It must pass natively and
// under ward, in the overlay's /tmp and in a tmpfs (where O_TMPFILE must
// work).
func TestFilesProbe(t *testing.T) {
	probe := buildProbe(t, "files_probe")
	cases := []struct {
		name string
		argv []string
		// tmpfile says O_TMPFILE must be supported.
		tmpfile bool
	}{
		{"native", []string{probe}, false},
		{"ward-overlay", []string{wardBinary(t), "run", "--", probe}, false},
		{"ward-tmpfs", []string{wardBinary(t), "run", "--config", shmConfig(t), "--", probe, "/dev/shm"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, false, tc.argv...)
			if r.status != 0 || !strings.HasSuffix(r.stdout, "PASSED\n") {
				t.Errorf("status %d\n%s\n%s", r.status, r.stdout, r.stderr)
			}
			if n := strings.Count(r.stdout, "ok "); n < 70 {
				t.Errorf("%d checks passed, want at least 70:\n%s", n, r.stdout)
			}
			if tc.tmpfile && !strings.Contains(r.stdout, "ok O_TMPFILE io") {
				t.Errorf("O_TMPFILE did not work in a tmpfs:\n%s", r.stdout)
			}
		})
	}
}

// filesPython is a Python program that uses the file surface the way
// ordinary programs do; it prints "ok" lines and "done".
const filesPython = `
import fcntl, os, resource, shutil, sys, tempfile
base = sys.argv[1] if len(sys.argv) > 1 else None
d = tempfile.mkdtemp(dir=base)
p = os.path.join(d, "a")
with open(p, "w") as f:
    f.write("hello world\n" * 1000)
    f.flush()
    os.fsync(f.fileno())
os.replace(p, p + ".2")
print("ok replace", os.path.exists(p + ".2") and not os.path.exists(p))
with open(p + ".2", "rb") as f:
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    out = os.open(os.path.join(d, "b"), os.O_WRONLY | os.O_CREAT, 0o644)
    print("ok sendfile", os.sendfile(out, f.fileno(), 0, 100000))
    os.close(out)
    fcntl.flock(f, fcntl.LOCK_UN)
with open(os.path.join(d, "c"), "w") as g:
    fcntl.lockf(g, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.lockf(g, fcntl.LOCK_UN)
    print("ok lockf")
m = os.memfd_create("x", os.MFD_CLOEXEC)
os.write(m, b"abc")
print("ok memfd", os.pread(m, 3, 0), os.readlink("/proc/self/fd/%d" % m))
with tempfile.TemporaryFile(dir=d) as tf:
    tf.write(b"xyz")
    tf.seek(0)
    print("ok tempfile", tf.read())
os.mkfifo(os.path.join(d, "fifo"))
r = os.open(os.path.join(d, "fifo"), os.O_RDONLY | os.O_NONBLOCK)
w = os.open(os.path.join(d, "fifo"), os.O_WRONLY | os.O_NONBLOCK)
os.write(w, b"pipe!")
print("ok fifo", os.read(r, 10))
fd = os.open(os.path.join(d, "e"), os.O_RDWR | os.O_CREAT)
os.posix_fallocate(fd, 0, 8192)
print("ok fallocate", os.fstat(fd).st_size)
src = os.open(p + ".2", os.O_RDONLY)
dst = os.open(os.path.join(d, "f"), os.O_WRONLY | os.O_CREAT)
print("ok copy_file_range", os.copy_file_range(src, dst, 50))
print("ok rusage", resource.getrusage(resource.RUSAGE_SELF).ru_utime >= 0)
shutil.rmtree(d)
print("done", os.path.exists(d))
`

const filesPythonWant = `ok replace True
ok sendfile 12000
ok lockf
ok memfd b'abc' /memfd:x (deleted)
ok tempfile b'xyz'
ok fifo b'pipe!'
ok fallocate 8192
ok copy_file_range 50
ok rusage True
done False
`

// TestFilesPython runs the host's python3 with tempfile, os.replace,
// os.fsync, shutil.rmtree, fcntl.flock and lockf, os.sendfile,
// os.memfd_create, a FIFO, posix_fallocate and copy_file_range, natively
// and under ward (in the overlay and in a tmpfs, where TemporaryFile uses
// O_TMPFILE).
func TestFilesPython(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	cases := []struct {
		name string
		argv []string
	}{
		{"native", []string{"/usr/bin/python3", "-c", filesPython}},
		{"ward-overlay", []string{wardBinary(t), "run", "--", "/usr/bin/python3", "-c", filesPython}},
		{"ward-tmpfs", []string{wardBinary(t), "run", "--config", shmConfig(t), "--", "/usr/bin/python3", "-c", filesPython, "/dev/shm"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, false, tc.argv...)
			if r.status != 0 || r.stdout != filesPythonWant {
				t.Errorf("status %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", r.status, r.stdout, filesPythonWant, r.stderr)
			}
		})
	}
}

// TestFilesSQLite has sqlite3 create a table and insert 10,000 rows in a
// transaction (journal and WAL modes: record locks, fsync, ftruncate,
// the WAL's shared-memory file), natively and under ward.
func TestFilesSQLite(t *testing.T) {
	needFile(t, "/usr/bin/sqlite3")
	var sql strings.Builder
	sql.WriteString("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);\nBEGIN;\n")
	for i := 1; i <= 10000; i++ {
		sql.WriteString("INSERT INTO t(b) VALUES('row" + itoa(i) + "');\n")
	}
	sql.WriteString("COMMIT;\nSELECT count(*), sum(a) FROM t;\n")
	dir := t.TempDir()
	script := filepath.Join(dir, "in.sql")
	if err := os.WriteFile(script, []byte(sql.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, journal := range []string{"delete", "wal"} {
		for _, underWard := range []bool{false, true} {
			name := journal + "/native"
			if underWard {
				name = journal + "/ward"
			}
			t.Run(name, func(t *testing.T) {
				// Under ward the database lands in the overlay's upper
				// layer; the host directory stays untouched.
				db := filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+".db")
				cmd := "sqlite3 " + db + " 'PRAGMA journal_mode=" + journal + ";' >/dev/null && sqlite3 " + db + " < " + script +
					" && sqlite3 " + db + " \"SELECT count(*) FROM t WHERE b LIKE 'row1%';\""
				r := run(t, underWard, "/bin/sh", "-c", cmd)
				want := "10000|50005000\n1112\n"
				if r.status != 0 || r.stdout != want {
					t.Errorf("status %d, stdout %q, want %q\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
				}
			})
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
