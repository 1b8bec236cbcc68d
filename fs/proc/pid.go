package proc

import (
	"bytes"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// pidDir is /proc/[pid] (task == nil) or /proc/[pid]/task/[tid]: the files
// describing a process, or one of its threads.
type pidDir struct {
	fs   *FS
	tg   *kernel.ThreadGroup
	task *kernel.Task // nil for the process directory
}

// pidEntry is a file of a pidDir.
type pidEntry struct {
	name string
	mode uint32
	// processOnly entries are not in task/[tid].
	processOnly bool
}

// pidEntries are a pidDir's files, in listing order; the index is part of
// the inode number (ino.go).
var pidEntries = []pidEntry{
	{name: "cgroup", mode: unix.S_IFREG | 0o444},
	{name: "cmdline", mode: unix.S_IFREG | 0o444},
	{name: "comm", mode: unix.S_IFREG | 0o444},
	{name: "cwd", mode: unix.S_IFLNK | 0o777},
	{name: "environ", mode: unix.S_IFREG | 0o400},
	{name: "exe", mode: unix.S_IFLNK | 0o777},
	{name: "fd", mode: unix.S_IFDIR | 0o500},
	{name: "fdinfo", mode: unix.S_IFDIR | 0o500},
	{name: "limits", mode: unix.S_IFREG | 0o444},
	{name: "maps", mode: unix.S_IFREG | 0o444},
	{name: "mountinfo", mode: unix.S_IFREG | 0o444},
	{name: "mounts", mode: unix.S_IFREG | 0o444},
	{name: "net", mode: unix.S_IFDIR | 0o555, processOnly: true},
	{name: "root", mode: unix.S_IFLNK | 0o777},
	{name: "smaps_rollup", mode: unix.S_IFREG | 0o444},
	{name: "stat", mode: unix.S_IFREG | 0o444},
	{name: "statm", mode: unix.S_IFREG | 0o444},
	{name: "status", mode: unix.S_IFREG | 0o444},
	{name: "task", mode: unix.S_IFDIR | 0o555, processOnly: true},
}

// pidDirNode returns the directory of tg, or of its thread t.
func (fs *FS) pidDirNode(tg *kernel.ThreadGroup, t *kernel.Task) *node {
	d := &pidDir{fs: fs, tg: tg, task: t}
	n := d.newNode(d.ino(-1), unix.S_IFDIR|0o555)
	n.dir = d
	return n
}

// ino returns the inode number of entry i, or of the directory for -1.
func (d *pidDir) ino(i int) uint64 {
	pid := d.tg.TGID()
	switch {
	case d.task == nil && i < 0:
		return pidIno(pid)
	case d.task == nil:
		return pidEntryIno(pid, i)
	case i < 0:
		return taskIno(pid, d.task.TID())
	}
	return taskEntryIno(pid, d.task.TID(), i)
}

// newNode returns a node owned by the process's effective user, dated
// from its start.
func (d *pidDir) newNode(ino uint64, mode uint32) *node {
	info := d.tg.Info()
	return &node{
		fs: d.fs, ino: ino, mode: mode,
		owner: vfs.Owner{UID: info.Credentials.EffectiveUID, GID: info.Credentials.EffectiveGID},
		time:  linux.TimeToTimespec(info.StartTime),
	}
}

func (d *pidDir) entries() ([]entry, error) {
	out := make([]entry, 0, len(pidEntries))
	for i, e := range pidEntries {
		if e.processOnly && d.task != nil {
			continue
		}
		out = append(out, entry{name: e.name, ino: d.ino(i), mode: e.mode & unix.S_IFMT, key: int64(i)})
	}
	return out, nil
}

func (d *pidDir) lookup(name string) (*node, error) {
	for i, e := range pidEntries {
		if e.name != name || (e.processOnly && d.task != nil) {
			continue
		}
		n := d.newNode(d.ino(i), e.mode)
		switch name {
		case "cgroup":
			n.read = d.cgroup
		case "cmdline":
			n.read = d.cmdline
		case "comm":
			n.read = func() ([]byte, error) { return []byte(d.thread().Comm() + "\n"), nil }
		case "cwd":
			n.link = d.cwd
		case "environ":
			n.read = d.environ
		case "exe":
			n.link = func() (string, error) { return d.fs.exeTarget(d.tg) }
		case "fd":
			n.dir = &fdDir{d: d}
		case "fdinfo":
			n.dir = &fdinfoDir{d: d}
		case "limits":
			n.read = d.limits
		case "mountinfo":
			n.read = d.mountinfo
		case "maps":
			n.read = d.maps
		case "mounts":
			n.read = d.mounts
		case "net":
			n.dir = &netDir{d: d}
		case "root":
			n.link = func() (string, error) { return "/", nil }
		case "smaps_rollup":
			n.read = d.smapsRollup
		case "stat":
			n.read = func() ([]byte, error) { return []byte(formatStat(d.statInfo())), nil }
		case "statm":
			n.read = d.statm
		case "status":
			n.read = func() ([]byte, error) { return []byte(formatStatus(d.statusInfo())), nil }
		case "task":
			n.dir = &taskDir{d: d}
		}
		return n, nil
	}
	return nil, unix.ENOENT
}

// thread returns the task the directory describes: its thread, or the
// process's leader.
func (d *pidDir) thread() *kernel.Task {
	if d.task != nil {
		return d.task
	}
	return d.tg.Leader()
}

// cmdline is argv, each argument followed by a NUL.
func (d *pidDir) cmdline() ([]byte, error) {
	argv, _ := d.tg.Args()
	return nulJoin(argv), nil
}

// environ is the environment, each variable followed by a NUL.
func (d *pidDir) environ() ([]byte, error) {
	_, envv := d.tg.Args()
	return nulJoin(envv), nil
}

func nulJoin(ss []string) []byte {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.Bytes()
}

// cwd is the path of the process's working directory.
func (d *pidDir) cwd() (string, error) {
	fsc := fsContext(d.tg)
	if fsc == nil {
		return "", unix.ENOENT
	}
	p, err := fsc.VFS.PathOf(fsc.Cwd())
	if err != nil {
		return p + " (deleted)", nil
	}
	return p, nil
}
