// Package inet defines the interface of a network stack: what serves the
// socket families that are not the kernel's own (AF_INET, AF_INET6,
// AF_NETLINK). Unix-domain sockets belong to the kernel.
//
// Implementations live under net/ and register with core/registry under
// kind "net"; their constructor returns a Stack.
package inet

import "github.com/seed-a9fb2a21/ward/core/vfs"

// Stack is a network stack.
type Stack interface {
	// Socket creates a socket of the given family, type and protocol, or
	// returns an errno: EAFNOSUPPORT for a family the stack does not
	// serve, EPROTONOSUPPORT or ESOCKTNOSUPPORT for the rest.
	Socket(family, stype, protocol int) (*vfs.FileDescription, error)

	// Interfaces lists the stack's network interfaces by name.
	Interfaces() []Interface
}

// Interface is a network interface of a stack.
type Interface struct {
	Name  string
	Index int
	// Addrs are the interface's addresses in CIDR form ("127.0.0.1/8").
	Addrs []string

	// The link as RTM_GETLINK and SIOCGIF* report it. Zero values mean
	// an interface that is down, of no particular type.

	// Flags are the IFF_* flags (IFF_UP, IFF_LOOPBACK, IFF_RUNNING,
	// IFF_LOWER_UP, ...).
	Flags uint32
	// Type is the ARPHRD_* hardware type (ARPHRD_LOOPBACK for lo).
	Type uint16
	// MTU is the interface's MTU in bytes.
	MTU int
	// TxQueueLen is the transmit queue length (qlen).
	TxQueueLen int
	// HardwareAddr and Broadcast are the link-layer addresses (six zero
	// bytes each for lo); nil when the link has none.
	HardwareAddr, Broadcast []byte
}
