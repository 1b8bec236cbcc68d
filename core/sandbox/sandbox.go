// Package sandbox boots a sandbox from a validated config: it builds the
// platform, the memory file, the filesystems and mount tree, the network
// stack and the kernel, imports ward's standard input and output, starts
// the init process and waits for it.
//
// It reaches every implementation through core/registry (never by
// importing subsystem packages), so it boots whatever set the binary
// links.
package sandbox

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path"
	"strings"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"github.com/seed-a9fb2a21/ward/core/syscalls"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Options are the run-time choices that are not in the config.
type Options struct {
	// Log receives the kernel's events.
	Log *slog.Logger
	// Strace, when not nil, receives a line per system call.
	Strace io.Writer
	// Environ is ward's own environment, for process.inherit_env.
	Environ []string
	// Stdio are the host descriptors that become fds 0, 1 and 2.
	Stdio [3]int
}

// Error is a failure to boot: the sandbox never ran.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func bootErr(format string, args ...any) error {
	return &Error{fmt.Errorf(format, args...)}
}

// Run boots the sandbox described by sb, runs its process to the end and
// returns how init ended. An error means the sandbox could not boot (the
// error is a *Error) or ward itself failed.
func Run(sb *config.Sandbox, opts Options) (kernel.ExitStatus, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(sb.Process.Args) == 0 {
		return kernel.ExitStatus{}, bootErr("nothing to run: the process has no args")
	}

	cgLimits, err := cgroupLimits(sb)
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	// The memory file outlives the platform, which may hold on to its
	// descriptor (platform.StableFiles).
	mf, err := memfile.New(memfile.Options{Name: "ward-memory", Limit: memoryLimit(cgLimits)})
	if err != nil {
		return kernel.ExitStatus{}, fmt.Errorf("memory file: %w", err)
	}
	defer mf.Close()

	plat, err := newSubsystem[platform.Platform](sb.Platform)
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	defer plat.Close()

	stack, err := newSubsystem[inet.Stack](sb.Network)
	if err != nil {
		return kernel.ExitStatus{}, err
	}

	k, err := kernel.New(kernel.Config{
		Platform: plat,
		MemFile:  mf,
		Syscalls: syscalls.New(),
		Hostname: sb.Hostname,
		Log:      opts.Log,
		Strace:   opts.Strace,
		Limits:   cgLimits,
		MaxTasks: maxTasks(cgLimits),
		// The stack serves the families that are not the kernel's own.
		Network: stack,
	})
	if err != nil {
		return kernel.ExitStatus{}, err
	}

	v, attach, err := buildVFS(sb, mf)
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	// Filesystems that describe the kernel (proc) get it now, before
	// any task runs.
	for _, a := range attach {
		a.AttachKernel(k)
	}

	jc := &jobControl{k: k, fg: 1}
	vfs.SetJobControl(jc)

	fdt := vfs.NewFDTable(1024)
	for i, hostFD := range opts.Stdio {
		flags := unix.O_RDWR
		if fl, err := unix.FcntlInt(uintptr(hostFD), unix.F_GETFL, 0); err == nil {
			flags = fl & unix.O_ACCMODE
		}
		f, err := vfs.ImportHostFD(hostFD, vfs.HostFileOptions{Flags: flags})
		if err != nil {
			// A closed standard descriptor stays closed in the sandbox.
			continue
		}
		fdt.NewAt(i, f, false) // the table takes its own reference
		f.DecRef()
	}
	files := syscalls.NewFiles(fdt)

	creds := kernel.NewCredentials(sb.Process.User.UID, sb.Process.User.GID, sb.Process.User.Groups)
	vcreds := &vfs.Credentials{UID: creds.FilesystemUID, GID: creds.FilesystemGID, Groups: creds.Groups}
	cwd, err := workingDir(v, vcreds, sb.Process.Cwd)
	if err != nil {
		files.DecRef()
		return kernel.ExitStatus{}, err
	}
	fsc := syscalls.NewFSContext(v, cwd, 0o022)

	limits := kernel.DefaultLimits()
	for _, r := range sb.Process.Rlimits {
		limits[r.Resource] = kernel.Limit{Cur: r.Soft, Max: r.Hard}
	}
	fdt.SetLimit(int(min(limits[unix.RLIMIT_NOFILE].Cur, uint64(vfs.MaxFDs))))

	t, err := k.CreateInit(kernel.InitSpec{
		Credentials: creds,
		Limits:      limits,
		Resources:   &kernel.Resources{Files: files, FS: fsc},
	})
	if err != nil {
		return kernel.ExitStatus{}, err
	}

	env := environment(sb.Process, opts.Environ)
	argv := sb.Process.Args
	prog, err := lookPath(v, vcreds, cwd, argv[0], env)
	if err != nil {
		t.Abandon(kernel.ExitStatus{Code: 127})
		return kernel.ExitStatus{}, bootErr("%s: %v", argv[0], err)
	}
	img, err := syscalls.Load(t, cwd, prog, argv, env, false)
	if err != nil {
		t.Abandon(kernel.ExitStatus{Code: 126})
		return kernel.ExitStatus{}, bootErr("cannot execute %s: %v", prog, explain(err))
	}
	t.Exec(img)

	// Host signals that mean "stop" are forwarded to init.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case s := <-sigs:
				opts.Log.Debug("forwarding host signal to init", "signal", s)
				k.SignalInit(int(s.(unix.Signal)))
			case <-done:
				return
			}
		}
	}()

	t.Start()
	st := k.Wait()
	close(done)
	wg.Wait()
	return st, nil
}

// newSubsystem builds a resolved built-in subsystem and checks that it
// implements the kind's interface.
func newSubsystem[T any](s *config.Subsystem) (T, error) {
	var zero T
	if s.Factory == nil {
		if s.Plugin != nil {
			return zero, bootErr("%s %q is an external plugin; running external %s plugins is not supported yet", s.Kind, s.Name, s.Kind)
		}
		return zero, bootErr("this build has no %s %q", s.Kind, s.Name)
	}
	v, err := s.Factory.New(s.Config)
	if err != nil {
		return zero, bootErr("%s %q: %v", s.Kind, s.Name, err)
	}
	impl, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%s %q (package %s) returned %T, which does not implement the %s interface", s.Kind, s.Name, s.Factory.Package, v, s.Kind)
	}
	return impl, nil
}

// buildVFS creates the root filesystem and mounts the others on it in
// declaration order. A missing mount point is created when the filesystem
// below can create it (an overlay or tmpfs root), as a container runtime
// does. Filesystems that keep data in memory (tmpfs, the overlay's upper
// layer) charge it to the memory file's limit.
func buildVFS(sb *config.Sandbox, mf *memfile.File) (*vfs.VFS, []kernelAttacher, error) {
	var attach []kernelAttacher
	rootFS, err := newSubsystem[vfs.Filesystem](&sb.Root.Subsystem)
	if err != nil {
		return nil, nil, err
	}
	if a, ok := rootFS.(kernelAttacher); ok {
		attach = append(attach, a)
	}
	if m, ok := rootFS.(vfs.MemoryAccounted); ok {
		m.SetMemoryCharger(mf)
	}
	v, err := vfs.New(rootFS)
	if err != nil {
		return nil, nil, bootErr("root filesystem: %v", err)
	}
	for _, m := range sb.Mounts {
		fs, err := newSubsystem[vfs.Filesystem](&m.Subsystem)
		if err != nil {
			return nil, nil, err
		}
		if a, ok := fs.(kernelAttacher); ok {
			attach = append(attach, a)
		}
		if m, ok := fs.(vfs.MemoryAccounted); ok {
			m.SetMemoryCharger(mf)
		}
		if _, err := v.StatAt(vfs.Root, v.Root(), m.Path, 0); errors.Is(err, unix.ENOENT) {
			mkdirAll(v, m.Path)
		}
		if _, err := v.MountAt(vfs.Root, m.Path, fs, 0); err != nil {
			return nil, nil, bootErr("mount %s (%s): %v", m.Path, m.Name, err)
		}
	}
	return v, attach, nil
}

// kernelAttacher is a filesystem that describes the kernel (proc): it is
// handed the kernel once it exists.
type kernelAttacher interface {
	AttachKernel(k *kernel.Kernel)
}

func mkdirAll(v *vfs.VFS, p string) {
	cur := ""
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		cur += "/" + part
		v.Mkdir(vfs.Root, v.Root(), cur, 0o755)
	}
}

// environment is the init process's environment: ward's own when
// inherit_env is set, then the config's env on top.
func environment(p config.Process, environ []string) []string {
	var env []string
	idx := map[string]int{}
	add := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			env[i] = kv
			return
		}
		idx[k] = len(env)
		env = append(env, kv)
	}
	if p.InheritEnv {
		for _, kv := range environ {
			add(kv)
		}
	}
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		add(k + "=" + p.Env[k])
	}
	if _, ok := idx["PATH"]; !ok {
		add("PATH=" + defaultPath)
	}
	return env
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath finds a command without a slash in the sandbox's PATH, as a
// shell would.
func lookPath(v *vfs.VFS, c *vfs.Credentials, cwd vfs.Location, name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	p := defaultPath
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			p = kv[5:]
		}
	}
	for _, dir := range strings.Split(p, ":") {
		if dir == "" {
			dir = "."
		}
		cand := path.Join(dir, name)
		st, err := v.StatAt(c, cwd, cand, 0)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&0o111 != 0 {
			return cand, nil
		}
	}
	return "", errors.New("command not found in the sandbox's PATH")
}

func explain(err error) string {
	if errno, ok := err.(unix.Errno); ok {
		if errno == unix.ENOEXEC {
			return "not an executable this kernel can run (ENOEXEC; dynamic executables are not supported yet)"
		}
		return errno.Error()
	}
	return err.Error()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// jobControl answers the terminal's foreground process group with the
// sandbox's own process groups.
type jobControl struct {
	k  *kernel.Kernel
	mu sync.Mutex
	fg int32
}

// Session is the init process's session, whose controlling terminal the
// host terminal is.
func (j *jobControl) Session() int32 { return 1 }

func (j *jobControl) ForegroundPgrp() (int32, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fg, nil
}

func (j *jobControl) SetForegroundPgrp(pgid int32) error {
	if pgid <= 0 {
		return unix.EINVAL
	}
	if len(j.k.ProcessesInGroup(pgid)) == 0 {
		return unix.ESRCH
	}
	j.mu.Lock()
	j.fg = pgid
	j.mu.Unlock()
	// Forwarded ^C goes to the job in the foreground.
	j.k.SetForegroundGroup(pgid)
	return nil
}

// workingDir resolves the init process's working directory: the config's,
// or ward's own when the config has none and the sandbox has that
// directory, else "/".
func workingDir(v *vfs.VFS, c *vfs.Credentials, want string) (vfs.Location, error) {
	if want != "" {
		loc, err := v.Chdir(c, v.Root(), want)
		if err != nil {
			return vfs.Location{}, bootErr("working directory %q: %v", want, err)
		}
		return loc, nil
	}
	if wd, err := os.Getwd(); err == nil {
		if loc, err := v.Chdir(c, v.Root(), wd); err == nil {
			return loc, nil
		}
	}
	return v.Chdir(c, v.Root(), "/")
}
