package proc

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"golang.org/x/sys/unix"
)

// /proc/[pid]/net (and /proc/net, a link to self/net): the sandbox's
// network as its stack (Kernel.Network) describes it, in Linux's formats.
//
//	dev       every interface, with zero counters: no stack counts packets
//	if_inet6  the IPv6 addresses
//	route     the IPv4 main table (header only for a stack with only lo,
//	          as on Linux, whose routes through lo are in table local)
//	tcp, tcp6, udp, udp6
//	          the stack's sockets when it implements inet.SocketTable,
//	          else the header only
//	unix      the header only: Unix sockets are not listed
//
// With no stack, or the none stack, every file has its header and no
// lines. The directory is the same for every process (one network per
// sandbox) and is not in task/[tid].

// inoNet marks the files of /proc/[pid]/net: pid<<32 | inoNet | i+1 (see
// ino.go).
const inoNet = 4 << 24

// netFiles are the files of /proc/[pid]/net, in listing order.
var netFiles = []struct {
	name string
	gen  func(inet.Stack) string
}{
	{"dev", netDev},
	{"if_inet6", netIfInet6},
	{"route", netRoute},
	{"tcp", func(st inet.Stack) string { return netSockets(st, unix.IPPROTO_TCP, unix.AF_INET) }},
	{"tcp6", func(st inet.Stack) string { return netSockets(st, unix.IPPROTO_TCP, unix.AF_INET6) }},
	{"udp", func(st inet.Stack) string { return netSockets(st, unix.IPPROTO_UDP, unix.AF_INET) }},
	{"udp6", func(st inet.Stack) string { return netSockets(st, unix.IPPROTO_UDP, unix.AF_INET6) }},
	{"unix", func(inet.Stack) string { return "Num       RefCount Protocol Flags    Type St Inode Path\n" }},
}

// netDir is /proc/[pid]/net.
type netDir struct{ d *pidDir }

func (n *netDir) ino(i int) uint64 { return pidIno(n.d.tg.TGID()) | inoNet | uint64(i+1) }

func (n *netDir) entries() ([]entry, error) {
	out := make([]entry, len(netFiles))
	for i, f := range netFiles {
		out[i] = entry{name: f.name, ino: n.ino(i), mode: unix.S_IFREG, key: int64(i)}
	}
	return out, nil
}

func (n *netDir) lookup(name string) (*node, error) {
	for i, f := range netFiles {
		if f.name != name {
			continue
		}
		gen := f.gen
		c := n.d.newNode(n.ino(i), unix.S_IFREG|0o444)
		c.read = func() ([]byte, error) { return []byte(gen(n.d.fs.network())), nil }
		return c, nil
	}
	return nil, unix.ENOENT
}

// network returns the attached kernel's stack, or nil.
func (fs *FS) network() inet.Stack {
	if k := fs.kernel(); k != nil {
		return k.Network()
	}
	return nil
}

func interfaces(st inet.Stack) []inet.Interface {
	if st == nil {
		return nil
	}
	return st.Interfaces()
}

// netDev is /proc/net/dev (dev_seq_show).
func netDev(st inet.Stack) string {
	var b strings.Builder
	b.WriteString("Inter-|   Receive                                                |  Transmit\n")
	b.WriteString(" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
	for _, ifc := range interfaces(st) {
		fmt.Fprintf(&b, "%6s: %7d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n",
			ifc.Name, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	return b.String()
}

// netIfInet6 is /proc/net/if_inet6 (if6_seq_show): address, index,
// prefix length, scope (IPV6_ADDR_* bits), flags, name.
func netIfInet6(st inet.Stack) string {
	var b strings.Builder
	for _, ifc := range interfaces(st) {
		for _, s := range ifc.Addrs {
			p, err := netip.ParsePrefix(s)
			if err != nil || !p.Addr().Is6() {
				continue
			}
			a := p.Addr()
			scope := 0x00 // global
			switch {
			case a.IsLoopback():
				scope = 0x10
			case a.IsLinkLocalUnicast():
				scope = 0x20
			}
			v := a.As16()
			fmt.Fprintf(&b, "%x %02x %02x %02x %02x %8s\n", v[:], ifc.Index, p.Bits(), scope, unix.IFA_F_PERMANENT, ifc.Name)
		}
	}
	return b.String()
}

// netRoute is /proc/net/route (fib_route_seq_show): the IPv4 main table,
// whose routes are the prefixes of the addresses of interfaces other than
// lo (lo's routes are in table local, which this file does not show).
func netRoute(st inet.Stack) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-127s\n", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT")
	for _, ifc := range interfaces(st) {
		if ifc.Flags&unix.IFF_LOOPBACK != 0 {
			continue
		}
		for _, s := range ifc.Addrs {
			p, err := netip.ParsePrefix(s)
			if err != nil || !p.Addr().Is4() || p.Bits() == 32 {
				continue
			}
			var m [4]byte
			for i := range m {
				m[i] = byte(0xff << (8 - min(max(p.Bits()-8*i, 0), 8)))
			}
			line := fmt.Sprintf("%s\t%08X\t%08X\t%04X\t%d\t%d\t%d\t%08X\t%d\t%d\t%d",
				ifc.Name, hostU32(p.Masked().Addr().As4()), 0, unix.RTF_UP, 0, 0, 0, hostU32(m), 0, 0, 0)
			fmt.Fprintf(&b, "%-127s\n", line)
		}
	}
	return b.String()
}

// hostU32 is the 32-bit word of a network-order IPv4 address as Linux
// prints it with %08X on a little-endian machine.
func hostU32(a [4]byte) uint32 {
	return uint32(a[0]) | uint32(a[1])<<8 | uint32(a[2])<<16 | uint32(a[3])<<24
}

// addrHex formats an address as /proc/net/tcp and friends do: for
// family AF_INET one word, for AF_INET6 four (IPv4 v4-mapped), each in
// host order; then the port.
func addrHex(family int, ap netip.AddrPort) string {
	a := ap.Addr()
	if family == unix.AF_INET {
		var v [4]byte
		if a.Is4() {
			v = a.As4()
		}
		return fmt.Sprintf("%08X:%04X", hostU32(v), ap.Port())
	}
	var v [16]byte
	if a.IsValid() {
		v = a.As16()
	}
	return fmt.Sprintf("%08X%08X%08X%08X:%04X", hostU32([4]byte(v[0:4])), hostU32([4]byte(v[4:8])),
		hostU32([4]byte(v[8:12])), hostU32([4]byte(v[12:16])), ap.Port())
}

// netSockets is /proc/net/tcp, tcp6, udp or udp6 (tcp4_seq_show,
// tcp6_seq_show, udp4_seq_show, udp6_seq_show): header, then one line
// per socket of family. Timers, retransmits and the kernel pointer are
// zeros; the trailing TCP fields are Linux's for an idle socket.
func netSockets(st inet.Stack, proto, family int) string {
	var b strings.Builder
	tcp := proto == unix.IPPROTO_TCP
	const head = "local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
	const head6 = "local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
	switch {
	case tcp && family == unix.AF_INET:
		fmt.Fprintf(&b, "%-149s\n", "  sl  "+head)
	case tcp:
		b.WriteString("  sl  " + head6 + "\n")
	case family == unix.AF_INET:
		fmt.Fprintf(&b, "%-127s\n", "   sl  "+head+" ref pointer drops")
	default:
		b.WriteString("   sl  " + head6 + " ref pointer drops\n")
	}
	table, ok := st.(inet.SocketTable)
	if !ok {
		return b.String()
	}
	i := 0
	for _, s := range table.Sockets(proto) {
		if s.Family != family {
			continue
		}
		var line string
		common := fmt.Sprintf("%s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d",
			addrHex(family, s.Local), addrHex(family, s.Remote), s.State, s.TxQueue, s.RxQueue, 0, 0, 0, s.UID, 0, s.Ino)
		if tcp {
			line = fmt.Sprintf("%4d: %s 1 0000000000000000 100 0 0 10 0", i, common)
		} else {
			line = fmt.Sprintf("%5d: %s 2 0000000000000000 0", i, common)
		}
		switch {
		case family == unix.AF_INET6:
			b.WriteString(line + "\n")
		case tcp:
			fmt.Fprintf(&b, "%-149s\n", line)
		default:
			fmt.Fprintf(&b, "%-127s\n", line)
		}
		i++
	}
	return b.String()
}
