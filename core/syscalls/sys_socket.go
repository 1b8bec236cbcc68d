package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/unixsock"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Sockets: AF_UNIX sockets are the kernel's own (core/unixsock); the other
// families belong to the sandbox's network stack (core/inet.Stack, which
// the kernel holds: Kernel.Network). Both kinds implement inet.Socket, and
// every socket call below decodes its arguments, copies addresses in and
// out as raw sockaddr bytes, and dispatches through that interface.
//
// This file: socket, socketpair, bind, listen, accept, connect, shutdown.
// sys_socket_msg.go: the send and receive calls. sys_socket_opts.go:
// getsockopt and setsockopt. sys_socket_names.go: getsockname and
// getpeername. sys_socket_unix.go: what Unix sockets need of the task.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysSocket, sysSocket, argInt, argInt, argHex, argInt)
		tb.set(linux.SysSocketpair, sysSocketpair, argInt, argInt, argHex, argInt, argPtr)
		tb.set(linux.SysBind, sysBind, argInt, argFD, argPtr, argInt)
		tb.set(linux.SysListen, sysListen, argInt, argFD, argInt)
		tb.set(linux.SysAccept, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return accept4(t, int32(a[0]), a[1], a[2], 0)
		}, argInt, argFD, argPtr, argPtr)
		tb.set(linux.SysAccept4, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return accept4(t, int32(a[0]), a[1], a[2], int(a[3]))
		}, argInt, argFD, argPtr, argPtr, argHex)
		tb.set(linux.SysConnect, sysConnect, argInt, argFD, argPtr, argInt)
		tb.set(linux.SysShutdown, sysShutdown, argInt, argFD, argInt)
	})
}

// Socket constants not in x/sys/unix under these names.
const (
	sockTypeMask = 0xf
)

// getSocket returns fd's description and its socket: EBADF for a bad fd,
// ENOTSOCK for a file that is not a socket.
func getSocket(t *kernel.Task, fd int32) (*vfs.FileDescription, inet.Socket, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	s, ok := f.Impl().(inet.Socket)
	if !ok || f.IsPath() {
		f.DecRef()
		if f.IsPath() {
			return nil, nil, unix.EBADF
		}
		return nil, nil, unix.ENOTSOCK
	}
	return f, s, nil
}

// blockerFor returns the Blocker of an operation on f with MSG_* flags.
func blockerFor(t *kernel.Task, f *vfs.FileDescription, flags int) vfs.Blocker {
	if flags&unix.MSG_DONTWAIT != 0 || f.StatusFlags()&unix.O_NONBLOCK != 0 {
		return vfs.NonBlocking
	}
	return t
}

// caller describes t to a socket operation on f with MSG_* flags.
func caller(t *kernel.Task, f *vfs.FileDescription, flags int) *inet.Caller {
	return &inet.Caller{Blocker: blockerFor(t, f, flags), Cred: taskCred(t), Names: taskNames{t}}
}

func taskCred(t *kernel.Task) inet.Cred {
	c := t.Credentials()
	return inet.Cred{PID: t.PID(), UID: c.EffectiveUID, GID: c.EffectiveGID}
}

// copyInSockAddr reads the raw sockaddr of length n that bind, connect
// and sendto take: EINVAL for a negative or too long length, as Linux's
// move_addr_to_kernel.
func copyInSockAddr(t *kernel.Task, addr uintptr, n int) ([]byte, error) {
	if n < 0 || n > inet.SockaddrMax {
		return nil, unix.EINVAL
	}
	buf := make([]byte, n)
	if n > 0 {
		if _, err := t.MM().CopyIn(addr, buf); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// copyOutSockAddr writes the raw sockaddr b to addr, truncated to the
// length at lenAddr, and stores the full length there (0 for a nil b).
// Nothing happens for a NULL addr.
func copyOutSockAddr(t *kernel.Task, addr, lenAddr uintptr, b []byte) error {
	if addr == 0 {
		return nil
	}
	var lb [4]byte
	if _, err := t.MM().CopyIn(lenAddr, lb[:]); err != nil {
		return err
	}
	l := int32(le.Uint32(lb[:]))
	if l < 0 {
		return unix.EINVAL
	}
	n := min(int(l), len(b))
	if n > 0 {
		if _, err := t.MM().CopyOut(addr, b[:n]); err != nil {
			return err
		}
	}
	return copyOutUint32(t, lenAddr, uint32(len(b)))
}

// sockType splits socket(2)'s type argument into the type and the
// SOCK_NONBLOCK/SOCK_CLOEXEC flags.
func sockType(stype int) (typ int, nonblock, cloexec bool, err error) {
	if stype&^(sockTypeMask|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC) != 0 {
		return 0, false, false, unix.EINVAL
	}
	return stype & sockTypeMask, stype&unix.SOCK_NONBLOCK != 0, stype&unix.SOCK_CLOEXEC != 0, nil
}

// unixSockType checks the type and protocol of an AF_UNIX socket.
func unixSockType(typ, protocol int) (int, error) {
	if protocol != 0 && protocol != unix.PF_UNIX {
		return 0, unix.EPROTONOSUPPORT
	}
	switch typ {
	case unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_SEQPACKET:
	case unix.SOCK_RAW:
		typ = unix.SOCK_DGRAM // as Linux does
	default:
		return 0, unix.ESOCKTNOSUPPORT
	}
	return typ, nil
}

// installSocket puts a new socket description in the table; the table
// takes its own reference and f's is dropped.
func installSocket(t *kernel.Task, f *vfs.FileDescription, cloexec bool) (int, error) {
	defer f.DecRef()
	return files(t).New(f, cloexec)
}

func newUnixSocketFD(t *kernel.Task, s *unixsock.Socket, nonblock, cloexec bool) (int, error) {
	flags := 0
	if nonblock {
		flags = unix.O_NONBLOCK
	}
	return installSocket(t, unixsock.NewFile(s, flags), cloexec)
}

func sysSocket(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	family, protocol := int(a[0]), int(a[2])
	typ, nb, ce, err := sockType(int(a[1]))
	if err != nil {
		return 0, err
	}
	if family == unix.AF_UNIX {
		if typ, err = unixSockType(typ, protocol); err != nil {
			return 0, err
		}
		fd, err := newUnixSocketFD(t, unixsock.New(unixNamespace(t), typ, taskCred(t)), nb, ce)
		return uintptr(fd), err
	}
	// Every other family belongs to the network stack.
	stack := t.Kernel().Network()
	if stack == nil {
		return 0, unix.EAFNOSUPPORT
	}
	stype := typ
	if nb {
		stype |= unix.SOCK_NONBLOCK
	}
	f, err := stack.Socket(family, stype, protocol)
	if err != nil {
		return 0, err
	}
	fd, err := installSocket(t, f, ce)
	return uintptr(fd), err
}

func sysSocketpair(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	family := int(a[0])
	if family != unix.AF_UNIX {
		if family == unix.AF_INET || family == unix.AF_INET6 || family == unix.AF_NETLINK {
			return 0, unix.EOPNOTSUPP
		}
		return 0, unix.EAFNOSUPPORT
	}
	typ, nb, ce, err := sockType(int(a[1]))
	if err != nil {
		return 0, err
	}
	if typ, err = unixSockType(typ, int(a[2])); err != nil {
		return 0, err
	}
	s0, s1 := unixsock.Pair(unixNamespace(t), typ, taskCred(t))
	tab := files(t)
	fd0, err := newUnixSocketFD(t, s0, nb, ce)
	if err != nil {
		s1.Release()
		return 0, err
	}
	fd1, err := newUnixSocketFD(t, s1, nb, ce)
	if err != nil {
		if f, e := tab.Remove(fd0); e == nil {
			f.DecRef()
		}
		return 0, err
	}
	var buf [8]byte
	le.PutUint32(buf[0:], uint32(fd0))
	le.PutUint32(buf[4:], uint32(fd1))
	if _, err := t.MM().CopyOut(a[3], buf[:]); err != nil {
		for _, fd := range []int{fd0, fd1} {
			if f, e := tab.Remove(fd); e == nil {
				f.DecRef()
			}
		}
		return 0, err
	}
	return 0, nil
}

func sysBind(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	sa, err := copyInSockAddr(t, a[1], int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	return 0, s.Bind(caller(t, f, 0), sa)
}

func sysListen(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, s.Listen(caller(t, f, 0), int(int32(a[1])))
}

func accept4(t *kernel.Task, fd int32, addr, lenAddr uintptr, flags int) (uintptr, error) {
	if flags&^(unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC) != 0 {
		return 0, unix.EINVAL
	}
	f, s, err := getSocket(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	nf, peer, err := s.Accept(caller(t, f, 0), flags&unix.SOCK_NONBLOCK != 0)
	if err != nil {
		return 0, err
	}
	nfd, err := installSocket(t, nf, flags&unix.SOCK_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	if err := copyOutSockAddr(t, addr, lenAddr, peer); err != nil {
		if f, e := files(t).Remove(nfd); e == nil {
			f.DecRef()
		}
		return 0, err
	}
	return uintptr(nfd), nil
}

func sysConnect(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	sa, err := copyInSockAddr(t, a[1], int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	return 0, s.Connect(caller(t, f, 0), sa)
}

func sysShutdown(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, s.Shutdown(caller(t, f, 0), int(int32(a[1])))
}
