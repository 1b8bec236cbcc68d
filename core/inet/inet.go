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
}
