package loopback

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Addresses inside the stack are netip.AddrPorts whose address is
// unmapped: an IPv4 address is always Is4, even when an AF_INET6 socket
// named it as ::ffff:a.b.c.d. Each socket encodes addresses back in its
// own family (AF_INET6 sockets see IPv4 peers v4-mapped).

// Sizes of struct sockaddr_in and struct sockaddr_in6 (and the shorter
// RFC 2133 sockaddr_in6 that Linux still accepts).
const (
	sockaddrInLen      = 16
	sockaddrIn6Len     = 28
	sockaddrIn6MinLen  = 24
	maxUDPPayload4     = 65507
	maxUDPPayload6     = 65527
	sockaddrFamilySize = 2
)

var (
	loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	loopback6 = netip.IPv6Loopback()
	any4      = netip.IPv4Unspecified()
	any6      = netip.IPv6Unspecified()
)

// decodeAddr decodes the raw sockaddr b given to a socket of family.
// unspecOK lets an AF_INET socket take AF_UNSPEC as AF_INET (sendto and
// bind do). mapped reports a v4-mapped address given to an AF_INET6
// socket.
func decodeAddr(family int, b []byte, unspecOK bool) (ap netip.AddrPort, mapped bool, err error) {
	if len(b) < sockaddrFamilySize {
		return ap, false, unix.EINVAL
	}
	fam := int(binary.LittleEndian.Uint16(b))
	switch family {
	case unix.AF_INET:
		if len(b) < sockaddrInLen {
			return ap, false, unix.EINVAL
		}
		if fam != unix.AF_INET && !(fam == unix.AF_UNSPEC && unspecOK) {
			return ap, false, unix.EAFNOSUPPORT
		}
		port := binary.BigEndian.Uint16(b[2:])
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), false, nil
	default:
		if len(b) < sockaddrIn6MinLen {
			return ap, false, unix.EINVAL
		}
		if fam != unix.AF_INET6 {
			return ap, false, unix.EAFNOSUPPORT
		}
		port := binary.BigEndian.Uint16(b[2:])
		a := netip.AddrFrom16([16]byte(b[8:24]))
		if a.Is4In6() {
			return netip.AddrPortFrom(a.Unmap(), port), true, nil
		}
		return netip.AddrPortFrom(a, port), false, nil
	}
}

// encodeAddr returns the raw sockaddr of ap for a socket of family.
func encodeAddr(family int, ap netip.AddrPort) []byte {
	a := ap.Addr()
	if family == unix.AF_INET {
		b := make([]byte, sockaddrInLen)
		binary.LittleEndian.PutUint16(b, unix.AF_INET)
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		if a.Is4() {
			v := a.As4()
			copy(b[4:], v[:])
		}
		return b
	}
	b := make([]byte, sockaddrIn6Len)
	binary.LittleEndian.PutUint16(b, unix.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	if a.IsValid() {
		v := a.As16() // v4-mapped for an IPv4 address
		copy(b[8:], v[:])
	}
	return b
}

// isUnspecifiedFamily reports a raw sockaddr whose family is AF_UNSPEC
// (connect's request to dissolve an association).
func isUnspecifiedFamily(b []byte) bool {
	return len(b) >= sockaddrFamilySize && binary.LittleEndian.Uint16(b) == unix.AF_UNSPEC
}

// local reports whether a is an address of this stack's interface (or
// the wildcard), which bind accepts.
func local(a netip.Addr) bool {
	return a.IsUnspecified() || a.IsLoopback()
}

// destination resolves the address a socket sends or connects to: the
// wildcard means the loopback address of its family, as on Linux; any
// address but a loopback one has no route (ENETUNREACH).
func destination(a netip.Addr) (netip.Addr, error) {
	switch {
	case a == any4:
		return loopback4, nil
	case a == any6:
		return loopback6, nil
	case a.IsLoopback():
		return a, nil
	}
	return netip.Addr{}, unix.ENETUNREACH
}

// sourceFor is the source address of traffic to dst from a socket bound
// to the local address l (a wildcard picks the loopback address of dst's
// family). ENETUNREACH when l cannot reach dst's family.
func sourceFor(l, dst netip.Addr) (netip.Addr, error) {
	if !l.IsUnspecified() {
		if l.Is4() != dst.Is4() {
			return netip.Addr{}, unix.ENETUNREACH
		}
		return l, nil
	}
	if dst.Is4() {
		return loopback4, nil
	}
	return loopback6, nil
}
