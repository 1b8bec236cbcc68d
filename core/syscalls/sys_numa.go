package syscalls

import (
	"encoding/binary"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// NUMA memory policies: get_mempolicy, set_mempolicy and mbind. The sandbox
// has one memory node, node 0 (as /sys shows no other), so a policy moves
// nothing; the calls check their arguments as Linux does, and the thread's
// policy is kept for get_mempolicy. mbind's per-range policies are checked
// and accepted but not kept: get_mempolicy(MPOL_F_ADDR) reports the
// thread's policy. Tools such as ps and numactl ask for these.

// Modes and flags (<linux/mempolicy.h>).
const (
	mpolDefault       = 0
	mpolPreferred     = 1
	mpolBind          = 2
	mpolInterleave    = 3
	mpolLocal         = 4
	mpolPreferredMany = 5
	mpolMax           = 6

	mpolFStaticNodes   = 1 << 15
	mpolFRelativeNodes = 1 << 14
	mpolFNumaBalancing = 1 << 13
	mpolModeFlags      = mpolFStaticNodes | mpolFRelativeNodes | mpolFNumaBalancing

	mpolFNode        = 1 << 0
	mpolFAddr        = 1 << 1
	mpolFMemsAllowed = 1 << 2

	mpolMFValid = 1<<0 | 1<<1 | 1<<2 // MPOL_MF_STRICT | MOVE | MOVE_ALL

	// maxNodemaskBits bounds a node mask argument, as Linux's
	// PAGE_SIZE * BITS_PER_BYTE.
	maxNodemaskBits = 4096 * 8
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysGetMempolicy, sysGetMempolicy, argInt, argPtr, argPtr, argInt, argHex, argHex)
		tb.set(linux.SysSetMempolicy, sysSetMempolicy, argInt, argInt, argPtr, argInt)
		tb.set(linux.SysMbind, sysMbind, argInt, argHex, argInt, argInt, argPtr, argInt, argHex)
	})
}

// copyInNodemask reads a node mask of maxnode-1 bits (Linux's get_nodes):
// an empty mask without a pointer or with maxnode 0 or 1. A node other than
// node 0 is EINVAL: it does not exist.
func copyInNodemask(t *kernel.Task, addr, maxnode uintptr) (uint64, error) {
	if addr == 0 || maxnode <= 1 {
		return 0, nil
	}
	bits := maxnode - 1
	if bits > maxNodemaskBits {
		return 0, unix.EINVAL
	}
	buf := make([]byte, (bits+63)/64*8)
	if _, err := t.MM().CopyIn(addr, buf); err != nil {
		return 0, unix.EFAULT
	}
	for i := range buf {
		b := buf[i]
		if uintptr(i*8) >= bits {
			break
		}
		if rem := bits - uintptr(i*8); rem < 8 {
			b &= 1<<rem - 1
		}
		if (i == 0 && b&^1 != 0) || (i > 0 && b != 0) {
			return 0, unix.EINVAL
		}
	}
	return uint64(buf[0] & 1), nil
}

// checkPolicy validates a mode (with its flags) and node mask for
// set_mempolicy and mbind.
func checkPolicy(mode int32, nodes uint64) error {
	flags, m := mode&mpolModeFlags, mode&^mpolModeFlags
	if m < 0 || m >= mpolMax || flags&(mpolFStaticNodes|mpolFRelativeNodes) == mpolFStaticNodes|mpolFRelativeNodes {
		return unix.EINVAL
	}
	switch m {
	case mpolDefault, mpolLocal:
		if nodes != 0 || flags != 0 {
			return unix.EINVAL
		}
	case mpolBind, mpolInterleave, mpolPreferredMany:
		if nodes == 0 {
			return unix.EINVAL
		}
	}
	return nil
}

func sysSetMempolicy(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	mode := int32(a[0])
	nodes, err := copyInNodemask(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	if err := checkPolicy(mode, nodes); err != nil {
		return 0, err
	}
	t.SetMemPolicy(kernel.MemPolicy{Mode: mode, Nodes: nodes})
	return 0, nil
}

func sysMbind(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	addr, length, mode, flags := a[0], a[1], int32(a[2]), a[5]
	if flags&^mpolMFValid != 0 || addr%4096 != 0 {
		return 0, unix.EINVAL
	}
	nodes, err := copyInNodemask(t, a[3], a[4])
	if err != nil {
		return 0, err
	}
	if err := checkPolicy(mode, nodes); err != nil {
		return 0, err
	}
	end := addr + (length+4095)&^4095
	if end < addr {
		return 0, unix.EINVAL
	}
	if !mapped(t, addr, end) {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// mapped reports whether every page of [start, end) is mapped.
func mapped(t *kernel.Task, start, end uintptr) bool {
	cur := start
	for _, v := range t.MM().VMAs() {
		if v.End <= cur {
			continue
		}
		if v.Start > cur {
			return false
		}
		cur = v.End
		if cur >= end {
			return true
		}
	}
	return cur >= end
}

func sysGetMempolicy(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	modeAddr, maskAddr, maxnode, addr, flags := a[0], a[1], a[2], a[3], a[4]
	if flags&^(mpolFNode|mpolFAddr|mpolFMemsAllowed) != 0 {
		return 0, unix.EINVAL
	}
	if maskAddr != 0 && maxnode < 1 {
		return 0, unix.EINVAL
	}
	p := t.MemPolicy()
	mode, nodes := p.Mode, p.Nodes
	switch {
	case flags&mpolFMemsAllowed != 0:
		if flags&(mpolFNode|mpolFAddr) != 0 {
			return 0, unix.EINVAL
		}
		mode, nodes = 0, 1
	case flags&mpolFAddr != 0:
		if !mapped(t, addr&^4095, addr&^4095+4096) {
			return 0, unix.EFAULT
		}
		if flags&mpolFNode != 0 {
			mode = 0 // the node the page is on
		}
	case flags&mpolFNode != 0:
		if p.Mode&^mpolModeFlags != mpolInterleave {
			return 0, unix.EINVAL
		}
		mode = 0 // the next node interleaving uses
	}
	if p.Mode&^mpolModeFlags == mpolPreferred && nodes == 0 && flags&mpolFMemsAllowed == 0 {
		mode = mpolLocal // MPOL_PREFERRED without a node is local allocation
	}
	if modeAddr != 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(mode))
		if _, err := t.MM().CopyOut(modeAddr, b[:]); err != nil {
			return 0, unix.EFAULT
		}
	}
	if maskAddr != 0 {
		if maxnode > maxNodemaskBits {
			return 0, unix.EINVAL
		}
		buf := make([]byte, (maxnode+63)/64*8)
		buf[0] = byte(nodes)
		if _, err := t.MM().CopyOut(maskAddr, buf); err != nil {
			return 0, unix.EFAULT
		}
	}
	return 0, nil
}
