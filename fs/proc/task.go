package proc

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// taskDir is /proc/[pid]/task: a directory per thread of the process, each
// with the files of a pidDir that describe one thread.
type taskDir struct{ d *pidDir }

func (td *taskDir) entries() ([]entry, error) {
	info := td.d.tg.Info()
	out := make([]entry, len(info.Threads))
	for i, t := range info.Threads {
		out[i] = entry{
			name: strconv.Itoa(int(t.TID())), ino: taskIno(info.PID, t.TID()),
			mode: unix.S_IFDIR, key: int64(t.TID()),
		}
	}
	return out, nil
}

func (td *taskDir) lookup(name string) (*node, error) {
	tid, ok := parseID(name)
	if !ok {
		return nil, unix.ENOENT
	}
	for _, t := range td.d.tg.Info().Threads {
		if t.TID() == tid {
			return td.d.fs.pidDirNode(td.d.tg, t), nil
		}
	}
	return nil, unix.ENOENT
}
