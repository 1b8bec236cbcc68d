package linux

import (
	"testing"

	"golang.org/x/sys/unix"
)

// xsysAliases are names x/sys/unix prefers where the header has another for
// the same number (strace prints the header's).
var xsysAliases = map[string]bool{"EDEADLOCK": true, "ENOTSUP": true, "EFSCORRUPTED": true}

func TestErrnoName(t *testing.T) {
	for _, tc := range []struct {
		e    unix.Errno
		want string
	}{
		{unix.EPERM, "EPERM"}, {unix.ENOENT, "ENOENT"}, {unix.EAGAIN, "EAGAIN"},
		{unix.EWOULDBLOCK, "EAGAIN"}, {unix.ENOSYS, "ENOSYS"}, {unix.EHWPOISON, "EHWPOISON"},
		{0, "errno 0"}, {4000, "errno 4000"},
	} {
		if got := ErrnoName(tc.e); got != tc.want {
			t.Errorf("ErrnoName(%d) = %q, want %q", int(tc.e), got, tc.want)
		}
	}
	if got := ErrnoText(unix.ENOENT); got != "No such file or directory" {
		t.Errorf("ErrnoText(ENOENT) = %q", got)
	}
	// Every number up to the highest must have a name, and it must agree
	// with x/sys/unix's table (also generated from headers).
	for e := unix.Errno(1); e <= maxErrno; e++ {
		if errnoNames[e] == "" {
			continue // 41 and 58 are unused on x86-64
		}
		name := ErrnoName(e)
		if u := unix.ErrnoName(e); u != "" && u != name && !xsysAliases[u] {
			t.Errorf("errno %d: %q, x/sys/unix says %q", int(e), name, u)
		}
	}
}
