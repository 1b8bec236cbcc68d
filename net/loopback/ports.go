package loopback

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// The port table: which sockets hold which port, per protocol. A socket
// enters it when it is bound (explicitly, or implicitly by connect,
// listen or a first send) and leaves it when released. Accepted TCP
// sockets hold their listener's port too, as on Linux.

// portKey is a protocol (IPPROTO_TCP, IPPROTO_UDP) and a port.
type portKey struct {
	proto int
	port  uint16
}

// covers reports whether s, bound to the address l, receives traffic for
// the address a: a wildcard covers its family (an AF_INET6 wildcard also
// covers IPv4 unless IPV6_V6ONLY), a specific address only itself.
//
// Preconditions: st.mu is held.
func (s *sock) covers(l, a netip.Addr) bool {
	switch {
	case l == any4:
		return a.Is4()
	case l == any6:
		return a.Is6() || (a.Is4() && !s.v6only)
	}
	return l == a
}

// overlaps reports whether s bound to l and o (bound) share an address.
//
// Preconditions: st.mu is held.
func (s *sock) overlaps(l netip.Addr, o *sock) bool {
	ol := o.local.Addr()
	switch {
	case l.IsUnspecified() && ol.IsUnspecified():
		// Two wildcards overlap when their families do.
		v4a, v6a := l == any4 || !s.v6only, l == any6
		v4b, v6b := ol == any4 || !o.v6only, ol == any6
		return (v4a && v4b) || (v6a && v6b)
	case l.IsUnspecified():
		return s.covers(l, ol)
	case ol.IsUnspecified():
		return o.covers(ol, l)
	}
	return l == ol
}

// shares reports whether s may hold a port that o holds too: both set
// SO_REUSEPORT, or both set SO_REUSEADDR and o is not a listening TCP
// socket.
//
// Preconditions: st.mu is held.
func (s *sock) shares(o *sock) bool {
	if s.opts.reusePort && o.opts.reusePort {
		return true
	}
	return s.opts.reuseAddr && o.opts.reuseAddr && !o.isListening()
}

// free reports whether s may bind l:port.
//
// Preconditions: st.mu is held.
func (st *Stack) free(s *sock, l netip.Addr, port uint16) bool {
	for _, o := range st.ports[portKey{s.proto, port}] {
		if o != s && s.overlaps(l, o) && !s.shares(o) {
			return false
		}
	}
	return true
}

// bindLocked binds s to l:port, choosing an ephemeral port for port 0:
// EADDRINUSE when the port is taken, EAGAIN when no ephemeral port is
// left (as Linux reports it).
//
// Preconditions: st.mu is held; s is not bound.
func (st *Stack) bindLocked(s *sock, l netip.Addr, port uint16) error {
	if port == 0 {
		n := ephemeralLast - ephemeralFirst + 1
		for i := 0; i < n; i++ {
			p := uint16(st.nextPort)
			st.nextPort++
			if st.nextPort > ephemeralLast {
				st.nextPort = ephemeralFirst
			}
			if len(st.ports[portKey{s.proto, p}]) == 0 {
				port = p
				break
			}
		}
		if port == 0 {
			return unix.EAGAIN
		}
	} else if !st.free(s, l, port) {
		return unix.EADDRINUSE
	}
	k := portKey{s.proto, port}
	st.ports[k] = append(st.ports[k], s)
	s.local = netip.AddrPortFrom(l, port)
	s.bound = true
	return nil
}

// unbindLocked removes s from the port table.
//
// Preconditions: st.mu is held.
func (st *Stack) unbindLocked(s *sock) {
	if !s.bound {
		return
	}
	k := portKey{s.proto, s.local.Port()}
	l := st.ports[k]
	for i, o := range l {
		if o == s {
			l = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(st.ports, k)
	} else {
		st.ports[k] = l
	}
	s.bound = false
}

// autoBindLocked binds an unbound s to an ephemeral port on its family's
// wildcard address.
//
// Preconditions: st.mu is held.
func (st *Stack) autoBindLocked(s *sock) error {
	if s.bound {
		return nil
	}
	w := any4
	if s.family == unix.AF_INET6 {
		w = any6
	}
	return st.bindLocked(s, w, 0)
}

// lookupLocked returns the socket among those holding dst's port in
// proto that match (nil if none) and takes traffic for dst from src: a
// connected socket whose peer is src first, then a specific address,
// then a wildcard; among equals the one bound last.
//
// Preconditions: st.mu is held.
func (st *Stack) lookupLocked(proto int, dst, src netip.AddrPort, match func(*sock) bool) *sock {
	var best *sock
	bestScore := -1
	for _, o := range st.ports[portKey{proto, dst.Port()}] {
		if o.released || !o.covers(o.local.Addr(), dst.Addr()) || !match(o) {
			continue
		}
		score := 0
		if o.hasRemote {
			if o.remote != src {
				continue
			}
			score += 2
		}
		if !o.local.Addr().IsUnspecified() {
			score++
		}
		if score >= bestScore {
			best, bestScore = o, score
		}
	}
	return best
}
