package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// Capabilities (<linux/capability.h>). The kernel keeps each process's
// effective, permitted and inheritable sets (root starts with all of
// them, inside the sandbox only); capget reports them and capset changes
// them under Linux's rules. Permission checks still follow the effective
// UID: dropping a capability does not yet take the privilege away.
const (
	capVersion1 = 0x19980330
	capVersion2 = 0x20071026
	capVersion3 = 0x20080522
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysCapget, sysCapget, argInt, argPtr, argPtr)
		tb.set(linux.SysCapset, sysCapset, argInt, argPtr, argPtr)
	})
}

// capHeader reads struct __user_cap_header_struct and returns the number
// of 32-bit data words its version uses; an unknown version is answered
// by writing the preferred one back and EINVAL, as Linux does.
func capHeader(t *kernel.Task, addr uintptr) (words int, pid int32, err error) {
	var b [8]byte
	if _, err := t.MM().CopyIn(addr, b[:]); err != nil {
		return 0, 0, err
	}
	switch le.Uint32(b[0:]) {
	case capVersion1:
		words = 1
	case capVersion2, capVersion3:
		words = 2
	default:
		le.PutUint32(b[0:], capVersion3)
		t.MM().CopyOut(addr, b[:4])
		return 0, 0, unix.EINVAL
	}
	return words, int32(le.Uint32(b[4:])), nil
}

// capsOf returns the effective, permitted and inheritable sets of a
// process.
func capsOf(c *kernel.Credentials) (eff, perm, inh uint64) {
	return c.CapEffective, c.CapPermitted, c.CapInheritable
}

func sysCapget(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if err != nil {
		return 0, err
	}
	c := t.Credentials()
	if pid != 0 && pid != t.PID() {
		tg, ok := t.Kernel().FindProcess(pid)
		if !ok {
			return 0, unix.ESRCH
		}
		c = tg.Leader().Credentials()
	}
	if a[1] == 0 {
		return 0, nil
	}
	eff, perm, inh := capsOf(&c)
	buf := make([]byte, 12*words)
	for i := 0; i < words; i++ {
		le.PutUint32(buf[12*i:], uint32(eff>>(32*i)))
		le.PutUint32(buf[12*i+4:], uint32(perm>>(32*i)))
		le.PutUint32(buf[12*i+8:], uint32(inh>>(32*i)))
	}
	_, err = t.MM().CopyOut(a[1], buf)
	return 0, err
}

func sysCapset(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if err != nil {
		return 0, err
	}
	if pid != 0 && pid != t.PID() {
		return 0, unix.EPERM
	}
	buf := make([]byte, 12*words)
	if _, err := t.MM().CopyIn(a[1], buf); err != nil {
		return 0, err
	}
	var eff, perm, inh uint64
	for i := 0; i < words; i++ {
		eff |= uint64(le.Uint32(buf[12*i:])) << (32 * i)
		perm |= uint64(le.Uint32(buf[12*i+4:])) << (32 * i)
		inh |= uint64(le.Uint32(buf[12*i+8:])) << (32 * i)
	}
	if words == 1 {
		// Version 1 carries only the low 32 capabilities; the others
		// keep their value.
		c := t.Credentials()
		ce, cp, ci := capsOf(&c)
		eff |= ce &^ 0xffffffff
		perm |= cp &^ 0xffffffff
		inh |= ci &^ 0xffffffff
	}
	return 0, t.SetCapabilities(eff, perm, inh)
}
