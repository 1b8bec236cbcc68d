package kernel

import "github.com/seed-a9fb2a21/ward/core/inet"

// Network returns the kernel's network stack (Config.Network): what serves
// the socket families that are not the kernel's own (AF_INET, AF_INET6,
// AF_NETLINK). Nil means none: every family but AF_UNIX is EAFNOSUPPORT.
func (k *Kernel) Network() inet.Stack { return k.cfg.Network }
