// Package syscalls is Ward's system-call table: one entry per Linux x86-64
// system call number, each a handler that decodes its arguments, copies
// memory in and out through the calling task, calls into the kernel, the
// memory manager or the VFS, and returns a value or an errno.
//
// An unimplemented system call returns ENOSYS and is counted and logged
// once through Kernel.Unimplemented; --strace shows every call with its
// decoded arguments and result.
//
// The package holds no locks of its own beyond what its types document.
package syscalls

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// Handler serves one system call.
type Handler func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error)

// entry is one row of the table.
type entry struct {
	name string
	fn   Handler
	// args describe the arguments for strace; see strace.go.
	args []argKind
	// ret says how strace prints the result.
	ret argKind
}

// Table is the system-call table; it implements kernel.SyscallTable.
type Table struct {
	entries [linux.NumSyscalls]entry
}

// New returns the table with every implemented system call.
func New() *Table {
	t := &Table{}
	for i := range t.entries {
		t.entries[i].name = linux.SyscallNames[i]
	}
	for _, r := range registrations {
		r(t)
	}
	return t
}

// registrations are filled by the init functions of the sys_*.go files.
var registrations []func(*Table)

func register(f func(*Table)) { registrations = append(registrations, f) }

// set installs a handler.
func (tb *Table) set(sysno int, fn Handler, ret argKind, args ...argKind) {
	tb.entries[sysno].fn = fn
	tb.entries[sysno].args = args
	tb.entries[sysno].ret = ret
}

// Implemented reports whether sysno has a handler.
func (tb *Table) Implemented(sysno int) bool {
	return sysno >= 0 && sysno < len(tb.entries) && tb.entries[sysno].fn != nil
}

// callGuarded runs e's handler. A panic in a handler is a bug of Ward's
// (usually an argument nobody checked), and must not take down the whole
// sandbox with it: it is logged with its stack, as an error, and the call
// fails with EINVAL.
func callGuarded(t *kernel.Task, e *entry, a *kernel.SyscallArgs) (ret uintptr, err error) {
	defer func() {
		if r := recover(); r != nil {
			t.Kernel().Log().Error("kernel bug: a system call handler panicked; the call fails with EINVAL",
				"syscall", e.name, "tid", t.TID(), "args", fmt.Sprintf("%#x", a[:]), "panic", r, "stack", string(debug.Stack()))
			ret, err = 0, unix.EINVAL
		}
	}()
	return e.fn(t, a)
}

// Call implements kernel.SyscallTable.
func (tb *Table) Call(t *kernel.Task, sysno uintptr, a *kernel.SyscallArgs) (uintptr, error) {
	var e *entry
	if sysno < uintptr(len(tb.entries)) {
		e = &tb.entries[sysno]
	}
	strace := t.Kernel().Strace() != nil
	if e == nil || e.fn == nil {
		name := fmt.Sprintf("syscall_%d", sysno)
		if e != nil && e.name != "" {
			name = e.name
		}
		t.Kernel().Unimplemented(t, sysno, name)
		if strace {
			t.Kernel().StraceLine(fmt.Sprintf("[%d] %s(%#x, %#x, %#x, ...) = -1 ENOSYS (not implemented in ward)\n", t.TID(), name, a[0], a[1], a[2]))
		}
		return 0, unix.ENOSYS
	}
	if !strace {
		return callGuarded(t, e, a)
	}
	enter := formatArgs(t, e, a, false)
	if sysno == linux.SysExit || sysno == linux.SysExitGroup || sysno == linux.SysExecve {
		t.Kernel().StraceLine(fmt.Sprintf("[%d] %s(%s) ...\n", t.TID(), e.name, enter))
	}
	ret, err := callGuarded(t, e, a)
	var b strings.Builder
	fmt.Fprintf(&b, "[%d] %s(%s) = ", t.TID(), e.name, mergeArgs(enter, formatArgs(t, e, a, true)))
	switch {
	case err == kernel.ErrNoReturn:
		b.WriteString("0")
	case err == kernel.ErrExit:
		b.WriteString("?")
	case err != nil:
		if errno, ok := err.(unix.Errno); ok {
			fmt.Fprintf(&b, "-1 %s (%s)", linux.ErrnoName(errno), errno.Error())
		} else {
			fmt.Fprintf(&b, "-1 (%v)", err)
		}
	default:
		b.WriteString(formatRet(e.ret, ret))
	}
	b.WriteByte('\n')
	t.Kernel().StraceLine(b.String())
	return ret, err
}
