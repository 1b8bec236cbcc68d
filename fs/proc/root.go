package proc

import (
	"sort"
	"strconv"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// pidKeyBase is the ReadDir key of /proc/[pid] minus the PID: after the
// static entries.
const pidKeyBase = 1 << 16

// rootDir is the top of /proc: the static entries, then one directory per
// live process. Before AttachKernel it is empty.
type rootDir struct {
	fs     *FS
	static *staticDir
}

// newRoot builds the root and the static tree.
func (fs *FS) newRoot() *node {
	b := &treeBuilder{fs: fs, now: vfs.Now()}
	root := b.node(unix.S_IFDIR | 0o555) // inoRoot
	self := b.node(unix.S_IFLNK | 0o777)
	self.link = fs.selfTarget
	threadSelf := b.node(unix.S_IFLNK | 0o777)
	threadSelf.link = fs.threadSelfTarget
	top := b.dir(
		named("self", self),
		named("thread-self", threadSelf),
		named("cpuinfo", b.text(fs.cpuinfo)),
		named("filesystems", b.text(filesystems)),
		named("loadavg", b.text(fs.loadavg)),
		named("meminfo", b.text(fs.meminfo)),
		named("mounts", b.symlink("self/mounts")),
		named("net", b.symlink("self/net")),
		named("stat", b.text(fs.stat)),
		named("sys", fs.sysTree(b)),
		named("uptime", b.text(fs.uptime)),
		named("version", b.text(version)),
	)
	root.dir = &rootDir{fs: fs, static: top.dir.(*staticDir)}
	return root
}

func (d *rootDir) entries() ([]entry, error) {
	k := d.fs.kernel()
	if k == nil {
		return nil, nil
	}
	out, _ := d.static.entries()
	procs := k.AllProcesses()
	pids := make([]int32, 0, len(procs))
	for _, tg := range procs {
		pids = append(pids, tg.TGID())
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	for _, pid := range pids {
		out = append(out, entry{
			name: strconv.Itoa(int(pid)), ino: pidIno(pid), mode: unix.S_IFDIR, key: pidKeyBase + int64(pid),
		})
	}
	return out, nil
}

func (d *rootDir) lookup(name string) (*node, error) {
	k := d.fs.kernel()
	if k == nil {
		return nil, unix.ENOENT
	}
	if n, err := d.static.lookup(name); err == nil {
		return n, nil
	}
	pid, ok := parseID(name)
	if !ok {
		return nil, unix.ENOENT
	}
	tg, ok := k.FindProcess(pid)
	if !ok {
		return nil, unix.ENOENT
	}
	return d.fs.pidDirNode(tg, nil), nil
}

// parseID parses a PID, TID or descriptor number written as Linux writes
// them (decimal, no sign, no leading zeros).
func parseID(name string) (int32, bool) {
	if name == "" || (len(name) > 1 && name[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(name, 10, 32)
	if err != nil || n < 0 {
		return 0, false
	}
	return int32(n), true
}

// selfTarget is /proc/self: the caller's PID.
func (fs *FS) selfTarget() (string, error) {
	k := fs.kernel()
	if k == nil {
		return "", unix.ENOENT
	}
	t, ok := k.TaskForCurrentThread()
	if !ok {
		return "", unix.ENOENT
	}
	return strconv.Itoa(int(t.PID())), nil
}

// threadSelfTarget is /proc/thread-self: the caller's PID and TID.
func (fs *FS) threadSelfTarget() (string, error) {
	k := fs.kernel()
	if k == nil {
		return "", unix.ENOENT
	}
	t, ok := k.TaskForCurrentThread()
	if !ok {
		return "", unix.ENOENT
	}
	return strconv.Itoa(int(t.PID())) + "/task/" + strconv.Itoa(int(t.TID())), nil
}
