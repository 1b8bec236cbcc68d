package linux

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrnoName returns the symbolic name of e as strace prints it ("ENOENT"),
// or "errno N" for a number the headers do not define. Aliases get their
// canonical name: EWOULDBLOCK is "EAGAIN", EDEADLOCK is "EDEADLK".
func ErrnoName(e unix.Errno) string {
	if e > 0 && e <= maxErrno && errnoNames[e] != "" {
		return errnoNames[e]
	}
	return "errno " + strconv.FormatUint(uint64(e), 10)
}

// ErrnoText returns the description of e from the kernel headers ("No such
// file or directory"), or "" for a number the headers do not define.
func ErrnoText(e unix.Errno) string {
	if e > 0 && e <= maxErrno {
		return errnoTexts[e]
	}
	return ""
}

// Errnos that are internal to the kernel (include/linux/errno.h): a system
// call handler returns them to ask for a restart after a signal handler, and
// the application never sees them.
const (
	ERESTARTSYS           unix.Errno = 512
	ERESTARTNOINTR        unix.Errno = 513
	ERESTARTNOHAND        unix.Errno = 514
	ENOIOCTLCMD           unix.Errno = 515
	ERESTART_RESTARTBLOCK unix.Errno = 516
)
