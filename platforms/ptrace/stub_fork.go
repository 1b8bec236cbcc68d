//go:build linux && amd64

package ptrace

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Forking stubs from a template.
//
// Starting a stub with fork and exec of the stub image, then preparing it
// (stub_prepare.go), takes about half a millisecond of the master's time,
// and fork+exec+wait of a program needs two new stubs. The pool therefore
// starts stubs by forking a template: a prepared stub that never runs
// application code. The master injects clone(CLONE_PTRACE) into the
// template's leader; the child is a copy of a prepared stub (the code and
// scratch pages, the seccomp filter, the name, the session, only fd 0) and
// starts traced by the master with a SIGSTOP pending, whose stop is its
// first. It then needs only a socket of its own.
//
// The child's fd 0 is the template's end of the template's socket. Ward
// creates a new socket pair, sends one end over the template's socket and
// has the child receive it (installFD) and move it to fd 0 with dup3. A
// failure between the send and the receive would leave a stale descriptor
// in the template's socket, so it retires the template (the next start
// makes a new one).
//
// The template ignores SIGCHLD, so a forked stub, once Ward (its tracer) has
// reaped its exit, is released at once instead of staying a zombie child
// of the template. A forked stub dies with Ward through PTRACE_O_EXITKILL
// (the master's thread traces its leader), not with the template: a
// template killed from outside takes no pooled stub with it.

// scratchSigaction is where newTemplate puts its struct sigaction, after the
// recvmsg buffers (stub_fds.go) and before the batch table.
const scratchSigaction = 384

// newTemplate prepares s, a freshly started stub, to be forked: it makes it
// ignore SIGCHLD.
//
// Preconditions: on the master goroutine.
func newTemplate(s *stub) error {
	act := make([]byte, 32)               // struct kernel_sigaction: handler, flags, restorer, mask
	binary.LittleEndian.PutUint64(act, 1) // SIG_IGN
	if err := writeScratch(s.pid, s.pid, scratchSigaction, act); err != nil {
		return err
	}
	if _, err := s.syscall(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), stubScratch+scratchSigaction, 0, 8); err != nil {
		return fmt.Errorf("ptrace: template stub %d: rt_sigaction(SIGCHLD, SIG_IGN): %w", s.pid, err)
	}
	return nil
}

// errTemplateBroken is wrapped by forkStub's errors after which the
// template must not be forked again.
var errTemplateBroken = errors.New("template stub unusable")

// forkStub starts a stub by forking the template t.
//
// Preconditions: on the master goroutine.
func forkStub(t *stub) (*stub, error) {
	r, err := t.syscallAt(cloneSlot, cloneTrap, unix.SYS_CLONE, unix.CLONE_PTRACE|uintptr(unix.SIGCHLD), 0, 0, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("ptrace: forking template stub %d: %w (%w)", t.pid, err, errTemplateBroken)
	}
	s := newStubOf(int32(r), -1)
	s.regs = t.regs
	ws, _, err := wait(s.pid, 0)
	switch {
	case err != nil:
		s.kill()
		return nil, fmt.Errorf("ptrace: waiting for forked stub %d: %w", s.pid, err)
	case ws.Exited() || ws.Signaled():
		s.dead = true
		return nil, fmt.Errorf("ptrace: forked stub %d %s: %w", s.pid, describeExit(ws), errStubDied)
	case !ws.Stopped():
		s.kill()
		return nil, fmt.Errorf("ptrace: forked stub %d: unexpected first stop %#x", s.pid, uint32(ws))
	}
	if err := ptrace(unix.PTRACE_SETOPTIONS, s.pid, 0, ptraceOptions); err != nil {
		s.kill()
		return nil, fmt.Errorf("ptrace: PTRACE_SETOPTIONS on forked stub %d: %w", s.pid, err)
	}
	// The injections below are round trips between this thread and the
	// child: on one CPU they cost a fraction of what they cost across
	// two (see thread.follow).
	if cpu := getcpu(); cpu >= 0 {
		_ = bindToCPU(s.pid, cpu)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		s.kill()
		return nil, fmt.Errorf("ptrace: socketpair for stub: %w", err)
	}
	s.sock = t.sock // the child's fd 0 is the template's end
	n, err := s.installFD(s, fds[1])
	unix.Close(fds[1])
	s.sock = fds[0]
	if err != nil {
		s.kill()
		return nil, fmt.Errorf("ptrace: forked stub: %w (%w)", err, errTemplateBroken)
	}
	err = s.batch([]call{
		{nr: unix.SYS_DUP3, args: [6]uintptr{uintptr(n), 0, 0}},
		{nr: unix.SYS_CLOSE, args: [6]uintptr{uintptr(n)}},
	})
	if err != nil {
		s.kill()
		return nil, fmt.Errorf("ptrace: preparing forked stub %d: %w", s.pid, err)
	}
	return s, nil
}
