//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Offsets in the scratch page of what prepare writes there (before the
// batch table at scratchBatch).
const (
	scratchName   = 0  // the stub's name, NUL-terminated
	scratchFilter = 64 // the seccomp filter's sock_fprog and program
)

// prepare turns a stub that exec just started into a clean one: it gives it
// its scratch page, takes away everything exec gave it besides its code
// (stack; the vDSO and vvar move to vdsoBase, see vdso.go), names it (the exec through /proc/self/fd/N named it
// "N"), installs the seccomp filter (stub_seccomp.go) and closes any
// descriptor that leaked into it through a missing O_CLOEXEC in Ward (fd
// 0, the socket, stays). After the scratch page exists, all of it is one
// batch. A host without seccomp (ENOSYS, EINVAL) or close_range (ENOSYS)
// is tolerated.
//
// Preconditions: on the master goroutine; the stub has cloned no thread.
func (s *stub) prepare() error {
	if _, err := s.syscall(unix.SYS_MMAP, stubScratch, pageSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, ^uintptr(0), 0); err != nil {
		return fmt.Errorf("mmap scratch page: %w", err)
	}
	data := make([]byte, scratchFilter)
	copy(data[scratchName:], stubName+"\x00")
	data = append(data, filterProgram(scratchFilter)...)
	if err := writeScratch(s.pid, s.pid, 0, data); err != nil {
		return err
	}
	// The vDSO block moves to its place (vdso.go) before the rest of
	// what exec mapped goes.
	calls, err := vdsoCalls(int(s.pid))
	if err != nil {
		return err
	}
	calls = append(calls, []call{
		{nr: unix.SYS_MUNMAP, args: [6]uintptr{0, vdsoBase}},
		{nr: unix.SYS_MUNMAP, args: [6]uintptr{stubEnd, taskSize - stubEnd}},
		{nr: unix.SYS_PRCTL, args: [6]uintptr{unix.PR_SET_NAME, stubScratch + scratchName}},
		{nr: unix.SYS_PRCTL, args: [6]uintptr{unix.PR_SET_NO_NEW_PRIVS, 1}},
		{nr: unix.SYS_SECCOMP, args: [6]uintptr{unix.SECCOMP_SET_MODE_FILTER, 0, stubScratch + scratchFilter}},
		{nr: unix.SYS_CLOSE_RANGE, args: [6]uintptr{1, ^uintptr(0) >> 32, 0}},
	}...)
	for len(calls) > 0 {
		err := s.batch(calls)
		var be *batchError
		if !errors.As(err, &be) {
			return err
		}
		tolerated := (be.nr == unix.SYS_SECCOMP && (be.errno == unix.ENOSYS || be.errno == unix.EINVAL)) ||
			(be.nr == unix.SYS_CLOSE_RANGE && be.errno == unix.ENOSYS)
		if !tolerated {
			return fmt.Errorf("syscall %d: %w", be.nr, be.errno)
		}
		calls = calls[be.index+1:]
	}
	return nil
}
