package loopback

import (
	"net/netip"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// dgram is a UDP socket. A datagram goes straight into the receiving
// socket's queue; when that queue is full (SO_RCVBUF) it is dropped, as
// UDP drops it, and the sender never blocks. A datagram to a port nobody
// holds is dropped too, and, as the ICMP "port unreachable" would, sets
// ECONNREFUSED on a connected sender.
type dgram struct {
	sock

	// The rest is protected by st.mu.

	recvq []datagram
	// recvBytes is what the queue holds against opts.rcvBuf: each
	// datagram's length plus dgramOverhead.
	recvBytes int

	rdShut, wrShut bool
	// autoAddr is set when connect chose the local address, so that
	// dissolving the association gives the wildcard back.
	autoAddr bool
}

// datagram is one queued datagram and its source.
type datagram struct {
	data []byte
	from netip.AddrPort
}

// dgramOverhead is what a queued datagram costs besides its payload, a
// round figure for Linux's skb truesize.
const dgramOverhead = 768

func (st *Stack) newDgram(family int) *dgram {
	d := &dgram{sock: st.newSock(family, unix.SOCK_DGRAM, unix.IPPROTO_UDP)}
	d.owner = d
	return d
}

// Listen implements inet.Socket.
func (d *dgram) Listen(*inet.Caller, int) error { return unix.EOPNOTSUPP }

// Accept implements inet.Socket.
func (d *dgram) Accept(*inet.Caller, bool) (*vfs.FileDescription, []byte, error) {
	return nil, nil, unix.EOPNOTSUPP
}

// Connect implements inet.Socket: it sets the default destination and
// filters what is received to datagrams from it; AF_UNSPEC dissolves the
// association.
func (d *dgram) Connect(c *inet.Caller, raw []byte) error {
	st := d.st
	if isUnspecifiedFamily(raw) {
		st.mu.Lock()
		defer st.mu.Unlock()
		d.hasRemote = false
		if d.autoAddr {
			w := any4
			if d.family == unix.AF_INET6 && d.local.Addr().Is6() {
				w = any6
			}
			d.local = netip.AddrPortFrom(w, d.local.Port())
			d.autoAddr = false
		}
		return nil
	}
	ap, _, err := decodeAddr(d.family, raw, false)
	if err != nil {
		return err
	}
	dst, err := destination(ap.Addr())
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if d.family == unix.AF_INET6 && d.v6only && dst.Is4() {
		return unix.ENETUNREACH
	}
	d.noteOwnerLocked(c)
	if err := st.autoBindLocked(&d.sock); err != nil {
		return err
	}
	src, err := sourceFor(d.local.Addr(), dst)
	if err != nil {
		return err
	}
	if d.local.Addr() != src {
		d.local = netip.AddrPortFrom(src, d.local.Port())
		d.autoAddr = true
	}
	d.remote, d.hasRemote = netip.AddrPortFrom(dst, ap.Port()), true
	d.soErr = 0
	return nil
}

// Shutdown implements inet.Socket. As on Linux, an unconnected socket is
// shut down all the same and answers ENOTCONN.
func (d *dgram) Shutdown(_ *inet.Caller, how int) error {
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return unix.EINVAL
	}
	st := d.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if how == unix.SHUT_RD || how == unix.SHUT_RDWR {
		d.rdShut = true
	}
	if how == unix.SHUT_WR || how == unix.SHUT_RDWR {
		d.wrShut = true
	}
	d.q.Notify(vfs.EventAll)
	if !d.hasRemote {
		return unix.ENOTCONN
	}
	return nil
}

// SendMsg implements inet.Socket: one datagram to m.To or the connected
// peer.
func (d *dgram) SendMsg(c *inet.Caller, data []byte, m inet.SendMsg) (int, error) {
	if !m.Ctl.Empty() {
		return 0, unix.EINVAL
	}
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	var to netip.AddrPort
	explicit := len(m.To) > 0
	if explicit {
		ap, _, err := decodeAddr(d.family, m.To, true)
		if err != nil {
			return 0, err
		}
		dst, err := destination(ap.Addr())
		if err != nil {
			return 0, err
		}
		if ap.Port() == 0 {
			return 0, unix.EINVAL
		}
		to = netip.AddrPortFrom(dst, ap.Port())
	}
	maxLen := maxUDPPayload4
	if d.family == unix.AF_INET6 {
		maxLen = maxUDPPayload6
	}
	if len(data) > maxLen {
		return 0, unix.EMSGSIZE
	}
	st := d.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if d.wrShut {
		return 0, unix.EPIPE
	}
	if !explicit {
		if !d.hasRemote {
			return 0, unix.EDESTADDRREQ
		}
		if err := d.takeErrorLocked(); err != nil {
			return 0, err
		}
		to = d.remote
	}
	if d.family == unix.AF_INET6 && d.v6only && to.Addr().Is4() {
		return 0, unix.ENETUNREACH
	}
	d.noteOwnerLocked(c)
	if err := st.autoBindLocked(&d.sock); err != nil {
		return 0, err
	}
	src, err := sourceFor(d.local.Addr(), to.Addr())
	if err != nil {
		return 0, err
	}
	from := netip.AddrPortFrom(src, d.local.Port())
	o := st.lookupLocked(unix.IPPROTO_UDP, to, from, func(*sock) bool { return true })
	if o == nil {
		if d.hasRemote && !explicit {
			// The ICMP port unreachable.
			d.soErr = unix.ECONNREFUSED
			d.q.Notify(vfs.EventErr)
		}
		return len(data), nil
	}
	r := o.owner.(*dgram)
	cost := len(data) + dgramOverhead
	if r.rdShut || (r.recvBytes > 0 && r.recvBytes+cost > r.opts.rcvBuf) {
		return len(data), nil // dropped
	}
	r.recvq = append(r.recvq, datagram{data: append([]byte(nil), data...), from: from})
	r.recvBytes += cost
	r.q.Notify(vfs.EventIn)
	return len(data), nil
}

// RecvMsg implements inet.Socket: one datagram, truncated to dst
// (MSG_TRUNC in the result), with its source address.
func (d *dgram) RecvMsg(c *inet.Caller, dst []byte, m inet.RecvMsg) (int, inet.RecvResult, error) {
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, inet.RecvResult{}, unix.EINVAL
	}
	if m.Flags&unix.MSG_ERRQUEUE != 0 {
		// The error queue (IP_RECVERR) is always empty.
		return 0, inet.RecvResult{}, unix.EAGAIN
	}
	peek := m.Flags&unix.MSG_PEEK != 0
	st := d.st
	var n int
	var res inet.RecvResult
	err := st.wait(blocker(c), &d.q, vfs.EventIn, d.timeout(false), func() (bool, error) {
		if err := d.takeErrorLocked(); err != nil {
			return false, err
		}
		if len(d.recvq) == 0 {
			if d.rdShut {
				return true, nil
			}
			return false, nil
		}
		dg := d.recvq[0]
		n = copy(dst, dg.data)
		res = inet.RecvResult{MsgLen: len(dg.data), Truncated: n < len(dg.data), From: encodeAddr(d.family, dg.from)}
		if !peek {
			d.recvq[0] = datagram{}
			d.recvq = d.recvq[1:]
			d.recvBytes -= len(dg.data) + dgramOverhead
			if len(d.recvq) == 0 {
				d.recvq = nil
			}
		}
		return true, nil
	})
	if err != nil {
		return 0, inet.RecvResult{}, err
	}
	return n, res, nil
}

// Read implements vfs.FileImpl.
func (d *dgram) Read(b vfs.Blocker, dst []byte, _ int64) (int, error) {
	n, _, err := d.RecvMsg(&inet.Caller{Blocker: b}, dst, inet.RecvMsg{})
	return n, err
}

// Write implements vfs.FileImpl: a datagram to the connected peer.
func (d *dgram) Write(b vfs.Blocker, src []byte, _ int64) (int, error) {
	return d.SendMsg(&inet.Caller{Blocker: b}, src, inet.SendMsg{})
}

// Release implements vfs.FileImpl.
func (d *dgram) Release() {
	st := d.st
	st.mu.Lock()
	d.released = true
	d.recvq, d.recvBytes = nil, 0
	st.unbindLocked(&d.sock)
	st.mu.Unlock()
	d.q.Notify(vfs.EventAll)
}

// Readiness implements vfs.Waitable: readable with a datagram queued (or
// after SHUT_RD), always writable.
func (d *dgram) Readiness(mask uint32) uint32 {
	st := d.st
	st.mu.Lock()
	defer st.mu.Unlock()
	r := uint32(vfs.EventOut)
	if len(d.recvq) > 0 || d.rdShut {
		r |= vfs.EventIn
	}
	if d.rdShut {
		r |= vfs.EpollRdHup
	}
	if d.rdShut && d.wrShut {
		r |= vfs.EventHup
	}
	if d.soErr != 0 {
		r |= vfs.EventErr
	}
	return r & (mask | vfs.EventErr | vfs.EventHup)
}

// Ioctl implements vfs.Ioctler.
func (d *dgram) Ioctl(_ vfs.Blocker, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	return d.st.ioctl(mem, cmd, arg, func() int {
		d.st.mu.Lock()
		defer d.st.mu.Unlock()
		if len(d.recvq) == 0 {
			return 0
		}
		return len(d.recvq[0].data)
	})
}

var (
	_ inet.Socket  = (*dgram)(nil)
	_ vfs.Waitable = (*dgram)(nil)
	_ vfs.Ioctler  = (*dgram)(nil)
)
