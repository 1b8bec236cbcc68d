package unixsock

import (
	"encoding/binary"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"golang.org/x/sys/unix"
)

// Socket options (SOL_SOCKET only; other levels are EOPNOTSUPP, as on
// Linux for AF_UNIX).

// SetSockOpt implements inet.Socket.
func (s *Socket) SetSockOpt(_ *inet.Caller, level, name int, val []byte) error {
	if level != unix.SOL_SOCKET {
		return unix.EOPNOTSUPP
	}
	switch name {
	case unix.SO_SNDBUF, unix.SO_RCVBUF, unix.SO_SNDBUFFORCE, unix.SO_RCVBUFFORCE:
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		s.SetBufSize(name == unix.SO_SNDBUF || name == unix.SO_SNDBUFFORCE, v)
	case unix.SO_PASSCRED:
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		s.SetPassCred(v != 0)
	case unix.SO_REUSEADDR, unix.SO_REUSEPORT, unix.SO_KEEPALIVE, unix.SO_BROADCAST,
		unix.SO_DONTROUTE, unix.SO_OOBINLINE, unix.SO_PASSSEC, unix.SO_TIMESTAMP,
		unix.SO_PRIORITY, unix.SO_RCVLOWAT, unix.SO_SNDLOWAT:
		if _, err := inet.ParseOptInt(val); err != nil {
			return err
		}
	case unix.SO_LINGER, unix.SO_RCVTIMEO, unix.SO_SNDTIMEO:
		// Accepted but not enforced.
		if len(val) < 8 {
			return unix.EINVAL
		}
	default:
		return unix.ENOPROTOOPT
	}
	return nil
}

// GetSockOpt implements inet.Socket.
func (s *Socket) GetSockOpt(_ *inet.Caller, level, name, _ int) ([]byte, error) {
	if level != unix.SOL_SOCKET {
		return nil, unix.EOPNOTSUPP
	}
	switch name {
	case unix.SO_TYPE:
		return inet.OptInt(s.typ), nil
	case unix.SO_DOMAIN:
		return inet.OptInt(unix.AF_UNIX), nil
	case unix.SO_PROTOCOL:
		return inet.OptInt(0), nil
	case unix.SO_ERROR:
		return inet.OptInt(int(s.TakeError())), nil
	case unix.SO_SNDBUF:
		return inet.OptInt(s.BufSize(true)), nil
	case unix.SO_RCVBUF:
		return inet.OptInt(s.BufSize(false)), nil
	case unix.SO_PASSCRED:
		return inet.OptBool(s.PassCred()), nil
	case unix.SO_ACCEPTCONN:
		return inet.OptBool(s.Listening()), nil
	case unix.SO_REUSEADDR, unix.SO_REUSEPORT, unix.SO_KEEPALIVE, unix.SO_BROADCAST,
		unix.SO_DONTROUTE, unix.SO_OOBINLINE, unix.SO_PASSSEC, unix.SO_TIMESTAMP, unix.SO_PRIORITY:
		return inet.OptInt(0), nil
	case unix.SO_RCVLOWAT, unix.SO_SNDLOWAT:
		return inet.OptInt(1), nil
	case unix.SO_LINGER:
		return make([]byte, 8), nil
	case unix.SO_RCVTIMEO, unix.SO_SNDTIMEO:
		return make([]byte, 16), nil
	case unix.SO_PEERCRED:
		c := s.PeerCred()
		val := make([]byte, 12)
		binary.LittleEndian.PutUint32(val, uint32(c.PID))
		binary.LittleEndian.PutUint32(val[4:], c.UID)
		binary.LittleEndian.PutUint32(val[8:], c.GID)
		return val, nil
	}
	return nil, unix.ENOPROTOOPT
}
