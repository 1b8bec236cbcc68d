package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// The send and receive calls: sendto, recvfrom, sendmsg, recvmsg,
// sendmmsg, recvmmsg, with struct msghdr and its control messages.

func init() {
	register(func(tb *Table) {
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
	})
}

const (
	msghdrLen     = 56
	mmsghdrLen    = 64
	maxIOVecs     = 1024
	maxCmsgLen    = 64 << 10
	scmMaxFD      = 253
	msgCmsgCloexe = 0x40000000
)

// maxSendCopy bounds what one send reads from the application: a bad
// pointer with a huge length must not make Ward allocate that much first.
// A stream socket takes a short write; a datagram this large is EMSGSIZE
// anyway.
const maxSendCopy = ioChunk * 16

// send sends data with ctl to the raw address to (nil: the connected
// peer). On failure the references in ctl are dropped and EPIPE raises
// SIGPIPE unless MSG_NOSIGNAL is set.
func send(t *kernel.Task, f *vfs.FileDescription, s inet.Socket, data []byte, ctl inet.Control, to []byte, flags int) (int, error) {
	n, err := s.SendMsg(caller(t, f, flags), data, inet.SendMsg{To: to, Flags: flags, Ctl: ctl})
	if err != nil {
		ctl.Release()
		if err == unix.EPIPE && flags&unix.MSG_NOSIGNAL == 0 {
			sendSIGPIPE(t)
		}
		return 0, err
	}
	return n, nil
}

func sysSendto(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	buf := make([]byte, int(min(a[2], maxSendCopy)))
	if _, err := t.MM().CopyIn(a[1], buf); err != nil {
		return 0, err
	}
	var to []byte
	if a[4] != 0 {
		if to, err = copyInSockAddr(t, a[4], int(int32(a[5]))); err != nil {
			return 0, err
		}
	}
	c, err := send(t, f, s, buf, inet.Control{}, to, int(a[3]))
	return uintptr(c), err
}

func sysRecvfrom(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	flags := int(a[3])
	buf := make([]byte, min(a[2], ioChunk*16))
	n, res, err := s.RecvMsg(caller(t, f, flags), buf, inet.RecvMsg{Flags: flags})
	if err != nil {
		return 0, err
	}
	if _, err := t.MM().CopyOut(a[1], buf[:n]); err != nil {
		return 0, err
	}
	if res.From != nil {
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
func parseControl(t *kernel.Task, m msghdr) (inet.Control, error) {
	var ctl inet.Control
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
	fail := func(err error) (inet.Control, error) {
		ctl.Release()
		return inet.Control{}, err
	}
	for off := 0; off+16 <= len(buf); {
		l := int(le.Uint64(buf[off:]))
		level := int32(le.Uint32(buf[off+8:]))
		typ := int32(le.Uint32(buf[off+12:]))
		if l < 16 || off+l > len(buf) {
			return fail(unix.EINVAL)
		}
		data := buf[off+16 : off+l]
		if level != unix.SOL_SOCKET {
			return fail(unix.EINVAL)
		}
		switch typ {
		case unix.SCM_RIGHTS:
			if len(data)%4 != 0 || len(ctl.Files)+len(data)/4 > scmMaxFD {
				return fail(unix.EINVAL)
			}
			for i := 0; i < len(data); i += 4 {
				fd := int32(le.Uint32(data[i:]))
				f, err := getFile(t, fd)
				if err != nil {
					return fail(err)
				}
				ctl.Files = append(ctl.Files, f)
			}
		case unix.SCM_CREDENTIALS:
			if len(data) < 12 {
				return fail(unix.EINVAL)
			}
			c := inet.Cred{PID: int32(le.Uint32(data)), UID: le.Uint32(data[4:]), GID: le.Uint32(data[8:])}
			own := taskCred(t)
			if c.PID != own.PID || (c.UID != own.UID && own.UID != 0) || (c.GID != own.GID && own.UID != 0) {
				return fail(unix.EPERM)
			}
			ctl.Cred = &c
		default:
			return fail(unix.EINVAL)
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

func sendmsgHdr(t *kernel.Task, f *vfs.FileDescription, s inet.Socket, m msghdr, flags int) (uintptr, error) {
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
	var to []byte
	if m.name != 0 && m.nameLen != 0 {
		if to, err = copyInSockAddr(t, m.name, int(int32(m.nameLen))); err != nil {
			return 0, err
		}
	}
	ctl, err := parseControl(t, m)
	if err != nil {
		return 0, err
	}
	n, err := send(t, f, s, buf, ctl, to, flags)
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

func recvmsgHdr(t *kernel.Task, f *vfs.FileDescription, s inet.Socket, addr uintptr, m msghdr, flags int) (uintptr, error) {
	iovs, total, err := gatherIOVecs(t, m)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, min(total, ioChunk*16))
	n, res, err := s.RecvMsg(caller(t, f, flags), buf, inet.RecvMsg{Flags: flags, WantCtl: true})
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
	cbuf, ctrunc := encodeControl(t, &res.Ctl, int(min(m.controlLen, maxCmsgLen)), flags&msgCmsgCloexe != 0)
	if ctrunc {
		oflags |= unix.MSG_CTRUNC
	}
	if len(cbuf) > 0 {
		if _, err := t.MM().CopyOut(m.control, cbuf); err != nil {
			return 0, err
		}
	}
	// msg_name, msg_namelen, msg_controllen, msg_flags.
	if m.name != 0 && res.From != nil {
		if _, err := t.MM().CopyOut(m.name, res.From[:min(len(res.From), int(m.nameLen))]); err != nil {
			return 0, err
		}
		if err := copyOutUint32(t, addr+8, uint32(len(res.From))); err != nil {
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

// encodeControl turns received ancillary data into control messages that
// fit in room bytes, installing passed descriptors in the task's table
// (with FD_CLOEXEC when cloexec). It drops ctl's references and reports
// whether anything did not fit (MSG_CTRUNC).
func encodeControl(t *kernel.Task, ctl *inet.Control, room int, cloexec bool) (cbuf []byte, ctrunc bool) {
	if ctl.Cred != nil {
		if room-len(cbuf) >= 16+12 {
			c := make([]byte, cmsgAlign(16+12))
			le.PutUint64(c, 16+12)
			le.PutUint32(c[8:], unix.SOL_SOCKET)
			le.PutUint32(c[12:], unix.SCM_CREDENTIALS)
			le.PutUint32(c[16:], uint32(ctl.Cred.PID))
			le.PutUint32(c[20:], ctl.Cred.UID)
			le.PutUint32(c[24:], ctl.Cred.GID)
			cbuf = append(cbuf, c[:min(len(c), room-len(cbuf))]...)
		} else {
			ctrunc = true
		}
	}
	if len(ctl.Files) > 0 {
		fit := max((room-len(cbuf)-16)/4, 0)
		fit = min(fit, len(ctl.Files))
		if fit < len(ctl.Files) {
			ctrunc = true
		}
		var fds []int
		for i, file := range ctl.Files {
			if i < fit {
				if nfd, err := files(t).New(file, cloexec); err == nil {
					fds = append(fds, nfd)
				} else {
					ctrunc = true
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
		ctl.Files = nil
	}
	return cbuf, ctrunc
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
