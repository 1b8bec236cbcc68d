package inet

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// The SIOCGIF* ioctls that list and describe interfaces. Linux answers
// them on a socket of any family (sock_ioctl passes them to dev_ioctl);
// each stack's sockets call InterfaceIoctl for the commands they do not
// know themselves.

// Sizes of struct ifreq and struct ifconf (include/uapi/linux/if.h) on
// 64-bit Linux.
const (
	ifreqLen  = 40
	ifconfLen = 16
	ifNameLen = unix.IFNAMSIZ
)

// InterfaceIoctl serves the interface ioctls of an IP or netlink socket
// for the interfaces ifs: SIOCGIFCONF (IPv4 addresses), SIOCGIFNAME,
// SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFADDR, SIOCGIFNETMASK,
// SIOCGIFHWADDR and SIOCGIFTXQLEN. Commands that change an interface
// (SIOCSIF*) are EPERM: the sandbox has no CAP_NET_ADMIN over its network.
// ok is false for any other command, which the caller answers itself
// (usually ENOTTY).
func InterfaceIoctl(ifs []Interface, mem vfs.UserMemory, cmd uint32, arg uintptr) (ret uintptr, err error, ok bool) {
	switch cmd {
	case unix.SIOCGIFCONF:
		return 0, ifconf(ifs, mem, arg), true
	case unix.SIOCGIFNAME, unix.SIOCGIFINDEX, unix.SIOCGIFFLAGS, unix.SIOCGIFMTU,
		unix.SIOCGIFADDR, unix.SIOCGIFNETMASK, unix.SIOCGIFHWADDR, unix.SIOCGIFTXQLEN:
		return 0, ifreq(ifs, mem, cmd, arg), true
	case unix.SIOCSIFFLAGS, unix.SIOCSIFMTU, unix.SIOCSIFADDR, unix.SIOCSIFNETMASK,
		unix.SIOCSIFHWADDR, unix.SIOCSIFNAME, unix.SIOCSIFBRDADDR, unix.SIOCSIFTXQLEN,
		unix.SIOCSIFDSTADDR:
		return 0, unix.EPERM, true
	}
	return 0, nil, false
}

// firstAddr4 returns the interface's first IPv4 address.
func firstAddr4(ifc *Interface) (netip.Prefix, bool) {
	for _, a := range ifc.Addrs {
		if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// sockaddrIn4 fills b (16 bytes) with the sockaddr_in of a, port 0.
func sockaddrIn4(b []byte, a netip.Addr) {
	clear(b[:16])
	binary.LittleEndian.PutUint16(b, unix.AF_INET)
	v := a.As4()
	copy(b[4:8], v[:])
}

// ifconf is SIOCGIFCONF: one struct ifreq per IPv4 address, as many as
// fit in the caller's buffer; with a NULL buffer, only the length needed.
func ifconf(ifs []Interface, mem vfs.UserMemory, arg uintptr) error {
	var hdr [ifconfLen]byte
	if _, err := mem.CopyIn(arg, hdr[:]); err != nil {
		return err
	}
	room := int(int32(binary.LittleEndian.Uint32(hdr[:])))
	buf := uintptr(binary.LittleEndian.Uint64(hdr[8:]))
	var out []byte
	for i := range ifs {
		for _, a := range ifs[i].Addrs {
			p, err := netip.ParsePrefix(a)
			if err != nil || !p.Addr().Is4() {
				continue
			}
			var r [ifreqLen]byte
			copy(r[:ifNameLen-1], ifs[i].Name)
			sockaddrIn4(r[ifNameLen:], p.Addr())
			out = append(out, r[:]...)
		}
	}
	if buf != 0 {
		if room < 0 {
			return unix.EINVAL
		}
		out = out[:min(len(out), room/ifreqLen*ifreqLen)]
		if len(out) > 0 {
			if _, err := mem.CopyOut(buf, out); err != nil {
				return err
			}
		}
	}
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(out)))
	_, err := mem.CopyOut(arg, hdr[:4])
	return err
}

// ifreq serves the SIOCGIF* commands that take one struct ifreq.
func ifreq(ifs []Interface, mem vfs.UserMemory, cmd uint32, arg uintptr) error {
	var r [ifreqLen]byte
	if _, err := mem.CopyIn(arg, r[:]); err != nil {
		return err
	}
	var ifc *Interface
	if cmd == unix.SIOCGIFNAME {
		idx := int(int32(binary.LittleEndian.Uint32(r[ifNameLen:])))
		for i := range ifs {
			if ifs[i].Index == idx {
				ifc = &ifs[i]
			}
		}
	} else {
		name := r[:ifNameLen-1]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		for i := range ifs {
			if ifs[i].Name == string(name) {
				ifc = &ifs[i]
			}
		}
	}
	if ifc == nil {
		return unix.ENODEV
	}
	u := r[ifNameLen:]
	switch cmd {
	case unix.SIOCGIFNAME:
		clear(r[:ifNameLen])
		copy(r[:ifNameLen-1], ifc.Name)
	case unix.SIOCGIFINDEX:
		binary.LittleEndian.PutUint32(u, uint32(ifc.Index))
	case unix.SIOCGIFFLAGS:
		binary.LittleEndian.PutUint16(u, uint16(ifc.Flags))
	case unix.SIOCGIFMTU:
		binary.LittleEndian.PutUint32(u, uint32(ifc.MTU))
	case unix.SIOCGIFTXQLEN:
		binary.LittleEndian.PutUint32(u, uint32(ifc.TxQueueLen))
	case unix.SIOCGIFADDR, unix.SIOCGIFNETMASK:
		p, ok := firstAddr4(ifc)
		if !ok {
			return unix.EADDRNOTAVAIL
		}
		a := p.Addr()
		if cmd == unix.SIOCGIFNETMASK {
			var m [4]byte
			bits := p.Bits()
			for i := range m {
				n := min(max(bits-8*i, 0), 8)
				m[i] = byte(0xff << (8 - n))
			}
			a = netip.AddrFrom4(m)
		}
		sockaddrIn4(u, a)
	case unix.SIOCGIFHWADDR:
		clear(u[:16])
		binary.LittleEndian.PutUint16(u, ifc.Type)
		copy(u[2:16], ifc.HardwareAddr)
	}
	_, err := mem.CopyOut(arg, r[:])
	return err
}
