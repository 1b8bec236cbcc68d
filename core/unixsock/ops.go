package unixsock

import (
	"encoding/binary"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// This file implements inet.Socket on Socket: the generic socket
// operations, which decode struct sockaddr_un and find names through the
// Socket's Namespace and the caller's filesystem (inet.PathNames).

// sockaddrUnLen is sizeof(struct sockaddr_un).
const sockaddrUnLen = 110

// addr is a decoded sockaddr_un.
type addr struct {
	abstract bool
	name     string // the path, or the abstract name with its leading NUL
}

// parseAddr decodes a raw sockaddr_un. autobind is set for a bare family
// (bind's request for an automatic name).
func parseAddr(b []byte) (a addr, autobind bool, err error) {
	if len(b) < 2 || len(b) > sockaddrUnLen {
		return a, false, unix.EINVAL
	}
	if binary.LittleEndian.Uint16(b) != unix.AF_UNIX {
		return a, false, unix.EINVAL
	}
	p := b[2:]
	if len(p) == 0 {
		return a, true, nil
	}
	if p[0] == 0 {
		return addr{abstract: true, name: string(p)}, false, nil
	}
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	return addr{name: string(p)}, false, nil
}

// encodeAddr returns the sockaddr_un of a name ("" for unbound).
func encodeAddr(name string) []byte {
	b := make([]byte, 2, 2+len(name)+1)
	binary.LittleEndian.PutUint16(b, unix.AF_UNIX)
	b = append(b, name...)
	if name != "" && name[0] != 0 {
		b = append(b, 0)
	}
	return b
}

// resolve finds the socket bound to a: ENOENT for a missing path,
// ECONNREFUSED for a file that is not a socket or a name nobody is bound
// to.
func (s *Socket) resolve(c *inet.Caller, a addr) (*Socket, error) {
	if s.home == nil {
		return nil, unix.ECONNREFUSED
	}
	if a.abstract {
		return s.home.Lookup(Key{Abstract: a.name})
	}
	if a.name == "" || c == nil || c.Names == nil {
		return nil, unix.ENOENT
	}
	id, err := c.Names.FindSocketNode(a.name)
	if err != nil {
		return nil, err
	}
	return s.home.Lookup(Key{Dev: id.Dev, Ino: id.Ino})
}

// Family implements inet.Socket.
func (s *Socket) Family() int { return unix.AF_UNIX }

// Bind implements inet.Socket: a bare family asks for an automatic
// abstract name, an abstract name is registered in the namespace, and a
// path name becomes a socket node in the filesystem, keyed in the
// namespace by the node's device and inode.
func (s *Socket) Bind(c *inet.Caller, raw []byte) error {
	a, auto, err := parseAddr(raw)
	if err != nil {
		return err
	}
	if s.home == nil {
		return unix.EINVAL
	}
	if auto {
		if s.Bound() {
			return unix.EINVAL
		}
		return s.AutoBind(s.home)
	}
	if a.abstract {
		return s.BindKey(s.home, Key{Abstract: a.name}, a.name)
	}
	if s.Bound() {
		return unix.EINVAL
	}
	if c == nil || c.Names == nil {
		return unix.ENOENT
	}
	id, undo, err := c.Names.MakeSocketNode(a.name)
	if err != nil {
		return err
	}
	if err := s.BindKey(s.home, Key{Dev: id.Dev, Ino: id.Ino}, a.name); err != nil {
		undo()
		return err
	}
	return nil
}

// Accept implements inet.Socket.
func (s *Socket) Accept(c *inet.Caller, nonblock bool) (*vfs.FileDescription, []byte, error) {
	if s.typ == unix.SOCK_DGRAM {
		return nil, nil, unix.EOPNOTSUPP
	}
	ns, err := s.AcceptSocket(c.Blocker)
	if err != nil {
		return nil, nil, err
	}
	peer, _ := ns.peerName()
	flags := 0
	if nonblock {
		flags = unix.O_NONBLOCK
	}
	return NewFile(ns, flags), encodeAddr(peer), nil
}

// Connect implements inet.Socket.
func (s *Socket) Connect(c *inet.Caller, raw []byte) error {
	a, auto, err := parseAddr(raw)
	if err != nil {
		return err
	}
	if auto {
		return unix.EINVAL
	}
	target, err := s.resolve(c, a)
	if err != nil {
		return err
	}
	return s.ConnectTo(c.Blocker, target, c.Cred)
}

// SendMsg implements inet.Socket.
func (s *Socket) SendMsg(c *inet.Caller, data []byte, m inet.SendMsg) (int, error) {
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	o := SendOptions{Ctl: m.Ctl, Cred: c.Cred}
	if m.To != nil {
		a, auto, err := parseAddr(m.To)
		if err != nil {
			return 0, err
		}
		if auto {
			return 0, unix.EINVAL
		}
		if o.To, err = s.resolve(c, a); err != nil {
			return 0, err
		}
	}
	return s.Send(c.Blocker, data, o)
}

// RecvMsg implements inet.Socket.
func (s *Socket) RecvMsg(c *inet.Caller, dst []byte, m inet.RecvMsg) (int, inet.RecvResult, error) {
	if m.Flags&unix.MSG_OOB != 0 {
		return 0, inet.RecvResult{}, unix.EOPNOTSUPP
	}
	n, res, err := s.Recv(c.Blocker, dst, RecvOptions{
		Peek:    m.Flags&unix.MSG_PEEK != 0,
		WaitAll: m.Flags&unix.MSG_WAITALL != 0,
		WantCtl: m.WantCtl,
	})
	if err != nil {
		return 0, inet.RecvResult{}, err
	}
	out := inet.RecvResult{MsgLen: res.MsgLen, Truncated: res.Truncated, Ctl: res.Ctl}
	if s.typ == unix.SOCK_DGRAM {
		out.From = encodeAddr(res.From)
	}
	return n, out, nil
}

// SockName implements inet.Socket.
func (s *Socket) SockName(*inet.Caller) ([]byte, error) { return encodeAddr(s.Name()), nil }

// PeerName implements inet.Socket.
func (s *Socket) PeerName(*inet.Caller) ([]byte, error) {
	name, err := s.peerName()
	if err != nil {
		return nil, err
	}
	return encodeAddr(name), nil
}

var _ inet.Socket = (*Socket)(nil)
