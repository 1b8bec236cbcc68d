package inet

import "net/netip"

// SocketTable is implemented by stacks that can list their TCP and UDP
// sockets, as /proc/net/tcp, tcp6, udp and udp6 show them. It is
// optional: for a stack without it those files have only their header.
type SocketTable interface {
	// Sockets returns a snapshot of the stack's bound or connected
	// sockets of protocol (IPPROTO_TCP or IPPROTO_UDP).
	Sockets(protocol int) []SocketInfo
}

// SocketInfo is one line of /proc/net/tcp and friends.
type SocketInfo struct {
	// Family is the socket's family: AF_INET sockets are listed in tcp
	// and udp, AF_INET6 ones in tcp6 and udp6.
	Family int
	// Local and Remote are the addresses, unmapped (an AF_INET6 socket
	// bound to a v4-mapped address has an IPv4 Local); the zero
	// AddrPort when unset.
	Local, Remote netip.AddrPort
	// State is the TCP state as Linux numbers it (TCPEstablished,
	// TCPListen, ...); UDP sockets are TCPClose, or TCPEstablished when
	// connected.
	State int
	// TxQueue and RxQueue are the bytes queued (for a listener, RxQueue
	// is the connections waiting for accept and TxQueue 0).
	TxQueue, RxQueue int
	// UID is the owner's user ID; Ino the socket's inode number.
	UID uint32
	Ino uint64
}

// TCP states as /proc/net/tcp shows them (include/net/tcp_states.h).
const (
	TCPEstablished = 1
	TCPSynSent     = 2
	TCPSynRecv     = 3
	TCPFinWait1    = 4
	TCPFinWait2    = 5
	TCPTimeWait    = 6
	TCPClose       = 7
	TCPCloseWait   = 8
	TCPLastAck     = 9
	TCPListen      = 10
	TCPClosing     = 11
)
