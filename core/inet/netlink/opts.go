package netlink

import (
	"encoding/binary"
	"time"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"golang.org/x/sys/unix"
)

// Socket options: at SOL_SOCKET the ones every socket answers, at
// SOL_NETLINK group membership and the flags that change replies
// (NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK, NETLINK_NO_ENOBUFS). The other
// SOL_NETLINK flags (NETLINK_PKTINFO, NETLINK_EXT_ACK,
// NETLINK_BROADCAST_ERROR, NETLINK_LISTEN_ALL_NSID) are stored and read
// back: no extended ack TLVs or packet info are ever added. Any other
// level is ENOPROTOOPT, as Linux's netlink_setsockopt and
// netlink_getsockopt.

// nlFlagOpts are the SOL_NETLINK options that are an int flag.
var nlFlagOpts = map[int]bool{
	unix.NETLINK_PKTINFO: true, unix.NETLINK_BROADCAST_ERROR: true,
	unix.NETLINK_NO_ENOBUFS: true, unix.NETLINK_LISTEN_ALL_NSID: true,
	unix.NETLINK_CAP_ACK: true, unix.NETLINK_EXT_ACK: true,
	unix.NETLINK_GET_STRICT_CHK: true,
}

// GetSockOpt implements inet.Socket.
func (s *socket) GetSockOpt(c *inet.Caller, level, name, optlen int) ([]byte, error) {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	switch level {
	case unix.SOL_SOCKET:
		switch name {
		case unix.SO_TYPE:
			return inet.OptInt(s.typ), nil
		case unix.SO_DOMAIN:
			return inet.OptInt(unix.AF_NETLINK), nil
		case unix.SO_PROTOCOL:
			return inet.OptInt(unix.NETLINK_ROUTE), nil
		case unix.SO_ERROR:
			e := s.soErr
			s.soErr = 0
			return inet.OptInt(int(e)), nil
		case unix.SO_RCVBUF:
			return inet.OptInt(s.rcvBuf), nil
		case unix.SO_SNDBUF:
			return inet.OptInt(s.sndBuf), nil
		case unix.SO_PASSCRED:
			return inet.OptBool(s.passCred), nil
		case unix.SO_ACCEPTCONN:
			return inet.OptInt(0), nil
		case unix.SO_RCVTIMEO, unix.SO_SNDTIMEO:
			d := s.rcvTimeo
			if name == unix.SO_SNDTIMEO {
				d = s.sndTimeo
			}
			b := make([]byte, 16)
			binary.LittleEndian.PutUint64(b, uint64(d/time.Second))
			binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second/time.Microsecond))
			return b, nil
		}
		return nil, unix.ENOPROTOOPT
	case unix.SOL_NETLINK:
		if name == unix.NETLINK_LIST_MEMBERSHIPS {
			b := make([]byte, maxGroups/8)
			binary.LittleEndian.PutUint64(b, s.groups)
			return b, nil
		}
		if nlFlagOpts[name] {
			return inet.OptBool(s.nlOpts[name]), nil
		}
	}
	return nil, unix.ENOPROTOOPT
}

// SetSockOpt implements inet.Socket.
func (s *socket) SetSockOpt(c *inet.Caller, level, name int, val []byte) error {
	switch level {
	case unix.SOL_SOCKET:
		if name == unix.SO_RCVTIMEO || name == unix.SO_SNDTIMEO {
			if len(val) < 16 {
				return unix.EINVAL
			}
			sec := int64(binary.LittleEndian.Uint64(val))
			usec := int64(binary.LittleEndian.Uint64(val[8:]))
			if usec < 0 || usec >= 1000000 {
				return unix.EDOM
			}
			d := time.Duration(0)
			if sec > 0 || usec > 0 {
				d = time.Duration(max(sec, 0))*time.Second + time.Duration(usec)*time.Microsecond
			}
			s.ns.mu.Lock()
			defer s.ns.mu.Unlock()
			if name == unix.SO_RCVTIMEO {
				s.rcvTimeo = d
			} else {
				s.sndTimeo = d
			}
			return nil
		}
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		s.ns.mu.Lock()
		defer s.ns.mu.Unlock()
		switch name {
		case unix.SO_RCVBUF:
			s.rcvBuf = inet.BufSize(min(v, maxBufSize))
		case unix.SO_SNDBUF:
			s.sndBuf = inet.BufSize(min(v, maxBufSize))
		case unix.SO_RCVBUFFORCE, unix.SO_SNDBUFFORCE:
			if c == nil || c.Cred.UID != 0 {
				return unix.EPERM
			}
			if name == unix.SO_RCVBUFFORCE {
				s.rcvBuf = inet.BufSize(v)
			} else {
				s.sndBuf = inet.BufSize(v)
			}
		case unix.SO_PASSCRED:
			s.passCred = v != 0
		default:
			return unix.ENOPROTOOPT
		}
		return nil
	case unix.SOL_NETLINK:
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		s.ns.mu.Lock()
		defer s.ns.mu.Unlock()
		switch {
		case name == unix.NETLINK_ADD_MEMBERSHIP || name == unix.NETLINK_DROP_MEMBERSHIP:
			if v <= 0 || v > maxGroups {
				return unix.EINVAL
			}
			s.autobindLocked(c)
			if name == unix.NETLINK_ADD_MEMBERSHIP {
				s.groups |= 1 << (v - 1)
			} else {
				s.groups &^= 1 << (v - 1)
			}
			return nil
		case nlFlagOpts[name]:
			if s.nlOpts == nil {
				s.nlOpts = map[int]bool{}
			}
			s.nlOpts[name] = v != 0
			return nil
		}
	}
	return unix.ENOPROTOOPT
}
