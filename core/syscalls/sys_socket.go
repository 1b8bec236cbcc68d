package syscalls

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/unixsock"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Sockets: AF_UNIX sockets are the kernel's own (core/unixsock); the other
// families belong to the sandbox's network stack (core/inet.Stack).

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
		tb.set(linux.SysSendto, sysSendto, argInt, argFD, argInBuf, argInt, argHex, argPtr, argInt)
		tb.set(linux.SysRecvfrom, sysRecvfrom, argInt, argFD, argOutBuf, argInt, argHex, argPtr, argPtr)
		tb.set(linux.SysSendmsg, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return sendmsg(t, int32(a[0]), a[1], int(a[2]))
		}, argInt, argFD, argPtr, argHex)
		tb.set(linux.SysRecvmsg, func(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
			return recvmsg(t, int32(a[0]), a[1], int(a[2]))
		}, argInt, argFD, argPtr, argHex)
		tb.set(linux.SysSendmmsg, sysSendmmsg, argInt, argFD, argPtr, argInt, argHex)
		tb.set(linux.SysRecvmmsg, sysRecvmmsg, argInt, argFD, argPtr, argInt, argHex, argPtr)
		tb.set(linux.SysSetsockopt, sysSetsockopt, argInt, argFD, argInt, argInt, argPtr, argInt)
		tb.set(linux.SysGetsockopt, sysGetsockopt, argInt, argFD, argInt, argInt, argPtr, argPtr)
	})
}

// Socket constants not in x/sys/unix under these names.
const (
	sockTypeMask  = 0xf
	sockaddrUnLen = 110 // sizeof(struct sockaddr_un)
	msghdrLen     = 56
	mmsghdrLen    = 64
	maxIOVecs     = 1024
	maxCmsgLen    = 64 << 10
	scmMaxFD      = 253
	msgCmsgCloexe = 0x40000000
)

// namespaces holds the bound names of each kernel.
var namespaces sync.Map // *kernel.Kernel -> *unixsock.Namespace

func unixNamespace(t *kernel.Task) *unixsock.Namespace {
	if ns, ok := namespaces.Load(t.Kernel()); ok {
		return ns.(*unixsock.Namespace)
	}
	ns, _ := namespaces.LoadOrStore(t.Kernel(), unixsock.NewNamespace())
	return ns.(*unixsock.Namespace)
}

func taskCred(t *kernel.Task) unixsock.Cred {
	c := t.Credentials()
	return unixsock.Cred{PID: t.PID(), UID: c.EffectiveUID, GID: c.EffectiveGID}
}

// getSocket returns fd's description and its socket: EBADF for a bad fd,
// ENOTSOCK for a file that is not a socket.
func getSocket(t *kernel.Task, fd int32) (*vfs.FileDescription, *unixsock.Socket, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	s, ok := f.Impl().(*unixsock.Socket)
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

// sockType checks socket(2)'s type argument and returns the type and the
// SOCK_NONBLOCK/SOCK_CLOEXEC flags.
func sockType(family int, stype int, protocol int) (typ int, nonblock, cloexec bool, err error) {
	if stype&^(sockTypeMask|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC) != 0 {
		return 0, false, false, unix.EINVAL
	}
	typ = stype & sockTypeMask
	nonblock = stype&unix.SOCK_NONBLOCK != 0
	cloexec = stype&unix.SOCK_CLOEXEC != 0
	if family != unix.AF_UNIX {
		// AF_INET, AF_INET6 and AF_NETLINK belong to the sandbox's
		// network stack (core/inet.Stack). The kernel has no handle on
		// the stack yet ("none" is the only one, which serves nothing),
		// so every other family is unsupported for now.
		return 0, false, false, unix.EAFNOSUPPORT
	}
	if protocol != 0 && protocol != unix.PF_UNIX {
		return 0, false, false, unix.EPROTONOSUPPORT
	}
	switch typ {
	case unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_SEQPACKET:
	case unix.SOCK_RAW:
		typ = unix.SOCK_DGRAM // as Linux does
	default:
		return 0, false, false, unix.ESOCKTNOSUPPORT
	}
	return typ, nonblock, cloexec, nil
}

func newSocketFD(t *kernel.Task, s *unixsock.Socket, nonblock, cloexec bool) (int, error) {
	flags := 0
	if nonblock {
		flags = unix.O_NONBLOCK
	}
	f := unixsock.NewFile(s, flags)
	defer f.DecRef()
	return files(t).New(f, cloexec)
}

func sysSocket(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	typ, nb, ce, err := sockType(int(a[0]), int(a[1]), int(a[2]))
	if err != nil {
		return 0, err
	}
	fd, err := newSocketFD(t, unixsock.New(typ, taskCred(t)), nb, ce)
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
	typ, nb, ce, err := sockType(family, int(a[1]), int(a[2]))
	if err != nil {
		return 0, err
	}
	s0, s1 := unixsock.Pair(typ, taskCred(t))
	tab := files(t)
	fd0, err := newSocketFD(t, s0, nb, ce)
	if err != nil {
		s1.Release()
		return 0, err
	}
	fd1, err := newSocketFD(t, s1, nb, ce)
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

// sockAddr is a decoded sockaddr_un.
type sockAddr struct {
	abstract bool
	name     string // the path, or the abstract name with its leading NUL
}

// copyInSockAddr reads a sockaddr_un of length n. autobind is set for a
// bare family (bind's request for an automatic name).
func copyInSockAddr(t *kernel.Task, addr uintptr, n int) (sa sockAddr, autobind bool, err error) {
	if n < 2 || n > sockaddrUnLen {
		return sa, false, unix.EINVAL
	}
	buf := make([]byte, n)
	if _, err := t.MM().CopyIn(addr, buf); err != nil {
		return sa, false, err
	}
	if le.Uint16(buf) != unix.AF_UNIX {
		return sa, false, unix.EINVAL
	}
	p := buf[2:]
	if len(p) == 0 {
		return sa, true, nil
	}
	if p[0] == 0 {
		return sockAddr{abstract: true, name: string(p)}, false, nil
	}
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	return sockAddr{name: string(p)}, false, nil
}

// encodeSockAddr returns the sockaddr_un of a name ("" for unbound).
func encodeSockAddr(name string) []byte {
	b := make([]byte, 2, 2+len(name)+1)
	le.PutUint16(b, unix.AF_UNIX)
	b = append(b, name...)
	if name != "" && name[0] != 0 {
		b = append(b, 0)
	}
	return b
}

// copyOutSockAddr writes name to addr, truncated to the length at lenAddr,
// and stores the full length there. Nothing happens for a NULL addr.
func copyOutSockAddr(t *kernel.Task, addr, lenAddr uintptr, name string) error {
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
	b := encodeSockAddr(name)
	n := min(int(l), len(b))
	if _, err := t.MM().CopyOut(addr, b[:n]); err != nil {
		return err
	}
	return copyOutUint32(t, lenAddr, uint32(len(b)))
}

// resolveSockAddr finds the socket bound to sa: ENOENT for a missing
// path, ECONNREFUSED for a file that is not a socket or a name nobody is
// bound to.
func resolveSockAddr(t *kernel.Task, sa sockAddr) (*unixsock.Socket, error) {
	ns := unixNamespace(t)
	if sa.abstract {
		return ns.Lookup(unixsock.Key{Abstract: sa.name})
	}
	if sa.name == "" {
		return nil, unix.ENOENT
	}
	at, err := startAt(t, atFDCWD, sa.name)
	if err != nil {
		return nil, err
	}
	v := fsctx(t).VFS
	st, err := v.StatAt(vfsCreds(t), at, sa.name, 0)
	if err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, unix.ECONNREFUSED
	}
	if err := v.Access(vfsCreds(t), at, sa.name, vfs.MayWrite, 0); err != nil {
		return nil, err
	}
	return ns.Lookup(unixsock.Key{Dev: st.Dev, Ino: st.Ino})
}

func sysBind(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	sa, auto, err := copyInSockAddr(t, a[1], int(a[2]))
	if err != nil {
		return 0, err
	}
	ns := unixNamespace(t)
	if auto {
		if s.Bound() {
			return 0, unix.EINVAL
		}
		return 0, s.AutoBind(ns)
	}
	if sa.abstract {
		return 0, s.Bind(ns, unixsock.Key{Abstract: sa.name}, sa.name)
	}
	if s.Bound() {
		return 0, unix.EINVAL
	}
	// A path name is a socket node in the filesystem; the kernel keeps
	// the socket bound to it in the namespace, keyed by the node's
	// device and inode.
	at, err := startAt(t, atFDCWD, sa.name)
	if err != nil {
		return 0, err
	}
	fs := fsctx(t)
	mode := unix.S_IFSOCK | 0o777&^fs.Umask()
	if err := fs.VFS.Mknod(vfsCreds(t), at, sa.name, mode, 0); err != nil {
		if err == unix.EEXIST {
			return 0, unix.EADDRINUSE
		}
		return 0, err
	}
	st, err := fs.VFS.StatAt(vfsCreds(t), at, sa.name, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return 0, err
	}
	if err := s.Bind(ns, unixsock.Key{Dev: st.Dev, Ino: st.Ino}, sa.name); err != nil {
		fs.VFS.Unlink(vfsCreds(t), at, sa.name)
		return 0, err
	}
	return 0, nil
}

func sysListen(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, s.Listen(int(int32(a[1])))
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
	if s.Type() == unix.SOCK_DGRAM {
		return 0, unix.EOPNOTSUPP
	}
	ns, err := s.Accept(blockerFor(t, f, 0))
	if err != nil {
		return 0, err
	}
	peer, _ := ns.PeerName()
	nfd, err := newSocketFD(t, ns, flags&unix.SOCK_NONBLOCK != 0, flags&unix.SOCK_CLOEXEC != 0)
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
	sa, auto, err := copyInSockAddr(t, a[1], int(a[2]))
	if err != nil {
		return 0, err
	}
	if auto {
		return 0, unix.EINVAL
	}
	target, err := resolveSockAddr(t, sa)
	if err != nil {
		return 0, err
	}
	return 0, s.Connect(blockerFor(t, f, 0), target, taskCred(t))
}

func sysShutdown(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, s.Shutdown(int(int32(a[1])))
}

// send sends data with ctl to sa (nil: the connected peer). On failure the
// references in ctl are dropped.
func send(t *kernel.Task, f *vfs.FileDescription, s *unixsock.Socket, data []byte, ctl unixsock.Control, sa *sockAddr, flags int) (int, error) {
	if flags&unix.MSG_OOB != 0 {
		ctl.Release()
		return 0, unix.EOPNOTSUPP
	}
	o := unixsock.SendOptions{Ctl: ctl, Cred: taskCred(t)}
	if sa != nil {
		to, err := resolveSockAddr(t, *sa)
		if err != nil {
			ctl.Release()
			return 0, err
		}
		o.To = to
	}
	n, err := s.Send(blockerFor(t, f, flags), data, o)
	if err != nil {
		ctl.Release()
		if err == unix.EPIPE && flags&unix.MSG_NOSIGNAL == 0 {
			sendSIGPIPE(t)
		}
		return 0, err
	}
	return n, nil
}

// maxSendCopy bounds what one send reads from the application: a bad
// pointer with a huge length must not make Ward allocate that much first.
const maxSendCopy = ioChunk * 16

func sysSendto(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	// A stream socket takes a short write; a datagram this large is
	// EMSGSIZE anyway. So no more than maxSendCopy is read in.
	n := int(min(a[2], maxSendCopy))
	buf := make([]byte, n)
	if _, err := t.MM().CopyIn(a[1], buf); err != nil {
		return 0, err
	}
	var sa *sockAddr
	if a[4] != 0 {
		d, auto, err := copyInSockAddr(t, a[4], int(int32(a[5])))
		if err != nil {
			return 0, err
		}
		if auto {
			return 0, unix.EINVAL
		}
		sa = &d
	}
	c, err := send(t, f, s, buf, unixsock.Control{}, sa, int(a[3]))
	return uintptr(c), err
}

func recvOptions(flags int) (unixsock.RecvOptions, error) {
	if flags&unix.MSG_OOB != 0 {
		return unixsock.RecvOptions{}, unix.EOPNOTSUPP
	}
	return unixsock.RecvOptions{Peek: flags&unix.MSG_PEEK != 0, WaitAll: flags&unix.MSG_WAITALL != 0}, nil
}

func sysRecvfrom(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	flags := int(a[3])
	o, err := recvOptions(flags)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, min(a[2], ioChunk*16))
	n, res, err := s.Recv(blockerFor(t, f, flags), buf, o)
	if err != nil {
		return 0, err
	}
	if _, err := t.MM().CopyOut(a[1], buf[:n]); err != nil {
		return 0, err
	}
	if s.Type() == unix.SOCK_DGRAM {
		if err := copyOutSockAddr(t, a[4], a[5], res.From); err != nil {
			return 0, err
		}
	} else if a[4] != 0 {
		// Connection-oriented sockets leave the address alone but
		// report a zero length.
		if err := copyOutUint32(t, a[5], 0); err != nil {
			return 0, err
		}
	}
	if flags&unix.MSG_TRUNC != 0 && s.Type() != unix.SOCK_STREAM {
		return uintptr(res.MsgLen), nil
	}
	return uintptr(n), nil
}

// msghdr is struct msghdr.
type msghdr struct {
	name       uintptr
	nameLen    uint32
	iov        uintptr
	iovLen     uint64
	control    uintptr
	controlLen uint64
	flags      int32
}

func copyInMsghdr(t *kernel.Task, addr uintptr) (msghdr, error) {
	var b [msghdrLen]byte
	if _, err := t.MM().CopyIn(addr, b[:]); err != nil {
		return msghdr{}, err
	}
	return msghdr{
		name: uintptr(le.Uint64(b[0:])), nameLen: le.Uint32(b[8:]),
		iov: uintptr(le.Uint64(b[16:])), iovLen: le.Uint64(b[24:]),
		control: uintptr(le.Uint64(b[32:])), controlLen: le.Uint64(b[40:]),
		flags: int32(le.Uint32(b[48:])),
	}, nil
}

// gatherIOVecs returns the iovecs of m and their total length.
func gatherIOVecs(t *kernel.Task, m msghdr) ([]struct{ Base, Len uintptr }, int, error) {
	if m.iovLen > maxIOVecs {
		return nil, 0, unix.EMSGSIZE
	}
	iovs, err := t.MM().CopyInIOVecs(m.iov, int(m.iovLen))
	if err != nil {
		return nil, 0, err
	}
	out := make([]struct{ Base, Len uintptr }, len(iovs))
	total := 0
	for i, v := range iovs {
		out[i].Base, out[i].Len = v.Base, uintptr(v.Len)
		total += int(v.Len)
		if total > maxRWCount || total < 0 {
			return nil, 0, unix.EINVAL
		}
	}
	return out, total, nil
}

func cmsgAlign(n int) int { return (n + 7) &^ 7 }

// parseControl reads SCM_RIGHTS and SCM_CREDENTIALS from a control
// buffer; the returned Control holds references on the files.
func parseControl(t *kernel.Task, m msghdr) (unixsock.Control, error) {
	var ctl unixsock.Control
	if m.controlLen == 0 {
		return ctl, nil
	}
	if m.controlLen > maxCmsgLen {
		return ctl, unix.ENOBUFS
	}
	buf := make([]byte, m.controlLen)
	if _, err := t.MM().CopyIn(m.control, buf); err != nil {
		return ctl, err
	}
	for off := 0; off+16 <= len(buf); {
		l := int(le.Uint64(buf[off:]))
		level := int32(le.Uint32(buf[off+8:]))
		typ := int32(le.Uint32(buf[off+12:]))
		if l < 16 || off+l > len(buf) {
			ctl.Release()
			return unixsock.Control{}, unix.EINVAL
		}
		data := buf[off+16 : off+l]
		if level != unix.SOL_SOCKET {
			ctl.Release()
			return unixsock.Control{}, unix.EINVAL
		}
		switch typ {
		case unix.SCM_RIGHTS:
			if len(data)%4 != 0 || len(ctl.Files)+len(data)/4 > scmMaxFD {
				ctl.Release()
				return unixsock.Control{}, unix.EINVAL
			}
			for i := 0; i < len(data); i += 4 {
				fd := int32(le.Uint32(data[i:]))
				f, err := getFile(t, fd)
				if err != nil {
					ctl.Release()
					return unixsock.Control{}, err
				}
				ctl.Files = append(ctl.Files, f)
			}
		case unix.SCM_CREDENTIALS:
			if len(data) < 12 {
				ctl.Release()
				return unixsock.Control{}, unix.EINVAL
			}
			c := unixsock.Cred{PID: int32(le.Uint32(data)), UID: le.Uint32(data[4:]), GID: le.Uint32(data[8:])}
			own := taskCred(t)
			if c.PID != own.PID || (c.UID != own.UID && own.UID != 0) || (c.GID != own.GID && own.UID != 0) {
				ctl.Release()
				return unixsock.Control{}, unix.EPERM
			}
			ctl.Cred = &c
		default:
			ctl.Release()
			return unixsock.Control{}, unix.EINVAL
		}
		off += cmsgAlign(l)
	}
	return ctl, nil
}

func sendmsg(t *kernel.Task, fd int32, addr uintptr, flags int) (uintptr, error) {
	f, s, err := getSocket(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	m, err := copyInMsghdr(t, addr)
	if err != nil {
		return 0, err
	}
	return sendmsgHdr(t, f, s, m, flags)
}

func sendmsgHdr(t *kernel.Task, f *vfs.FileDescription, s *unixsock.Socket, m msghdr, flags int) (uintptr, error) {
	iovs, total, err := gatherIOVecs(t, m)
	if err != nil {
		return 0, err
	}
	// As sendto: no more than maxSendCopy is read in.
	buf := make([]byte, 0, min(total, maxSendCopy))
	for _, v := range iovs {
		if len(buf) == cap(buf) {
			break
		}
		p := make([]byte, min(int(v.Len), cap(buf)-len(buf)))
		if _, err := t.MM().CopyIn(v.Base, p); err != nil {
			return 0, err
		}
		buf = append(buf, p...)
	}
	var sa *sockAddr
	if m.name != 0 && m.nameLen != 0 {
		d, auto, err := copyInSockAddr(t, m.name, int(m.nameLen))
		if err != nil {
			return 0, err
		}
		if auto {
			return 0, unix.EINVAL
		}
		sa = &d
	}
	ctl, err := parseControl(t, m)
	if err != nil {
		return 0, err
	}
	n, err := send(t, f, s, buf, ctl, sa, flags)
	return uintptr(n), err
}

func recvmsg(t *kernel.Task, fd int32, addr uintptr, flags int) (uintptr, error) {
	f, s, err := getSocket(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	m, err := copyInMsghdr(t, addr)
	if err != nil {
		return 0, err
	}
	return recvmsgHdr(t, f, s, addr, m, flags)
}

func recvmsgHdr(t *kernel.Task, f *vfs.FileDescription, s *unixsock.Socket, addr uintptr, m msghdr, flags int) (uintptr, error) {
	o, err := recvOptions(flags)
	if err != nil {
		return 0, err
	}
	o.WantCtl = true
	iovs, total, err := gatherIOVecs(t, m)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, min(total, ioChunk*16))
	n, res, err := s.Recv(blockerFor(t, f, flags), buf, o)
	if err != nil {
		return 0, err
	}
	// Scatter the data.
	done := 0
	for _, v := range iovs {
		if done >= n {
			break
		}
		c := min(int(v.Len), n-done)
		if _, err := t.MM().CopyOut(v.Base, buf[done:done+c]); err != nil {
			res.Ctl.Release()
			return 0, err
		}
		done += c
	}
	var oflags int32
	if res.Truncated {
		oflags |= unix.MSG_TRUNC
	}
	// The control messages.
	var cbuf []byte
	room := int(min(m.controlLen, maxCmsgLen))
	if res.Ctl.Cred != nil {
		if room-len(cbuf) >= cmsgAlign(16+12) || room-len(cbuf) >= 16+12 {
			c := make([]byte, cmsgAlign(16+12))
			le.PutUint64(c, 16+12)
			le.PutUint32(c[8:], unix.SOL_SOCKET)
			le.PutUint32(c[12:], unix.SCM_CREDENTIALS)
			le.PutUint32(c[16:], uint32(res.Ctl.Cred.PID))
			le.PutUint32(c[20:], res.Ctl.Cred.UID)
			le.PutUint32(c[24:], res.Ctl.Cred.GID)
			cbuf = append(cbuf, c[:min(len(c), room-len(cbuf))]...)
		} else {
			oflags |= unix.MSG_CTRUNC
		}
	}
	if len(res.Ctl.Files) > 0 {
		fit := (room - len(cbuf) - 16) / 4
		if fit < 0 {
			fit = 0
		}
		fit = min(fit, len(res.Ctl.Files))
		if fit < len(res.Ctl.Files) {
			oflags |= unix.MSG_CTRUNC
		}
		var fds []int
		cloexec := flags&msgCmsgCloexe != 0
		for i, file := range res.Ctl.Files {
			if i < fit {
				if nfd, err := files(t).New(file, cloexec); err == nil {
					fds = append(fds, nfd)
				} else {
					oflags |= unix.MSG_CTRUNC
				}
			}
			file.DecRef()
		}
		if len(fds) > 0 {
			l := 16 + 4*len(fds)
			c := make([]byte, cmsgAlign(l))
			le.PutUint64(c, uint64(l))
			le.PutUint32(c[8:], unix.SOL_SOCKET)
			le.PutUint32(c[12:], unix.SCM_RIGHTS)
			for i, nfd := range fds {
				le.PutUint32(c[16+4*i:], uint32(nfd))
			}
			cbuf = append(cbuf, c[:min(len(c), room-len(cbuf))]...)
		}
		res.Ctl.Files = nil
	}
	if len(cbuf) > 0 {
		if _, err := t.MM().CopyOut(m.control, cbuf); err != nil {
			return 0, err
		}
	}
	// msg_name, msg_namelen, msg_controllen, msg_flags.
	if m.name != 0 && s.Type() == unix.SOCK_DGRAM {
		b := encodeSockAddr(res.From)
		if _, err := t.MM().CopyOut(m.name, b[:min(len(b), int(m.nameLen))]); err != nil {
			return 0, err
		}
		if err := copyOutUint32(t, addr+8, uint32(len(b))); err != nil {
			return 0, err
		}
	} else if err := copyOutUint32(t, addr+8, 0); err != nil {
		return 0, err
	}
	if err := copyOutUint64(t, addr+40, uint64(len(cbuf))); err != nil {
		return 0, err
	}
	if err := copyOutUint32(t, addr+48, uint32(oflags)); err != nil {
		return 0, err
	}
	if flags&unix.MSG_TRUNC != 0 && s.Type() != unix.SOCK_STREAM {
		return uintptr(res.MsgLen), nil
	}
	return uintptr(n), nil
}

func sysSendmmsg(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return eachMmsghdr(t, a[1], a[2], func(i int, addr uintptr, m msghdr) (uintptr, error) {
		return sendmsgHdr(t, f, s, m, int(a[3]))
	})
}

func sysRecvmmsg(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	// The timeout (a[4]) is not supported: only MSG_WAITFORONE-like
	// behaviour, where calls after the first do not block.
	flags := int(a[3]) &^ unix.MSG_WAITFORONE
	return eachMmsghdr(t, a[1], a[2], func(i int, addr uintptr, m msghdr) (uintptr, error) {
		fl := flags
		if i > 0 {
			fl |= unix.MSG_DONTWAIT
		}
		return recvmsgHdr(t, f, s, addr, m, fl)
	})
}

// eachMmsghdr runs one sendmsg or recvmsg per struct mmsghdr of the
// vector at vec (of vlen, capped at UIO_MAXIOV) and stores each result in
// its msg_len. It returns how many were done, or the first error if none
// was.
func eachMmsghdr(t *kernel.Task, vec, vlen uintptr, one func(i int, addr uintptr, m msghdr) (uintptr, error)) (uintptr, error) {
	n := min(int(uint32(vlen)), maxIOVecs)
	for i := 0; i < n; i++ {
		addr := vec + uintptr(i*mmsghdrLen)
		m, err := copyInMsghdr(t, addr)
		if err == nil {
			var got uintptr
			if got, err = one(i, addr, m); err == nil {
				err = copyOutUint32(t, addr+msghdrLen, uint32(got))
			}
		}
		if err != nil {
			if i > 0 {
				return uintptr(i), nil
			}
			return 0, err
		}
	}
	return uintptr(n), nil
}

func sysSetsockopt(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	level, name, optlen := int(int32(a[1])), int(int32(a[2])), int(int32(a[4]))
	if level != unix.SOL_SOCKET {
		return 0, unix.EOPNOTSUPP
	}
	readInt := func() (int, error) {
		if optlen < 4 {
			return 0, unix.EINVAL
		}
		var b [4]byte
		if _, err := t.MM().CopyIn(a[3], b[:]); err != nil {
			return 0, err
		}
		return int(int32(le.Uint32(b[:]))), nil
	}
	switch name {
	case unix.SO_SNDBUF, unix.SO_RCVBUF, unix.SO_SNDBUFFORCE, unix.SO_RCVBUFFORCE:
		v, err := readInt()
		if err != nil {
			return 0, err
		}
		s.SetBufSize(name == unix.SO_SNDBUF || name == unix.SO_SNDBUFFORCE, v)
	case unix.SO_PASSCRED:
		v, err := readInt()
		if err != nil {
			return 0, err
		}
		s.SetPassCred(v != 0)
	case unix.SO_REUSEADDR, unix.SO_REUSEPORT, unix.SO_KEEPALIVE, unix.SO_BROADCAST,
		unix.SO_DONTROUTE, unix.SO_OOBINLINE, unix.SO_PASSSEC, unix.SO_TIMESTAMP,
		unix.SO_PRIORITY, unix.SO_RCVLOWAT, unix.SO_SNDLOWAT:
		if _, err := readInt(); err != nil {
			return 0, err
		}
	case unix.SO_LINGER, unix.SO_RCVTIMEO, unix.SO_SNDTIMEO:
		// Accepted but not enforced.
		if optlen < 8 {
			return 0, unix.EINVAL
		}
	default:
		return 0, unix.ENOPROTOOPT
	}
	return 0, nil
}

func sysGetsockopt(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	level, name := int(int32(a[1])), int(int32(a[2]))
	if level != unix.SOL_SOCKET {
		return 0, unix.EOPNOTSUPP
	}
	var lb [4]byte
	if _, err := t.MM().CopyIn(a[4], lb[:]); err != nil {
		return 0, err
	}
	optlen := int(int32(le.Uint32(lb[:])))
	if optlen < 0 {
		return 0, unix.EINVAL
	}
	var val []byte
	putInt := func(v int) {
		val = make([]byte, 4)
		le.PutUint32(val, uint32(int32(v)))
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	switch name {
	case unix.SO_TYPE:
		putInt(s.Type())
	case unix.SO_DOMAIN:
		putInt(unix.AF_UNIX)
	case unix.SO_PROTOCOL:
		putInt(0)
	case unix.SO_ERROR:
		putInt(int(s.TakeError()))
	case unix.SO_SNDBUF:
		putInt(s.BufSize(true))
	case unix.SO_RCVBUF:
		putInt(s.BufSize(false))
	case unix.SO_PASSCRED:
		putInt(b2i(s.PassCred()))
	case unix.SO_ACCEPTCONN:
		putInt(b2i(s.Listening()))
	case unix.SO_REUSEADDR, unix.SO_REUSEPORT, unix.SO_KEEPALIVE, unix.SO_BROADCAST,
		unix.SO_DONTROUTE, unix.SO_OOBINLINE, unix.SO_PASSSEC, unix.SO_TIMESTAMP, unix.SO_PRIORITY:
		putInt(0)
	case unix.SO_RCVLOWAT, unix.SO_SNDLOWAT:
		putInt(1)
	case unix.SO_LINGER, unix.SO_RCVTIMEO, unix.SO_SNDTIMEO:
		val = make([]byte, 16)
		if name == unix.SO_LINGER {
			val = val[:8]
		}
	case unix.SO_PEERCRED:
		c := s.PeerCred()
		val = make([]byte, 12)
		le.PutUint32(val, uint32(c.PID))
		le.PutUint32(val[4:], c.UID)
		le.PutUint32(val[8:], c.GID)
	default:
		return 0, unix.ENOPROTOOPT
	}
	n := min(optlen, len(val))
	if _, err := t.MM().CopyOut(a[3], val[:n]); err != nil {
		return 0, err
	}
	return 0, copyOutUint32(t, a[4], uint32(n))
}
