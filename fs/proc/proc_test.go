package proc

import (
	"strconv"
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"github.com/seed-a9fb2a21/ward/core/syscalls"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"github.com/seed-a9fb2a21/ward/core/vfs/memfs"
	"golang.org/x/sys/unix"
)

// newVFS returns a VFS with an in-memory root and fs mounted on /proc.
func newVFS(t *testing.T, fs *FS) *vfs.VFS {
	t.Helper()
	v, err := vfs.New(memfs.New(memfs.Options{Mode: 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Mkdir(vfs.Root, v.Root(), "/proc", 0o555); err != nil {
		t.Fatal(err)
	}
	if _, err := v.MountAt(vfs.Root, "/proc", fs, 0); err != nil {
		t.Fatal(err)
	}
	return v
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
	return names
}

func readFile(t *testing.T, v *vfs.VFS, path string) string {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fd.DecRef()
	var b strings.Builder
	buf := make([]byte, 100) // small, to exercise reads at an offset
	for {
		n, err := fd.Read(nil, buf)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if n == 0 {
			return b.String()
		}
		b.Write(buf[:n])
	}
}

func TestUnattachedListsNothing(t *testing.T) {
	v := newVFS(t, New())
	if names := list(t, v, "/proc"); len(names) != 0 {
		t.Errorf("unattached /proc lists %v", names)
	}
	for _, p := range []string{"/proc/self", "/proc/uptime", "/proc/1"} {
		if _, err := v.StatAt(vfs.Root, v.Root(), p, unix.AT_SYMLINK_NOFOLLOW); err != unix.ENOENT {
			t.Errorf("stat %s before attach: %v, want ENOENT", p, err)
		}
	}
	st, err := v.StatfsAt(vfs.Root, v.Root(), "/proc", 0)
	if err != nil || st.Type != ProcSuperMagic {
		t.Errorf("statfs /proc = %+v, %v", st, err)
	}
}

func TestReadOnly(t *testing.T) {
	fs := New()
	root := fs.root.dir.(*rootDir)
	up, err := root.static.lookup("uptime")
	if err != nil {
		t.Fatal(err)
	}
	for _, flags := range []int{unix.O_WRONLY, unix.O_RDWR} {
		if _, err := up.Open(flags); err != unix.EACCES {
			t.Errorf("open uptime %#x: %v, want EACCES", flags, err)
		}
	}
	f, err := up.Open(unix.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(nil, []byte("1"), 0); err != unix.EACCES {
		t.Errorf("write uptime: %v, want EACCES", err)
	}
	if err := up.SetStat(&vfs.SetStat{Mask: vfs.SetMode, Mode: 0o666}); err != unix.EPERM {
		t.Errorf("chmod uptime: %v, want EPERM", err)
	}
	if _, err := fs.root.Create("x", unix.S_IFREG|0o644, 0, vfs.Owner{}); err != unix.EACCES {
		t.Errorf("create in /proc: %v, want EACCES", err)
	}
	if _, err := fs.root.Create("d", unix.S_IFDIR|0o755, 0, vfs.Owner{}); err != unix.EACCES {
		t.Errorf("mkdir in /proc: %v, want EACCES", err)
	}
	if err := fs.root.Unlink("uptime"); err != unix.EACCES {
		t.Errorf("unlink /proc/uptime: %v, want EACCES", err)
	}
	if _, err := up.Create("x", unix.S_IFREG, 0, vfs.Owner{}); err != unix.ENOTDIR {
		t.Errorf("create under a file: %v, want ENOTDIR", err)
	}
}

// stubPlatform is a platform that is never asked to run anything.
type stubPlatform struct{ platform.Platform }

type noSyscalls struct{}

func (noSyscalls) Call(*kernel.Task, uintptr, *kernel.SyscallArgs) (uintptr, error) {
	return 0, unix.ENOSYS
}

// TestAttached describes a kernel whose init process was created but
// never started: nothing runs, but the process, its files and its working
// directory exist.
func TestAttached(t *testing.T) {
	mf, err := memfile.New(memfile.Options{Name: "proc-test", MaxSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	k, err := kernel.New(kernel.Config{Platform: stubPlatform{}, MemFile: mf, Syscalls: noSyscalls{}, Hostname: "box"})
	if err != nil {
		t.Fatal(err)
	}
	fs := New()
	fs.AttachKernel(k)
	v := newVFS(t, fs)

	tbl := vfs.NewFDTable(1024)
	r, w := vfs.NewPipe(0)
	tbl.NewAt(3, r, false)
	tbl.NewAt(4, w, false)
	r.DecRef()
	w.DecRef()
	dir, err := v.OpenAt(vfs.Root, v.Root(), "/proc", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	tbl.NewAt(5, dir, false)
	dir.DecRef()
	init, err := k.CreateInit(kernel.InitSpec{
		Credentials: kernel.NewCredentials(0, 0, nil),
		Limits:      kernel.DefaultLimits(),
		Resources: &kernel.Resources{
			Files: syscalls.NewFiles(tbl),
			FS:    syscalls.NewFSContext(v, v.Root(), 0o022),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer init.Abandon(kernel.ExitStatus{})
	pid := strconv.Itoa(int(init.PID()))

	names := strings.Join(list(t, v, "/proc"), " ")
	for _, want := range []string{"self", "uptime", "meminfo", "sys", pid} {
		if !strings.Contains(" "+names+" ", " "+want+" ") {
			t.Errorf("/proc lists %q, missing %q", names, want)
		}
	}
	if got := list(t, v, "/proc/"+pid+"/task"); len(got) != 1 || got[0] != pid {
		t.Errorf("task/ lists %v", got)
	}
	if got := strings.Join(list(t, v, "/proc/"+pid+"/fd"), " "); got != "3 4 5" {
		t.Errorf("fd/ lists %q", got)
	}

	stat := readFile(t, v, "/proc/"+pid+"/stat")
	if !strings.HasPrefix(stat, pid+" (init) S 0 "+pid+" "+pid+" ") {
		t.Errorf("stat = %q", stat)
	}
	status := readFile(t, v, "/proc/"+pid+"/task/"+pid+"/status")
	for _, want := range []string{"Name:\tinit\n", "Pid:\t" + pid + "\n", "Umask:\t0022\n", "Threads:\t1\n"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}

	link := func(p string) string {
		t.Helper()
		s, err := v.Readlink(vfs.Root, v.Root(), p)
		if err != nil {
			t.Errorf("readlink %s: %v", p, err)
		}
		return s
	}
	if got := link("/proc/" + pid + "/cwd"); got != "/" {
		t.Errorf("cwd -> %q", got)
	}
	if got := link("/proc/" + pid + "/fd/5"); got != "/proc" {
		t.Errorf("fd/5 -> %q", got)
	}
	pipeName := link("/proc/" + pid + "/fd/3")
	if !strings.HasPrefix(pipeName, "pipe:[") || link("/proc/"+pid+"/fd/4") != pipeName {
		t.Errorf("fd/3 -> %q, fd/4 -> %q", pipeName, link("/proc/"+pid+"/fd/4"))
	}
	// No task runs on this goroutine: /proc/self dangles.
	if _, err := v.Readlink(vfs.Root, v.Root(), "/proc/self"); err != unix.ENOENT {
		t.Errorf("readlink /proc/self from outside the sandbox: %v", err)
	}

	// Opening the pipe's links reopens its ends.
	wr, err := v.OpenAt(vfs.Root, v.Root(), "/proc/"+pid+"/fd/3", unix.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open fd/3 for writing: %v", err)
	}
	if n, err := wr.Write(nil, []byte("hello")); n != 5 || err != nil {
		t.Errorf("write through fd/3 = %d, %v", n, err)
	}
	wr.DecRef()
	rd, err := v.OpenAt(vfs.Root, v.Root(), "/proc/"+pid+"/fd/4", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open fd/4 for reading: %v", err)
	}
	buf := make([]byte, 16)
	if n, err := rd.Read(nil, buf); string(buf[:n]) != "hello" || err != nil {
		t.Errorf("read through fd/4 = %q, %v", buf[:n], err)
	}
	rd.DecRef()

	if got := readFile(t, v, "/proc/"+pid+"/task/"+pid+"/cgroup"); got != "0::/\n" {
		t.Errorf("cgroup = %q", got)
	}
	if got := readFile(t, v, "/proc/sys/kernel/hostname"); got != "box\n" {
		t.Errorf("hostname = %q", got)
	}
	if got := readFile(t, v, "/proc/sys/kernel/pid_max"); got != "4194304\n" {
		t.Errorf("pid_max = %q", got)
	}
	if got := readFile(t, v, "/proc/meminfo"); !strings.HasPrefix(got, "MemTotal:        1048576 kB\n") {
		t.Errorf("meminfo = %q", got)
	}
	if got := readFile(t, v, "/proc/"+pid+"/mounts"); !strings.Contains(got, " / ") || !strings.Contains(got, "proc /proc proc rw") {
		t.Errorf("mounts = %q", got)
	}
	for _, p := range []string{"/proc/uptime", "/proc/loadavg", "/proc/stat", "/proc/cpuinfo", "/proc/version", "/proc/filesystems", "/proc/sys/kernel/random/uuid", "/proc/" + pid + "/cmdline", "/proc/" + pid + "/maps", "/proc/" + pid + "/smaps_rollup", "/proc/" + pid + "/statm"} {
		readFile(t, v, p)
	}

	// fdinfo: one file per descriptor, with the offset and flags.
	if got := strings.Join(list(t, v, "/proc/"+pid+"/fdinfo"), " "); got != "3 4 5" {
		t.Errorf("fdinfo/ lists %q", got)
	}
	if got := readFile(t, v, "/proc/"+pid+"/fdinfo/4"); !strings.HasPrefix(got, "pos:\t0\nflags:\t01\nmnt_id:\t0\nino:\t") {
		t.Errorf("fdinfo/4 = %q", got)
	}
	if got := readFile(t, v, "/proc/"+pid+"/fdinfo/5"); !strings.HasPrefix(got, "pos:\t0\nflags:\t0100000\nmnt_id:\t2\n") {
		t.Errorf("fdinfo/5 = %q", got)
	}
	if _, err := v.StatAt(vfs.Root, v.Root(), "/proc/"+pid+"/fdinfo/9", 0); err != unix.ENOENT {
		t.Errorf("stat fdinfo/9: %v", err)
	}
	if got := readFile(t, v, "/proc/"+pid+"/limits"); !strings.Contains(got, "Max open files            1024                 1048576              files     \n") {
		t.Errorf("limits = %q", got)
	}
	if got := readFile(t, v, "/proc/"+pid+"/mountinfo"); got != "1 1 0:1 / / rw,relatime - tmpfs tmpfs rw\n2 1 0:2 / /proc rw,relatime - proc proc rw\n" {
		t.Errorf("mountinfo = %q", got)
	}
	if got := strings.Join(list(t, v, "/proc/"+pid+"/task/"+pid), " "); strings.Contains(got, "task") || !strings.Contains(got, "fdinfo") {
		t.Errorf("task/%s lists %q", pid, got)
	}
}
