package kernel

// ExitStatus is how a process ended: exited with Code, or killed by
// signal Signo (Core when the signal's default action dumps core).
type ExitStatus struct {
	Code  int
	Signo int
	Core  bool
}

// Signaled reports whether the process was killed by a signal.
func (e ExitStatus) Signaled() bool { return e.Signo != 0 }

// WaitStatus encodes e as the status word wait4 stores (see wait(2)).
func (e ExitStatus) WaitStatus() uint32 {
	if e.Signo != 0 {
		s := uint32(e.Signo) & 0x7f
		if e.Core {
			s |= 0x80
		}
		return s
	}
	return uint32(e.Code&0xff) << 8
}

// ShellStatus is the status a shell reports: the exit code, or 128+N for a
// process killed by signal N.
func (e ExitStatus) ShellStatus() int {
	if e.Signo != 0 {
		return 128 + e.Signo
	}
	return e.Code & 0xff
}
