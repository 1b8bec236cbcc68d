// Package none is the network stack with nothing in it: no interfaces, no
// IP sockets, no netlink. socket(2) with any family it would serve
// (AF_INET, AF_INET6, AF_NETLINK, ...) fails with EAFNOSUPPORT, as on a
// kernel built without them, so getifaddrs(3) fails and ip(8) cannot open
// its socket; /proc/net shows empty tables. Unix-domain sockets are the
// kernel's own and are not affected. It registers as net "none".
package none

import (
	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindNet,
		Name:    "none",
		Summary: "no network at all: no interfaces, IP sockets fail with EAFNOSUPPORT",
		New:     func(any) (any, error) { return Stack{}, nil },
	})
}

// Stack is the empty network stack.
type Stack struct{}

// Socket implements inet.Stack.
func (Stack) Socket(family, stype, protocol int) (*vfs.FileDescription, error) {
	return nil, unix.EAFNOSUPPORT
}

// Interfaces implements inet.Stack.
func (Stack) Interfaces() []inet.Interface { return nil }

var _ inet.Stack = Stack{}
