package proc

import (
	"path"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// /proc/[pid]/exe must name the program the process runs, by an absolute
// path that opens it: busybox re-executes itself with
// execve("/proc/self/exe", ...). The kernel records the path the program
// was exec'd by (ThreadGroup.ExecName), which is absolute in the common
// case but is "/proc/self/exe" itself after such a re-exec, and relative
// after execve("./prog"). So:
//
//   - an absolute ExecName outside /proc is the answer, and is remembered
//     for the process;
//   - an ExecName inside /proc was resolved, while the exec was loading it,
//     by a read of this very link, whose answer was remembered: that
//     answer is used; a process with none (a child forked after such an
//     exec) uses its nearest ancestor's;
//   - a relative ExecName is joined to the current working directory (the
//     one at exec time is not known).
//
// This goes away once exec records the resolved path of the file it
// opened; an absolute ExecName outside /proc is then always the case.

// exeMemo is the last absolute path /proc/[pid]/exe gave for a process.
type exeMemo struct {
	path string
}

// exeMemoPrune is the memo size above which entries of processes that are
// gone are dropped.
const exeMemoPrune = 64

// exeTarget returns the target of /proc/[pid]/exe for tg.
func (fs *FS) exeTarget(tg *kernel.ThreadGroup) (string, error) {
	name := tg.ExecName()
	if name == "" {
		return "", unix.ENOENT
	}
	if usableExe(name) {
		p := path.Clean(name)
		fs.rememberExe(tg, p)
		return p, nil
	}
	if !path.IsAbs(name) {
		if fsc := fsContext(tg); fsc != nil {
			if cwd, err := fsc.VFS.PathOf(fsc.Cwd()); err == nil {
				if p := path.Join(cwd, name); usableExe(p) {
					return p, nil
				}
			}
		}
		return "", unix.ENOENT
	}
	// An exec through /proc: this process's memo, or an ancestor's.
	k := fs.kernel()
	for g, hops := tg, 0; g != nil && hops < 64; hops++ {
		if p, ok := fs.recallExe(g); ok {
			if g != tg {
				fs.rememberExe(tg, p)
			}
			return p, nil
		}
		if n := g.ExecName(); usableExe(n) {
			return path.Clean(n), nil
		}
		ppid := g.Info().PPID
		if ppid == 0 || k == nil {
			break
		}
		g, _ = k.FindProcess(ppid)
	}
	return "", unix.ENOENT
}

// usableExe reports whether an exec name is an absolute path that does not
// go through /proc.
func usableExe(name string) bool {
	if !path.IsAbs(name) {
		return false
	}
	p := path.Clean(name)
	return p != "/proc" && !strings.HasPrefix(p, "/proc/")
}

func (fs *FS) rememberExe(tg *kernel.ThreadGroup, p string) {
	fs.mu.Lock()
	fs.exes[tg] = exeMemo{path: p}
	var all []*kernel.ThreadGroup
	if len(fs.exes) > exeMemoPrune {
		for g := range fs.exes {
			all = append(all, g)
		}
	}
	fs.mu.Unlock()

	// Drop the processes that are gone, asking the kernel without FS.mu.
	k := fs.kernel()
	if k == nil || len(all) == 0 {
		return
	}
	var dead []*kernel.ThreadGroup
	for _, g := range all {
		if live, ok := k.FindProcess(g.TGID()); !ok || live != g {
			dead = append(dead, g)
		}
	}
	fs.mu.Lock()
	for _, g := range dead {
		delete(fs.exes, g)
	}
	fs.mu.Unlock()
}

func (fs *FS) recallExe(tg *kernel.ThreadGroup) (string, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	m, ok := fs.exes[tg]
	return m.path, ok
}
