package sys

import (
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func TestCPUFiles(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{1, "0\n"}, {2, "0-1\n"}, {64, "0-63\n"}} {
		if got := cpuRange(tc.n); got != tc.want {
			t.Errorf("cpuRange(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}

	old := numCPU
	numCPU = func() int { return 4 }
	defer func() { numCPU = old }()
	v, err := vfs.New(New())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"online", "possible", "present"} {
		fd, err := v.OpenAt(vfs.Root, v.Root(), "/devices/system/cpu/"+name, unix.O_RDONLY, 0)
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		buf := make([]byte, 64)
		n, err := fd.Read(nil, buf)
		if string(buf[:n]) != "0-3\n" || err != nil {
			t.Errorf("read %s = %q, %v", name, buf[:n], err)
		}
		if n, _ := fd.Read(nil, buf); n != 0 {
			t.Errorf("second read of %s = %d bytes", name, n)
		}
		fd.DecRef()
	}
	fd, err := v.OpenAt(vfs.Root, v.Root(), "/devices/system/cpu", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fd.IterDirents(func(d vfs.Dirent) bool { names = append(names, d.Name); return true })
	fd.DecRef()
	if got := strings.Join(names, " "); got != ". .. online possible present cpu0 cpu1 cpu2 cpu3" {
		t.Errorf("cpu/ lists %q", got)
	}
	if st, err := v.StatAt(vfs.Root, v.Root(), "/fs/cgroup", 0); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("stat /fs/cgroup = %+v, %v", st, err)
	}
	if _, err := v.StatAt(vfs.Root, v.Root(), "/class", 0); err != unix.ENOENT {
		t.Errorf("stat /class: %v, want ENOENT", err)
	}
	if _, err := v.OpenAt(vfs.Root, v.Root(), "/devices/system/cpu/online", unix.O_WRONLY, 0); err == nil {
		t.Error("opened online for writing")
	}
	if err := v.Mkdir(vfs.Root, v.Root(), "/fs/cgroup/x", 0o755); err == nil {
		t.Error("mkdir in /sys succeeded")
	}
	if st, err := v.Root().Statfs(); err != nil || st.Type != SysfsMagic {
		t.Errorf("statfs = %+v, %v", st, err)
	}
}
