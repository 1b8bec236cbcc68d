package cgroupfs

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/cgroup"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// stubPlatform is a platform that is never asked to run anything.
type stubPlatform struct{ platform.Platform }

type noSyscalls struct{}

func (noSyscalls) Call(*kernel.Task, uintptr, *kernel.SyscallArgs) (uintptr, error) {
	return 0, unix.ENOSYS
}

// newKernel returns a kernel with limits l whose init process was created
// but never started, and its memory file.
func newKernel(t *testing.T, l cgroup.Limits) (*kernel.Kernel, *memfile.File) {
	t.Helper()
	mf, err := memfile.New(memfile.Options{Name: "cgroupfs-test", MaxSize: 1 << 30, Limit: l.Memory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	k, err := kernel.New(kernel.Config{Platform: stubPlatform{}, MemFile: mf, Syscalls: noSyscalls{}, Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	init, err := k.CreateInit(kernel.InitSpec{
		Credentials: kernel.NewCredentials(0, 0, nil),
		Limits:      kernel.DefaultLimits(),
		Resources:   &kernel.Resources{},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { init.Abandon(kernel.ExitStatus{}) })
	return k, mf
}

func newVFS(t *testing.T, fs *FS) *vfs.VFS {
	t.Helper()
	v, err := vfs.New(fs)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func list(t *testing.T, v *vfs.VFS) string {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	var names []string
	fd.IterDirents(func(d vfs.Dirent) bool {
		if d.Name != "." && d.Name != ".." {
			names = append(names, d.Name)
		}
		return true
	})
	return strings.Join(names, " ")
}

func readFile(t *testing.T, v *vfs.VFS, path string) string {
	t.Helper()
	fd, err := v.OpenAt(vfs.Root, v.Root(), path, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fd.DecRef()
	var b strings.Builder
	buf := make([]byte, 5) // small, to read at offsets
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

const cgroupFiles = "cgroup.controllers cgroup.events cgroup.freeze cgroup.max.depth cgroup.max.descendants " +
	"cgroup.procs cgroup.stat cgroup.subtree_control cgroup.threads cgroup.type"

func TestUnattached(t *testing.T) {
	v := newVFS(t, New())
	if got := list(t, v); got != cgroupFiles {
		t.Errorf("unattached root lists %q", got)
	}
	for path, want := range map[string]string{
		"/cgroup.controllers": "\n",
		"/cgroup.procs":       "",
		"/cgroup.events":      "populated 0\nfrozen 0\n",
		"/cgroup.type":        "domain\n",
	} {
		if got := readFile(t, v, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	st, err := v.StatfsAt(vfs.Root, v.Root(), "/", 0)
	if err != nil || st.Type != Cgroup2SuperMagic || st.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("statfs = %+v, %v", st, err)
	}
	if got := New().FSTypeName(); got != "cgroup2" {
		t.Errorf("FSTypeName = %q", got)
	}
}

// TestNoControllers: without cgroup blocks only the cgroup.* files are
// there.
func TestNoControllers(t *testing.T) {
	k, _ := newKernel(t, cgroup.Limits{})
	fs := New()
	fs.AttachKernel(k)
	v := newVFS(t, fs)
	if got := list(t, v); got != cgroupFiles {
		t.Errorf("root lists %q", got)
	}
	for _, p := range []string{"/memory.max", "/pids.max", "/cpu.max"} {
		if _, err := v.StatAt(vfs.Root, v.Root(), p, 0); err != unix.ENOENT {
			t.Errorf("stat %s: %v, want ENOENT", p, err)
		}
	}
	if got := readFile(t, v, "/cgroup.controllers"); got != "\n" {
		t.Errorf("cgroup.controllers = %q", got)
	}
}

func TestLimits(t *testing.T) {
	k, mf := newKernel(t, cgroup.Limits{Memory: 256 << 20, Tasks: 64, CPUMilli: 1500, CPUPeriodMicros: 50000})
	fs := New()
	fs.AttachKernel(k)
	v := newVFS(t, fs)
	want := cgroupFiles + " cpu.max cpu.stat cpu.weight memory.current memory.events memory.high memory.low " +
		"memory.max memory.min memory.swap.current memory.swap.max pids.current pids.max"
	if got := list(t, v); got != want {
		t.Errorf("root lists %q,\nwant %q", got, want)
	}
	pid := strconv.Itoa(int(k.AllProcesses()[0].TGID()))
	for path, want := range map[string]string{
		"/cgroup.controllers":     "cpu memory pids\n",
		"/cgroup.subtree_control": "cpu memory pids\n",
		"/cgroup.procs":           pid + "\n",
		"/cgroup.threads":         pid + "\n",
		"/cgroup.events":          "populated 1\nfrozen 0\n",
		"/cgroup.max.depth":       "max\n",
		"/cgroup.max.descendants": "max\n",
		"/memory.max":             "268435456\n",
		"/memory.events":          "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
		"/memory.swap.max":        "0\n",
		"/memory.swap.current":    "0\n",
		"/pids.max":               "64\n",
		"/pids.current":           "1\n",
		"/cpu.max":                "75000 50000\n",
	} {
		if got := readFile(t, v, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	stat := readFile(t, v, "/cpu.stat")
	if !strings.HasPrefix(stat, "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods ") ||
		!strings.HasSuffix(stat, "\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n") {
		t.Errorf("cpu.stat = %q", stat)
	}

	// memory.current follows the memory file's allocations
	before := readFile(t, v, "/memory.current")
	r, err := mf.Allocate(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.DecRef(r)
	after := readFile(t, v, "/memory.current")
	b, _ := strconv.ParseUint(strings.TrimSpace(before), 10, 64)
	a, _ := strconv.ParseUint(strings.TrimSpace(after), 10, 64)
	if a != b+1<<20 {
		t.Errorf("memory.current went from %q to %q after allocating 1 MiB", before, after)
	}
	// and what is charged to it (tmpfs data).
	if !mf.Charge(1 << 20) {
		t.Fatal("cannot charge 1 MiB")
	}
	defer mf.Uncharge(1 << 20)
	charged, _ := strconv.ParseUint(strings.TrimSpace(readFile(t, v, "/memory.current")), 10, 64)
	if charged != a+1<<20 {
		t.Errorf("memory.current = %d after charging 1 MiB more than %d", charged, a)
	}

	// Read-only.
	for _, flags := range []int{unix.O_WRONLY, unix.O_RDWR} {
		if _, err := v.OpenAt(vfs.Root, v.Root(), "/cpu.max", flags, 0); err != unix.EACCES {
			t.Errorf("open cpu.max %#x: %v, want EACCES", flags, err)
		}
	}
	if err := v.Mkdir(vfs.Root, v.Root(), "/child", 0o755); err != unix.EACCES {
		t.Errorf("mkdir /child: %v, want EACCES", err)
	}
	if st, err := v.StatAt(vfs.Root, v.Root(), "/memory.max", 0); err != nil || st.Mode != unix.S_IFREG|0o444 || st.Size != 0 {
		t.Errorf("stat memory.max = %+v, %v", st, err)
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		l    cgroup.Limits
		want string
	}{
		{cgroup.Limits{}, "max 100000\n"},
		{cgroup.Limits{CPUMilli: 1000}, "100000 100000\n"},
		{cgroup.Limits{CPUMilli: 500, CPUPeriodMicros: 1000000}, "500000 1000000\n"},
		{cgroup.Limits{CPUMilli: 2500, CPUPeriodMicros: 10000}, "25000 10000\n"},
	} {
		if got := cpuMax(tc.l); got != tc.want {
			t.Errorf("cpuMax(%+v) = %q, want %q", tc.l, got, tc.want)
		}
	}
	for n, want := range map[int]string{0: "max\n", 1: "1\n", 64: "64\n"} {
		if got := pidsMax(n); got != want {
			t.Errorf("pidsMax(%d) = %q, want %q", n, got, want)
		}
	}
	if got := memoryEvents(3); got != "low 0\nhigh 0\nmax 3\noom 3\noom_kill 3\noom_group_kill 0\n" {
		t.Errorf("memoryEvents(3) = %q", got)
	}
	if got := formatIDs([]int32{12, 3, 7}); got != "3\n7\n12\n" {
		t.Errorf("formatIDs = %q", got)
	}
	st := kernel.CPUStat{Usage: 1500 * time.Millisecond, NrThrottled: 4, Throttled: 250 * time.Millisecond}
	want := "usage_usec 1500000\nuser_usec 1500000\nsystem_usec 0\nnr_periods 25\nnr_throttled 4\n" +
		"throttled_usec 250000\nnr_bursts 0\nburst_usec 0\n"
	if got := formatCPUStat(st, 2550*time.Millisecond, 100*time.Millisecond); got != want {
		t.Errorf("formatCPUStat = %q, want %q", got, want)
	}
	// nr_periods is never below nr_throttled.
	if got := formatCPUStat(kernel.CPUStat{NrThrottled: 9}, 0, 100*time.Millisecond); !strings.Contains(got, "nr_periods 9\n") {
		t.Errorf("formatCPUStat with no uptime = %q", got)
	}
}
