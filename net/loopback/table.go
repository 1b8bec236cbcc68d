package loopback

import (
	"sort"

	"github.com/seed-a9fb2a21/ward/core/inet"
)

// Sockets implements inet.SocketTable for /proc/net/tcp, tcp6, udp and
// udp6. As on Linux, a TCP socket is listed when it listens or is (or
// was) connected, a UDP socket when it is bound; sockets are in inode
// order.
func (st *Stack) Sockets(protocol int) []inet.SocketInfo {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []inet.SocketInfo
	for k, socks := range st.ports {
		if k.proto != protocol {
			continue
		}
		for _, s := range socks {
			if s.released {
				continue
			}
			info := inet.SocketInfo{Family: s.family, Local: s.local, UID: s.uid, Ino: s.ino}
			if s.hasRemote {
				info.Remote = s.remote
			}
			switch o := s.owner.(type) {
			case *stream:
				switch {
				case o.listening:
					info.State = inet.TCPListen
					info.RxQueue = len(o.acceptq)
				case !o.connected:
					continue // bound only: not in Linux's tables
				default:
					info.State = tcpState(o)
					info.RxQueue = len(o.rbuf)
				}
			case *dgram:
				info.State = inet.TCPClose
				if o.hasRemote {
					info.State = inet.TCPEstablished
				}
				info.RxQueue = o.recvBytes
			}
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ino < out[j].Ino })
	return out
}

// tcpState is the state /proc/net/tcp shows for a connected stream.
//
// Preconditions: st.mu is held.
func tcpState(s *stream) int {
	switch {
	case s.fin && s.wrShut:
		return inet.TCPClose
	case s.fin:
		return inet.TCPCloseWait
	case s.wrShut:
		return inet.TCPFinWait2
	}
	return inet.TCPEstablished
}

// noteOwnerLocked records the user of the first call that binds or
// connects s, the socket's owner as /proc/net shows it.
//
// Preconditions: st.mu is held.
func (s *sock) noteOwnerLocked(c *inet.Caller) {
	if c != nil && !s.hasOwner {
		s.uid, s.hasOwner = c.Cred.UID, true
	}
}

var _ inet.SocketTable = (*Stack)(nil)
