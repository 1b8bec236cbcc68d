package inet

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Socket is the set of socket operations that core/syscalls dispatches to,
// whatever the family: the kernel's own Unix-domain sockets (core/unixsock)
// and the sockets of a network stack (net/...) both implement it. A
// socket is the FileImpl of its file description; syscalls finds it with
// a type assertion on FileDescription.Impl.
//
// # Addresses
//
// Addresses cross this interface in their raw sockaddr form: the bytes
// the application passed to bind, connect, sendto or sendmsg (already
// copied in, at most SockaddrMax long, possibly shorter than the family's
// structure), and the bytes the application receives from getsockname,
// getpeername, accept, recvfrom and recvmsg (the syscall layer truncates
// them to the caller's buffer and reports the full length). Each family
// decodes and encodes its own layout, so the syscall layer knows nothing
// of sockaddr_in or sockaddr_un. A nil address returned means "none": the
// syscall reports a length of 0.
//
// # Errors
//
// Errors are errnos (unix.Errno). EPIPE is returned as is; the syscall
// layer raises SIGPIPE unless MSG_NOSIGNAL is set. Blocking operations
// follow the vfs.Blocker contract with Caller.Blocker.
type Socket interface {
	vfs.FileImpl

	// Family returns the socket's family (SO_DOMAIN), Type its type
	// (SO_TYPE: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET).
	Family() int
	Type() int

	// Bind gives the socket the local address addr.
	Bind(c *Caller, addr []byte) error

	// Listen makes the socket accept connections.
	Listen(c *Caller, backlog int) error

	// Accept waits for a connection and returns a new file description
	// for it (with O_NONBLOCK when nonblock is set) and the peer's
	// address.
	Accept(c *Caller, nonblock bool) (*vfs.FileDescription, []byte, error)

	// Connect connects the socket to addr (for datagram sockets: sets the
	// default destination; AF_UNSPEC dissolves the association).
	Connect(c *Caller, addr []byte) error

	// Shutdown shuts down reception (SHUT_RD), transmission (SHUT_WR) or
	// both (SHUT_RDWR).
	Shutdown(c *Caller, how int) error

	// SendMsg sends data (send, sendto, sendmsg). A stream socket may
	// send part of data when interrupted or non-blocking after progress.
	SendMsg(c *Caller, data []byte, m SendMsg) (int, error)

	// RecvMsg receives into dst (recv, recvfrom, recvmsg) and returns the
	// bytes written to dst.
	RecvMsg(c *Caller, dst []byte, m RecvMsg) (int, RecvResult, error)

	// SockName returns the local address (getsockname); an unbound
	// socket returns its family's unspecified address.
	SockName(c *Caller) ([]byte, error)

	// PeerName returns the peer's address (getpeername), or ENOTCONN.
	PeerName(c *Caller) ([]byte, error)

	// GetSockOpt returns the value of an option; optlen is the length
	// of the caller's buffer (the syscall layer truncates the value to
	// it). Unknown options are ENOPROTOOPT.
	GetSockOpt(c *Caller, level, name, optlen int) ([]byte, error)

	// SetSockOpt sets an option from the caller's value (at most
	// OptMax bytes). Unknown options are ENOPROTOOPT.
	SetSockOpt(c *Caller, level, name int, val []byte) error
}

// Limits of what the syscall layer copies in for a socket.
const (
	// SockaddrMax is sizeof(struct sockaddr_storage): the longest
	// address bind, connect or sendto accept (longer is EINVAL).
	SockaddrMax = 128

	// OptMax bounds a setsockopt value; longer values are cut to it.
	OptMax = 4096
)

// Caller is the calling task as a socket operation sees it.
type Caller struct {
	// Blocker is how the operation waits: the task, or vfs.NonBlocking
	// for a non-blocking description or MSG_DONTWAIT.
	Blocker vfs.Blocker

	// Cred are the caller's process ID and effective user and group.
	Cred Cred

	// Names reaches the caller's filesystem, for AF_UNIX path names;
	// nil when there is none (then path names are ENOENT).
	Names PathNames
}

// Cred is a process's credentials as SO_PEERCRED and SCM_CREDENTIALS carry
// them.
type Cred struct {
	PID      int32
	UID, GID uint32
}

// NodeID identifies a filesystem node (a bound Unix socket's name).
type NodeID struct{ Dev, Ino uint64 }

// PathNames are the filesystem operations a Unix-domain socket needs, done
// in the caller's view (working directory, root, credentials).
type PathNames interface {
	// MakeSocketNode creates a socket node at path and returns its
	// identity and a function that removes it again; EADDRINUSE if
	// path exists.
	MakeSocketNode(path string) (NodeID, func(), error)

	// FindSocketNode resolves path to a node the caller may write:
	// ENOENT and the other path errors as they come, ECONNREFUSED for a
	// node that is not a socket.
	FindSocketNode(path string) (NodeID, error)
}

// Control is the ancillary data of a message (SCM_RIGHTS descriptors and
// SCM_CREDENTIALS). Only Unix-domain sockets carry it; other families
// fail with EINVAL when a message has some, as Linux does.
type Control struct {
	// Files are SCM_RIGHTS descriptors; the message holds a reference on
	// each.
	Files []*vfs.FileDescription

	// Cred is set for SCM_CREDENTIALS (sent, or added because the
	// receiver has SO_PASSCRED).
	Cred *Cred
}

// Empty reports whether c carries nothing.
func (c *Control) Empty() bool { return len(c.Files) == 0 && c.Cred == nil }

// Release drops the references c holds.
func (c *Control) Release() {
	for _, f := range c.Files {
		f.DecRef()
	}
	c.Files = nil
}

// SendMsg are the arguments of Socket.SendMsg besides the data.
type SendMsg struct {
	// To is the destination's raw sockaddr; nil for the connected peer.
	To []byte
	// Flags are the MSG_* flags (MSG_DONTWAIT is already in
	// Caller.Blocker; MSG_NOSIGNAL is the syscall layer's).
	Flags int
	// Ctl is the ancillary data. On success SendMsg owns its references;
	// on failure the caller keeps them.
	Ctl Control
}

// RecvMsg are the arguments of Socket.RecvMsg besides the buffer.
type RecvMsg struct {
	// Flags are the MSG_* flags: MSG_PEEK, MSG_WAITALL, MSG_TRUNC.
	Flags int
	// WantCtl says the caller takes ancillary data (recvmsg); otherwise
	// descriptors passed with the message are closed.
	WantCtl bool
}

// RecvResult is what Socket.RecvMsg returns besides the byte count.
type RecvResult struct {
	// MsgLen is the full length of the datagram or record (what
	// MSG_TRUNC returns); for streams the bytes returned.
	MsgLen int
	// Truncated says a datagram or record did not fit (MSG_TRUNC in
	// msg_flags).
	Truncated bool
	// From is the sender's raw sockaddr; nil when the socket reports
	// none (connected streams).
	From []byte
	// Ctl is the ancillary data; the caller owns its references.
	Ctl Control
}

// SockDev is the device number sockets report in stat (an anonymous
// device, like Linux's sockfs).
const SockDev = 0x8

var inos atomic.Uint64

// NextIno returns a fresh inode number for a socket's stat; all families
// share the sequence so that (SockDev, ino) is unique.
func NextIno() uint64 { return inos.Add(1) }

// SockStat is the stat of a socket created at ctime.
func SockStat(ino uint64, ctime vfs.Timespec) vfs.Stat {
	return vfs.Stat{
		Dev: SockDev, Ino: ino, Nlink: 1, Mode: unix.S_IFSOCK | 0o777,
		Blksize: 4096, Atime: ctime, Mtime: ctime, Ctime: ctime,
	}
}

// OptInt encodes an int option value as getsockopt returns it.
func OptInt(v int) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(int32(v)))
	return b
}

// OptBool encodes a boolean option value (0 or 1).
func OptBool(v bool) []byte {
	if v {
		return OptInt(1)
	}
	return OptInt(0)
}

// ParseOptInt decodes an int setsockopt value: EINVAL when it is shorter
// than an int.
func ParseOptInt(val []byte) (int, error) {
	if len(val) < 4 {
		return 0, unix.EINVAL
	}
	return int(int32(binary.LittleEndian.Uint32(val))), nil
}

// BufSize is what SO_SNDBUF and SO_RCVBUF store for a requested size v:
// twice v, within Linux's minimum and a generous maximum.
func BufSize(v int) int {
	return min(max(v, 2304), 1<<27) * 2
}
