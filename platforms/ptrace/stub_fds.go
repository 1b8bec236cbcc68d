//go:build linux && amd64

package ptrace

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// How Ward's file descriptors reach a stub.
//
// MapFile receives a descriptor of Ward's (usually the kernel's memory file);
// the injected mmap needs one of the stub's. Every stub is started with one
// end of a datagram socket pair as its fd 0. To install a descriptor, the
// master sends it with SCM_RIGHTS from Ward's end and injects recvmsg(0, ...)
// into the stub, with the msghdr, iovec and control buffer in the stub's
// scratch page. The stub then holds the same open file description under a
// number of its own, which the address space caches by file (device, inode
// and access mode: fileKey), so that each file is installed once per stub,
// whatever Ward's descriptor number for it, and a number that Ward closed
// and reused for another file is never confused with the first.
//
// This works for any kind of descriptor and needs neither /proc nor any
// ptrace right of the stub over Ward (which pidfd_getfd would, and which
// kernel.yama.ptrace_scope forbids).

// Offsets in the scratch page.
const (
	scratchMsghdr  = 0   // struct msghdr (56 bytes)
	scratchIovec   = 64  // struct iovec (16 bytes)
	scratchControl = 128 // CMSG_SPACE(sizeof(int)) = 24 bytes
	scratchData    = 256 // the one byte of payload
	controlLen     = 24
)

// scratchRecvmsg is the scratch page's first bytes, set up for a recvmsg of
// one byte and one descriptor.
func scratchRecvmsg() []byte {
	b := make([]byte, scratchControl+controlLen)
	le := binary.LittleEndian
	le.PutUint64(b[scratchMsghdr+16:], stubScratch+scratchIovec)   // msg_iov
	le.PutUint64(b[scratchMsghdr+24:], 1)                          // msg_iovlen
	le.PutUint64(b[scratchMsghdr+32:], stubScratch+scratchControl) // msg_control
	le.PutUint64(b[scratchMsghdr+40:], controlLen)                 // msg_controllen
	le.PutUint64(b[scratchIovec+0:], stubScratch+scratchData)      // iov_base
	le.PutUint64(b[scratchIovec+8:], 1)                            // iov_len
	return b
}

// installFD gives the stub its own copy of Ward's descriptor fd and returns
// the stub's number for it. in is the thread that receives it.
//
// Preconditions: the caller holds the address space's mu (the socket and
// the scratch page are in use); the stub is not dead. If it fails after
// sending, the stub's socket may hold a stale message: the caller must
// treat the stub as broken.
func (s *stub) installFD(in injector, fd int) (int, error) {
	if err := writeScratch(s.pid, in.tid(), 0, scratchRecvmsg()); err != nil {
		return -1, err
	}
	if err := unix.Sendmsg(s.sock, []byte{0}, unix.UnixRights(fd), nil, unix.MSG_DONTWAIT); err != nil {
		return -1, fmt.Errorf("ptrace: sending fd %d to stub %d: %w", fd, s.pid, err)
	}
	n, err := in.inject(unix.SYS_RECVMSG, 0, stubScratch+scratchMsghdr, unix.MSG_CMSG_CLOEXEC|unix.MSG_DONTWAIT)
	if err != nil {
		return -1, fmt.Errorf("ptrace: stub %d: injected recvmsg for fd %d: %w", s.pid, fd, err)
	}
	if n != 1 {
		return -1, fmt.Errorf("ptrace: stub %d: injected recvmsg for fd %d returned %d bytes", s.pid, fd, n)
	}
	ctl := make([]byte, controlLen)
	if err := readScratch(s.pid, in.tid(), scratchControl, ctl); err != nil {
		return -1, err
	}
	le := binary.LittleEndian
	cmsgLen, level, typ := le.Uint64(ctl[0:]), int32(le.Uint32(ctl[8:])), int32(le.Uint32(ctl[12:]))
	if cmsgLen != uint64(unix.CmsgLen(4)) || level != unix.SOL_SOCKET || typ != unix.SCM_RIGHTS {
		return -1, fmt.Errorf("ptrace: stub %d: recvmsg for fd %d returned no descriptor (cmsg len %d level %d type %d)", s.pid, fd, cmsgLen, level, typ)
	}
	return int(int32(le.Uint32(ctl[16:]))), nil
}
