package dev

import (
	"github.com/seed-a9fb2a21/ward/core/kernel"
)

// Sessions is what the terminals need from the kernel for job control: who
// is calling, which session a process group belongs to, and signals for
// the foreground process group and the session leader.
//
// The sandbox hands /dev the kernel through AttachKernel, which installs
// the implementation over *kernel.Kernel (kernelSessions); another kernel,
// or a test, installs its own with SetSessions. Without one, the pty still
// works as a pipe with a line discipline, but ^C raises no signal and the
// job-control ioctls (TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID) fail with
// ENOTTY.
//
// Implementations take the kernel's locks; fs/dev calls them with none of
// its own locks held.
type Sessions interface {
	// Caller returns the process whose system call is being served, and
	// false on a goroutine that serves no task.
	Caller() (Caller, bool)

	// GroupSession returns the session of process group pgid, and false
	// if the group has no live process.
	GroupSession(pgid int32) (int32, bool)

	// SessionAlive reports whether session sid has a live process.
	SessionAlive(sid int32) bool

	// SignalGroup sends sig to every process of process group pgid, as
	// the kernel (no permission check).
	SignalGroup(pgid int32, sig int)

	// SignalProcess sends sig to process pid, as the kernel.
	SignalProcess(pid int32, sig int)
}

// Caller identifies the process making a system call.
type Caller struct {
	PID, PGID, SID int32
	// UID and GID are the filesystem IDs: the owner of a new pty.
	UID, GID uint32
	// Privileged is CAP_SYS_ADMIN (UID 0 in the sandbox): TIOCSCTTY with
	// arg 1 may take a terminal from another session.
	Privileged bool
}

// AttachKernel makes the terminals use k's processes for job control. The
// sandbox calls it once, before the first process starts.
func (fs *FS) AttachKernel(k *kernel.Kernel) { fs.SetSessions(kernelSessions{k}) }

// SetSessions installs the job-control hook (see Sessions).
func (fs *FS) SetSessions(s Sessions) { fs.sessions.Store(&s) }

// hook returns the job-control hook, or nil.
func (fs *FS) hook() Sessions {
	if s := fs.sessions.Load(); s != nil {
		return *s
	}
	return nil
}

// caller returns the calling process, if a hook knows it.
func (fs *FS) caller() (Caller, bool) {
	if h := fs.hook(); h != nil {
		return h.Caller()
	}
	return Caller{}, false
}

// kernelSessions implements Sessions with core/kernel's accessors.
type kernelSessions struct{ k *kernel.Kernel }

func (s kernelSessions) Caller() (Caller, bool) {
	t, ok := s.k.TaskForCurrentThread()
	if !ok {
		return Caller{}, false
	}
	info := t.ThreadGroup().Info()
	c := info.Credentials
	return Caller{
		PID: info.PID, PGID: info.PGID, SID: info.SID,
		UID: c.FilesystemUID, GID: c.FilesystemGID, Privileged: c.Privileged(),
	}, true
}

func (s kernelSessions) GroupSession(pgid int32) (int32, bool) {
	for _, tg := range s.k.ProcessesInGroup(pgid) {
		if info := tg.Info(); !info.Exiting {
			return info.SID, true
		}
	}
	return 0, false
}

func (s kernelSessions) SessionAlive(sid int32) bool {
	for _, tg := range s.k.AllProcesses() {
		if info := tg.Info(); info.SID == sid && !info.Exiting {
			return true
		}
	}
	return false
}

func (s kernelSessions) SignalGroup(pgid int32, sig int) {
	for _, tg := range s.k.ProcessesInGroup(pgid) {
		s.k.SendSignal(nil, tg, sig)
	}
}

func (s kernelSessions) SignalProcess(pid int32, sig int) {
	if tg, ok := s.k.FindProcess(pid); ok {
		s.k.SendSignal(nil, tg, sig)
	}
}
