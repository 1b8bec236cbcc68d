// Package loopback is an isolated network stack inside the sandbox: one
// interface, "lo", with 127.0.0.1/8 and ::1/128, and TCP (SOCK_STREAM)
// and UDP (SOCK_DGRAM) sockets for AF_INET and AF_INET6 that reach only
// each other. Its NETLINK_ROUTE sockets (core/inet/netlink) describe lo,
// and its sockets answer the SIOCGIF* interface ioctls. No data ever leaves Ward: there are no host sockets, no
// packets and no checksums, only byte queues between sockets of one
// Stack. It registers as net "loopback".
//
// What it models of Linux: bind rules (addresses, ephemeral ports,
// EADDRINUSE, SO_REUSEADDR and SO_REUSEPORT, IPV6_V6ONLY and v4-mapped
// addresses), listen backlogs, connect (complete at once; ECONNREFUSED
// without a listener), EOF, resets and EPIPE, shutdown, bounded buffers,
// datagrams with their source addresses, readiness for poll and epoll,
// and the socket options programs set. docs/networking.md lists what is
// supported and which errno the rest returns.
//
// Files: addr.go (sockaddr_in/sockaddr_in6 and address rules), ports.go
// (the port table), socket.go (what TCP and UDP sockets share), opts.go
// (socket options), tcp.go (stream sockets), udp.go (datagram sockets),
// table.go (the socket list /proc/net/tcp and udp show).
//
// # Locking
//
// One mutex per Stack, Stack.mu, protects the port table and the state of
// every socket of the stack, so that operations on two sockets (connect,
// send, close) need no lock order. The vfs.Queue of each socket has its
// own lock, a leaf: queues are notified with Stack.mu held or not, and
// nothing takes Stack.mu while holding a queue's lock.
//
//	Stack.mu
//	  vfs.Queue.mu (each socket's waiter queue)
//
// The netlink namespace (Stack.nl) has its own lock, never held together
// with Stack.mu.
package loopback

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/inet/netlink"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindNet,
		Name:    "loopback",
		Summary: "isolated in-sandbox stack: interface lo with 127.0.0.1 and ::1, TCP and UDP between the sandbox's own sockets",
		New:     func(any) (any, error) { return New(), nil },
	})
}

// Limits and defaults, as on Linux.
const (
	// DefaultBufSize is the default SO_SNDBUF and SO_RCVBUF
	// (net.core.rmem_default); a receive queue holds at most its
	// socket's SO_RCVBUF bytes.
	DefaultBufSize = 212992

	// maxBufSize is net.core.rmem_max/wmem_max: setsockopt stores at
	// most twice this.
	maxBufSize = 212992

	// MaxBacklog is net.core.somaxconn.
	MaxBacklog = 4096

	// Ephemeral ports (net.ipv4.ip_local_port_range).
	ephemeralFirst = 32768
	ephemeralLast  = 60999
)

// Stack is one sandbox's loopback network. The zero value is not usable;
// call New.
type Stack struct {
	// mu protects ports, nextPort and the mutable state of every socket
	// of the stack; see the package doc.
	mu       sync.Mutex
	ports    map[portKey][]*sock
	nextPort int

	// nl serves the stack's NETLINK_ROUTE sockets; immutable. Its lock
	// is independent of mu: neither is taken while holding the other.
	nl *netlink.Namespace
}

// New returns an empty stack.
func New() *Stack {
	st := &Stack{ports: map[portKey][]*sock{}, nextPort: ephemeralFirst}
	st.nl = netlink.NewNamespace(st)
	return st
}

// Socket implements inet.Stack. stype may carry SOCK_NONBLOCK.
func (st *Stack) Socket(family, stype, protocol int) (*vfs.FileDescription, error) {
	if family == unix.AF_NETLINK {
		return st.nl.NewSocket(stype, protocol)
	}
	if family != unix.AF_INET && family != unix.AF_INET6 {
		return nil, unix.EAFNOSUPPORT
	}
	flags := unix.O_RDWR
	if stype&unix.SOCK_NONBLOCK != 0 {
		flags |= unix.O_NONBLOCK
	}
	var impl vfs.FileImpl
	switch stype & 0xf {
	case unix.SOCK_STREAM:
		if protocol != 0 && protocol != unix.IPPROTO_TCP {
			return nil, unix.EPROTONOSUPPORT
		}
		impl = st.newStream(family)
	case unix.SOCK_DGRAM:
		if protocol != 0 && protocol != unix.IPPROTO_UDP {
			return nil, unix.EPROTONOSUPPORT
		}
		impl = st.newDgram(family)
	default:
		// SOCK_RAW (ping), SOCK_SEQPACKET (SCTP) and the rest.
		return nil, unix.ESOCKTNOSUPPORT
	}
	return vfs.NewDescription(impl, vfs.DescriptionOptions{Flags: flags, Stream: true}), nil
}

// Interfaces implements inet.Stack: lo, as Linux sets it up (flags
// LOOPBACK, UP, RUNNING, LOWER_UP; MTU 65536; qlen 1000; a zero hardware
// address). It returns a fresh slice each time.
func (st *Stack) Interfaces() []inet.Interface {
	return []inet.Interface{{
		Name: "lo", Index: 1, Addrs: []string{"127.0.0.1/8", "::1/128"},
		Flags:        unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING | unix.IFF_LOWER_UP,
		Type:         unix.ARPHRD_LOOPBACK,
		MTU:          65536,
		TxQueueLen:   1000,
		HardwareAddr: make([]byte, 6),
		Broadcast:    make([]byte, 6),
	}}
}

var _ inet.Stack = (*Stack)(nil)
