// Package netlink serves NETLINK_ROUTE sockets for a network stack: the
// route netlink that getifaddrs(3), if_nameindex(3), iproute2 (ip addr, ip
// link, ip route) and language runtimes use to discover the interfaces.
// Everything it reports is derived from inet.Stack.Interfaces, so any
// stack gets netlink by routing socket(AF_NETLINK, ...) to NewSocket with
// a Namespace of its own.
//
// What it answers: RTM_GETLINK (dump, or one link by index or name),
// RTM_GETADDR (dump, filtered by family and, with NETLINK_GET_STRICT_CHK,
// by interface), RTM_GETROUTE (dump of the routes Linux derives from the
// addresses: local, broadcast and prefix routes), RTM_GETNEIGH (an empty
// dump: nothing has a link-layer neighbour). Requests that would change
// something (RTM_NEW*, RTM_DEL*, RTM_SET*) are EPERM, as for a container
// without CAP_NET_ADMIN; other requests are EOPNOTSUPP. Nothing ever
// changes, so multicast groups may be joined but never deliver anything.
//
// Files: netlink.go (message and attribute encoding, request parsing),
// route.go (the rtnetlink requests and the link, address and route
// messages), socket.go (the socket and the port IDs of a Namespace).
//
// The layouts are those of include/uapi/linux/{netlink,rtnetlink,
// if_link,if_addr}.h; constants come from golang.org/x/sys/unix, which is
// generated from those headers, or are defined below where it has none.
//
// # Locking
//
// Namespace.mu protects the port table and every socket's state (bound
// port, options, receive queue). Each socket's waiter queue lock is a leaf
// below it.
//
//	Namespace.mu
//	  vfs.Queue.mu
package netlink

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Sizes of the headers (NLMSG_HDRLEN, NLA_HDRLEN, struct ifinfomsg,
// struct ifaddrmsg, struct rtmsg, struct nlmsgerr without the echoed
// message, struct sockaddr_nl).
const (
	hdrLen        = 16
	attrHdrLen    = 4
	ifinfomsgLen  = 16
	ifaddrmsgLen  = 8
	rtmsgLen      = 12
	errorLen      = 4
	sockaddrNlLen = 12
)

// Constants the headers define and x/sys/unix does not (or not in every
// version).
const (
	iflaMinMTU       = 50 // IFLA_MIN_MTU
	iflaMaxMTU       = 51 // IFLA_MAX_MTU
	iflaGROMaxSize   = 58 // IFLA_GRO_MAX_SIZE
	iflaTSOMaxSize   = 59 // IFLA_TSO_MAX_SIZE
	iflaTSOMaxSegs   = 60 // IFLA_TSO_MAX_SEGS
	iflaAllMulti     = 61 // IFLA_ALLMULTI
	ifaProto         = 11 // IFA_PROTO
	ifaProtKernelLo  = 1  // IFAPROT_KERNEL_LO
	ifOperUnknown    = 0  // IF_OPER_UNKNOWN
	ifOperDown       = 2  // IF_OPER_DOWN
	ifOperUp         = 6  // IF_OPER_UP
	rtnlStatsLen     = 24 * 4
	rtnlStats64Len   = 25 * 8
	ifaCacheinfoLen  = 16
	rtaCacheinfoLen  = 32
	infinityLifetime = 0xffffffff
)

var le = binary.LittleEndian

// align rounds n up to NLMSG_ALIGNTO (and NLA_ALIGNTO), 4.
func align(n int) int { return (n + 3) &^ 3 }

// message builds one netlink message: the header, the family header, and
// attributes appended after it.
type message struct {
	b []byte
}

// newMessage starts a message of type typ with flags, seq and the
// destination port pid, followed by the fixed family header fam.
func newMessage(typ, flags uint16, seq, pid uint32, fam []byte) *message {
	m := &message{b: make([]byte, hdrLen, 256)}
	le.PutUint16(m.b[4:], typ)
	le.PutUint16(m.b[6:], flags)
	le.PutUint32(m.b[8:], seq)
	le.PutUint32(m.b[12:], pid)
	m.b = append(m.b, fam...)
	m.b = m.b[:align(len(m.b))]
	return m
}

// attr appends attribute typ with value v, padded to 4 bytes.
func (m *message) attr(typ uint16, v []byte) {
	n := attrHdrLen + len(v)
	var h [attrHdrLen]byte
	le.PutUint16(h[:], uint16(n))
	le.PutUint16(h[2:], typ)
	m.b = append(m.b, h[:]...)
	m.b = append(m.b, v...)
	for len(m.b)%4 != 0 {
		m.b = append(m.b, 0)
	}
}

func (m *message) u8(typ uint16, v uint8) { m.attr(typ, []byte{v}) }

func (m *message) u32(typ uint16, v uint32) {
	var b [4]byte
	le.PutUint32(b[:], v)
	m.attr(typ, b[:])
}

// str appends a NUL-terminated string attribute.
func (m *message) str(typ uint16, s string) { m.attr(typ, append([]byte(s), 0)) }

// bytes returns the finished message, its length filled in.
func (m *message) bytes() []byte {
	le.PutUint32(m.b, uint32(len(m.b)))
	return m.b
}

// header is a parsed struct nlmsghdr.
type header struct {
	Len   uint32
	Type  uint16
	Flags uint16
	Seq   uint32
	PID   uint32
}

func parseHeader(b []byte) header {
	return header{
		Len: le.Uint32(b), Type: le.Uint16(b[4:]), Flags: le.Uint16(b[6:]),
		Seq: le.Uint32(b[8:]), PID: le.Uint32(b[12:]),
	}
}

// splitMessages returns the messages of a request buffer, as Linux's
// netlink_rcv_skb walks them: it stops, without error, at the first header
// that is truncated, shorter than a header, or longer than what is left.
func splitMessages(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= hdrLen {
		l := int(le.Uint32(b))
		if l < hdrLen || l > len(b) {
			break
		}
		out = append(out, b[:l])
		b = b[min(align(l), len(b)):]
	}
	return out
}

// parseAttrs returns the attributes in b by type (the last one wins), or
// false when one is malformed.
func parseAttrs(b []byte) (map[uint16][]byte, bool) {
	attrs := map[uint16][]byte{}
	for len(b) >= attrHdrLen {
		l := int(le.Uint16(b))
		if l < attrHdrLen || l > len(b) {
			return attrs, false
		}
		attrs[le.Uint16(b[2:])&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER)] = b[attrHdrLen:l]
		b = b[min(align(l), len(b)):]
	}
	return attrs, true
}

// errorMessage is the NLMSG_ERROR reply to the request req: an
// acknowledgement when errno is 0 (only req's header is echoed, with
// NLM_F_CAPPED), an error otherwise (the whole request is echoed unless
// capAck).
func errorMessage(req []byte, errno unix.Errno, pid uint32, capAck bool) []byte {
	h := parseHeader(req)
	echo := req
	var flags uint16
	if errno == 0 || capAck {
		echo = req[:hdrLen]
		flags = unix.NLM_F_CAPPED
	}
	var e [errorLen]byte
	le.PutUint32(e[:], uint32(-int32(errno)))
	m := newMessage(unix.NLMSG_ERROR, flags, h.Seq, pid, append(e[:], echo...))
	return m.bytes()
}

// doneMessage ends a dump: NLMSG_DONE with NLM_F_MULTI and the dump's
// result (0, or a negative errno).
func doneMessage(seq, pid uint32, flags uint16, errno unix.Errno) []byte {
	var e [4]byte
	le.PutUint32(e[:], uint32(-int32(errno)))
	return newMessage(unix.NLMSG_DONE, unix.NLM_F_MULTI|flags, seq, pid, e[:]).bytes()
}
