package syscalls

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/kernel"
)

// argKind says how strace prints an argument or a result.
type argKind int

const (
	argInt    argKind = iota // signed decimal
	argHex                   // hexadecimal
	argPtr                   // pointer (NULL or 0x...)
	argFD                    // file descriptor (AT_FDCWD by name)
	argPath                  // NUL-terminated string read on entry
	argOct                   // octal (modes)
	argInBuf                 // buffer the app passes in; the next argument is its length
	argOutBuf                // buffer the kernel fills; the result is its length
	argStrv                  // NULL-terminated array of strings (argv)
	argSignal                // signal number
)

const straceMaxString = 64

// formatArgs renders the arguments; exit says whether the call has
// returned (output buffers are read then).
func formatArgs(t *kernel.Task, e *entry, a *kernel.SyscallArgs, exit bool) []string {
	out := make([]string, len(e.args))
	for i, k := range e.args {
		v := a[i]
		switch k {
		case argInt:
			out[i] = strconv.FormatInt(int64(v), 10)
			if int32(v) == int32(int64(v)) && int64(v) > 1<<31 {
				out[i] = strconv.FormatInt(int64(int32(v)), 10)
			}
		case argHex:
			out[i] = fmt.Sprintf("%#x", v)
		case argPtr:
			if v == 0 {
				out[i] = "NULL"
			} else {
				out[i] = fmt.Sprintf("%#x", v)
			}
		case argFD:
			if int32(v) == -100 {
				out[i] = "AT_FDCWD"
			} else {
				out[i] = strconv.Itoa(int(int32(v)))
			}
		case argOct:
			out[i] = fmt.Sprintf("%#o", v)
		case argSignal:
			out[i] = signalName(int(v))
		case argPath:
			if exit {
				continue
			}
			out[i] = quoteUser(t, v, straceMaxString, true)
		case argInBuf:
			if exit {
				continue
			}
			n := int(a[i+1])
			out[i] = quoteUserN(t, v, n)
		case argOutBuf:
			if !exit {
				out[i] = fmt.Sprintf("%#x", v)
				continue
			}
			ret := int64(t.Regs().Rax)
			if ret >= 0 {
				out[i] = quoteUserN(t, v, int(ret))
			} else {
				out[i] = fmt.Sprintf("%#x", v)
			}
		case argStrv:
			if exit {
				continue
			}
			out[i] = quoteStrv(t, v)
		}
	}
	return out
}

// mergeArgs prefers the exit rendering where there is one.
func mergeArgs(enter, exit []string) string {
	for i := range enter {
		if i < len(exit) && exit[i] != "" {
			enter[i] = exit[i]
		}
	}
	return strings.Join(enter, ", ")
}

func formatRet(k argKind, v uintptr) string {
	switch k {
	case argHex, argPtr:
		return fmt.Sprintf("%#x", v)
	}
	return strconv.FormatInt(int64(v), 10)
}

func quoteUser(t *kernel.Task, addr uintptr, max int, nulTerminated bool) string {
	if addr == 0 {
		return "NULL"
	}
	s, err := t.MM().CopyInString(addr, max+1)
	if err != nil && len(s) == 0 {
		return fmt.Sprintf("%#x", addr)
	}
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

func quoteUserN(t *kernel.Task, addr uintptr, n int) string {
	if n <= 0 {
		return `""`
	}
	show := n
	if show > straceMaxString {
		show = straceMaxString
	}
	buf := make([]byte, show)
	got, _ := t.MM().CopyIn(addr, buf)
	s := strconv.Quote(string(buf[:got]))
	if n > show {
		s += "..."
	}
	return s
}

func quoteStrv(t *kernel.Task, addr uintptr) string {
	if addr == 0 {
		return "NULL"
	}
	strs, err := copyInStrv(t, addr, 32, straceMaxString)
	if err != nil {
		return fmt.Sprintf("%#x", addr)
	}
	q := make([]string, len(strs))
	for i, s := range strs {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

var signalNames = [...]string{1: "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"}

func signalName(sig int) string {
	if sig > 0 && sig < len(signalNames) {
		return signalNames[sig]
	}
	if sig >= 32 && sig <= 64 {
		return fmt.Sprintf("SIGRT_%d", sig-32)
	}
	return strconv.Itoa(sig)
}
