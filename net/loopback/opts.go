package loopback

import (
	"encoding/binary"
	"time"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"golang.org/x/sys/unix"
)

// Socket options. Those with an effect are fields of options; the ones
// that only need to be accepted and read back (TCP_NODELAY, SO_KEEPALIVE,
// IP_TOS, ...) are kept in a table. An unknown option at a known level is
// ENOPROTOOPT; an unknown level is ENOPROTOOPT for setsockopt and
// EOPNOTSUPP for getsockopt, as Linux answers for TCP and UDP.

// options are a socket's settable options. Protected by Stack.mu.
type options struct {
	reuseAddr, reusePort bool
	sndBuf, rcvBuf       int
	rcvTimeo, sndTimeo   time.Duration
	// stored holds the values of the options in storedOpts.
	stored map[optKey]int
	linger [8]byte
}

func defaultOptions() options {
	return options{sndBuf: DefaultBufSize, rcvBuf: DefaultBufSize}
}

// clone returns a copy for an accepted socket, which inherits its
// listener's options.
func (o options) clone() options {
	if o.stored != nil {
		m := make(map[optKey]int, len(o.stored))
		for k, v := range o.stored {
			m[k] = v
		}
		o.stored = m
	}
	return o
}

type optKey struct{ level, name int }

// storedOpt describes an option that is stored and read back.
type storedOpt struct {
	def     int
	boolean bool // stored as 0 or 1
	// only restricts it to SOCK_STREAM or SOCK_DGRAM (0: both).
	only int
	// v6 restricts it to AF_INET6 sockets.
	v6 bool
	// min is the smallest value setsockopt accepts (else EINVAL).
	min int
}

var storedOpts = map[optKey]storedOpt{
	{unix.SOL_SOCKET, unix.SO_KEEPALIVE}:        {boolean: true},
	{unix.SOL_SOCKET, unix.SO_BROADCAST}:        {boolean: true},
	{unix.SOL_SOCKET, unix.SO_OOBINLINE}:        {boolean: true},
	{unix.SOL_SOCKET, unix.SO_DONTROUTE}:        {boolean: true},
	{unix.SOL_SOCKET, unix.SO_TIMESTAMP}:        {boolean: true},
	{unix.SOL_SOCKET, unix.SO_PRIORITY}:         {},
	{unix.SOL_SOCKET, unix.SO_RCVLOWAT}:         {def: 1, min: 0},
	{unix.IPPROTO_TCP, unix.TCP_NODELAY}:        {boolean: true, only: unix.SOCK_STREAM},
	{unix.IPPROTO_TCP, unix.TCP_CORK}:           {boolean: true, only: unix.SOCK_STREAM},
	{unix.IPPROTO_TCP, unix.TCP_QUICKACK}:       {def: 1, boolean: true, only: unix.SOCK_STREAM},
	{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}:       {def: 7200, only: unix.SOCK_STREAM, min: 1},
	{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}:      {def: 75, only: unix.SOCK_STREAM, min: 1},
	{unix.IPPROTO_TCP, unix.TCP_KEEPCNT}:        {def: 9, only: unix.SOCK_STREAM, min: 1},
	{unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT}:   {only: unix.SOCK_STREAM},
	{unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT}:   {only: unix.SOCK_STREAM},
	{unix.IPPROTO_IP, unix.IP_TOS}:              {},
	{unix.IPPROTO_IP, unix.IP_TTL}:              {def: 64, min: 1},
	{unix.IPPROTO_IP, unix.IP_RECVERR}:          {boolean: true},
	{unix.IPPROTO_IPV6, unix.IPV6_TCLASS}:       {v6: true, min: -1},
	{unix.IPPROTO_IPV6, unix.IPV6_RECVERR}:      {boolean: true, v6: true},
	{unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS}: {def: 64, v6: true, min: -1},
}

// knownLevel reports whether s answers options at level.
func (s *sock) knownLevel(level int) bool {
	switch level {
	case unix.SOL_SOCKET, unix.IPPROTO_IP:
		return true
	case unix.IPPROTO_IPV6:
		return s.family == unix.AF_INET6
	case unix.IPPROTO_TCP:
		return s.typ == unix.SOCK_STREAM
	case unix.IPPROTO_UDP:
		return s.typ == unix.SOCK_DGRAM
	}
	return false
}

// stored returns the spec of a stored option that applies to s.
func (s *sock) storedSpec(k optKey) (storedOpt, bool) {
	spec, ok := storedOpts[k]
	if !ok || (spec.only != 0 && spec.only != s.typ) || (spec.v6 && s.family != unix.AF_INET6) {
		return storedOpt{}, false
	}
	return spec, true
}

// SetSockOpt implements inet.Socket.
func (s *sock) SetSockOpt(_ *inet.Caller, level, name int, val []byte) error {
	if !s.knownLevel(level) {
		return unix.ENOPROTOOPT
	}
	st := s.st
	k := optKey{level, name}
	if spec, ok := s.storedSpec(k); ok {
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		if spec.boolean {
			v = b2i(v != 0)
		} else if v < spec.min {
			return unix.EINVAL
		}
		st.mu.Lock()
		if s.opts.stored == nil {
			s.opts.stored = map[optKey]int{}
		}
		s.opts.stored[k] = v
		st.mu.Unlock()
		return nil
	}
	switch k {
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}, optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}:
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		st.mu.Lock()
		if name == unix.SO_REUSEADDR {
			s.opts.reuseAddr = v != 0
		} else {
			s.opts.reusePort = v != 0
		}
		st.mu.Unlock()
	case optKey{unix.SOL_SOCKET, unix.SO_SNDBUF}, optKey{unix.SOL_SOCKET, unix.SO_RCVBUF},
		optKey{unix.SOL_SOCKET, unix.SO_SNDBUFFORCE}, optKey{unix.SOL_SOCKET, unix.SO_RCVBUFFORCE}:
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		snd := name == unix.SO_SNDBUF || name == unix.SO_SNDBUFFORCE
		st.mu.Lock()
		if snd {
			s.opts.sndBuf = max(min(max(v, 0), maxBufSize)*2, 4608)
		} else {
			s.opts.rcvBuf = max(min(max(v, 0), maxBufSize)*2, 2304)
		}
		st.mu.Unlock()
	case optKey{unix.SOL_SOCKET, unix.SO_RCVTIMEO}, optKey{unix.SOL_SOCKET, unix.SO_SNDTIMEO}:
		d, err := parseTimeval(val)
		if err != nil {
			return err
		}
		st.mu.Lock()
		if name == unix.SO_RCVTIMEO {
			s.opts.rcvTimeo = d
		} else {
			s.opts.sndTimeo = d
		}
		st.mu.Unlock()
	case optKey{unix.SOL_SOCKET, unix.SO_LINGER}:
		if len(val) < 8 {
			return unix.EINVAL
		}
		st.mu.Lock()
		copy(s.opts.linger[:], val)
		st.mu.Unlock()
	case optKey{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}:
		v, err := inet.ParseOptInt(val)
		if err != nil {
			return err
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		if s.bound {
			return unix.EINVAL
		}
		s.v6only = v != 0
	default:
		return unix.ENOPROTOOPT
	}
	return nil
}

// GetSockOpt implements inet.Socket.
func (s *sock) GetSockOpt(_ *inet.Caller, level, name, _ int) ([]byte, error) {
	if !s.knownLevel(level) {
		return nil, unix.EOPNOTSUPP
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	k := optKey{level, name}
	if spec, ok := s.storedSpec(k); ok {
		v, set := s.opts.stored[k]
		if !set {
			v = spec.def
		}
		return inet.OptInt(v), nil
	}
	switch k {
	case optKey{unix.SOL_SOCKET, unix.SO_TYPE}:
		return inet.OptInt(s.typ), nil
	case optKey{unix.SOL_SOCKET, unix.SO_DOMAIN}:
		return inet.OptInt(s.family), nil
	case optKey{unix.SOL_SOCKET, unix.SO_PROTOCOL}:
		return inet.OptInt(s.proto), nil
	case optKey{unix.SOL_SOCKET, unix.SO_ERROR}:
		e := s.soErr
		s.soErr = 0
		return inet.OptInt(int(e)), nil
	case optKey{unix.SOL_SOCKET, unix.SO_ACCEPTCONN}:
		return inet.OptBool(s.listening), nil
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}:
		return inet.OptBool(s.opts.reuseAddr), nil
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}:
		return inet.OptBool(s.opts.reusePort), nil
	case optKey{unix.SOL_SOCKET, unix.SO_SNDBUF}:
		return inet.OptInt(s.opts.sndBuf), nil
	case optKey{unix.SOL_SOCKET, unix.SO_RCVBUF}:
		return inet.OptInt(s.opts.rcvBuf), nil
	case optKey{unix.SOL_SOCKET, unix.SO_SNDLOWAT}:
		return inet.OptInt(1), nil
	case optKey{unix.SOL_SOCKET, unix.SO_RCVTIMEO}:
		return encodeTimeval(s.opts.rcvTimeo), nil
	case optKey{unix.SOL_SOCKET, unix.SO_SNDTIMEO}:
		return encodeTimeval(s.opts.sndTimeo), nil
	case optKey{unix.SOL_SOCKET, unix.SO_LINGER}:
		return append([]byte(nil), s.opts.linger[:]...), nil
	case optKey{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}:
		return inet.OptBool(s.v6only), nil
	}
	return nil, unix.ENOPROTOOPT
}

// parseTimeval decodes a struct timeval for SO_RCVTIMEO/SO_SNDTIMEO: zero
// (or negative) means no timeout; EDOM for microseconds out of range.
func parseTimeval(val []byte) (time.Duration, error) {
	if len(val) < 16 {
		return 0, unix.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(val))
	usec := int64(binary.LittleEndian.Uint64(val[8:]))
	if usec < 0 || usec >= 1000000 {
		return 0, unix.EDOM
	}
	if sec < 0 {
		return 0, nil
	}
	if sec > int64(time.Duration(1<<62)/time.Second) {
		return 0, nil // as good as forever
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, nil
}

func encodeTimeval(d time.Duration) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(d/time.Second))
	binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second/time.Microsecond))
	return b
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
