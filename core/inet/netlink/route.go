package netlink

import (
	"net/netip"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"golang.org/x/sys/unix"
)

// reqOpts are the socket options that change how a request is served.
type reqOpts struct {
	// pid is the requesting socket's port ID: replies carry it.
	pid uint32
	// strict is NETLINK_GET_STRICT_CHK: dump requests must carry their
	// family's full header and may filter.
	strict bool
	// capAck is NETLINK_CAP_ACK: error replies echo only the header.
	capAck bool
}

// reply is what one request produced: the messages of a dump, packed
// into datagrams by the socket, or single messages, one datagram each.
type reply struct {
	dump [][]byte
	msgs [][]byte
}

// serve answers the requests in buf, one netlink datagram sent to the
// kernel, for a stack with interfaces ifs.
func serve(ifs []inet.Interface, buf []byte, o reqOpts) []reply {
	var out []reply
	for _, req := range splitMessages(buf) {
		out = append(out, serveOne(ifs, req, o))
	}
	return out
}

// serveOne answers one request, as rtnetlink_rcv_msg and netlink_rcv_skb
// do: messages that are not requests, and control messages, are only
// acknowledged (when NLM_F_ACK asks for it); a dump is never acknowledged
// (its NLMSG_DONE ends it); an error is always reported.
func serveOne(ifs []inet.Interface, req []byte, o reqOpts) reply {
	h := parseHeader(req)
	var r reply
	errno := unix.Errno(0)
	switch {
	case h.Flags&unix.NLM_F_REQUEST == 0 || h.Type < unix.NLMSG_MIN_TYPE:
	case h.Type > unix.RTM_MAX:
		errno = unix.EOPNOTSUPP
	case len(req) < hdrLen+1:
		// Shorter than struct rtgenmsg: ignored.
	case (h.Type-unix.RTM_BASE)&3 != 2:
		// RTM_NEW*, RTM_DEL*, RTM_SET*: need CAP_NET_ADMIN.
		errno = unix.EPERM
	case h.Flags&unix.NLM_F_DUMP != 0:
		msgs, flags, derr, ok := dump(ifs, h, req[hdrLen:], o)
		if ok {
			r.dump = append(msgs, doneMessage(h.Seq, o.pid, flags, derr))
			return r
		}
		errno = unix.EOPNOTSUPP
	default:
		var m []byte
		m, errno = get(ifs, h, req[hdrLen:], o)
		if m != nil {
			r.msgs = append(r.msgs, m)
		}
	}
	if errno != 0 || h.Flags&unix.NLM_F_ACK != 0 {
		r.msgs = append(r.msgs, errorMessage(req, errno, o.pid, o.capAck))
	}
	return r
}

// dump answers a dump request of type h.Type with payload p: the
// messages, the flags they and NLMSG_DONE carry besides NLM_F_MULTI
// (NLM_F_DUMP_FILTERED), and the dump's error for NLMSG_DONE. ok is false
// for a type that cannot be dumped.
func dump(ifs []inet.Interface, h header, p []byte, o reqOpts) (msgs [][]byte, flags uint16, errno unix.Errno, ok bool) {
	family := p[0]
	switch h.Type {
	case unix.RTM_GETLINK:
		if o.strict && len(p) < ifinfomsgLen {
			return nil, 0, unix.EINVAL, true
		}
		for i := range ifs {
			msgs = append(msgs, linkMessage(&ifs[i], unix.NLM_F_MULTI, h.Seq, o.pid))
		}
		return msgs, 0, 0, true
	case unix.RTM_GETADDR:
		index := 0
		if o.strict {
			if len(p) < ifaddrmsgLen {
				return nil, 0, unix.EINVAL, true
			}
			if index = int(int32(le.Uint32(p[4:]))); index != 0 {
				flags = unix.NLM_F_DUMP_FILTERED
			}
		}
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			if family != unix.AF_UNSPEC && family != fam {
				continue
			}
			for i := range ifs {
				if index != 0 && ifs[i].Index != index {
					continue
				}
				for _, a := range ifs[i].Addrs {
					pfx, err := netip.ParsePrefix(a)
					if err != nil || pfx.Addr().Is4() != (fam == unix.AF_INET) {
						continue
					}
					msgs = append(msgs, addrMessage(&ifs[i], pfx, unix.NLM_F_MULTI|flags, h.Seq, o.pid))
				}
			}
		}
		return msgs, flags, 0, true
	case unix.RTM_GETROUTE:
		var table uint32
		var oif int
		if o.strict {
			if len(p) < rtmsgLen {
				return nil, 0, unix.EINVAL, true
			}
			table = uint32(p[4])
			attrs, valid := parseAttrs(p[rtmsgLen:])
			if !valid {
				return nil, 0, unix.EINVAL, true
			}
			if v := attrs[unix.RTA_TABLE]; len(v) >= 4 {
				table = le.Uint32(v)
			}
			if v := attrs[unix.RTA_OIF]; len(v) >= 4 {
				oif = int(int32(le.Uint32(v)))
			}
			if table != 0 || oif != 0 {
				flags = unix.NLM_F_DUMP_FILTERED
			}
		}
		for _, rt := range routes(ifs) {
			if family != unix.AF_UNSPEC && family != rt.family() {
				continue
			}
			if (table != 0 && rt.table != table) || (oif != 0 && rt.oif != oif) {
				continue
			}
			msgs = append(msgs, routeMessage(rt, unix.NLM_F_MULTI|flags, h.Seq, o.pid))
		}
		return msgs, flags, 0, true
	case unix.RTM_GETNEIGH:
		// No interface has a link-layer neighbour.
		return nil, 0, 0, true
	}
	return nil, 0, 0, false
}

// get answers a request for one object: only RTM_GETLINK, by index or by
// name (IFLA_IFNAME, IFLA_ALT_IFNAME).
func get(ifs []inet.Interface, h header, p []byte, o reqOpts) ([]byte, unix.Errno) {
	if h.Type != unix.RTM_GETLINK {
		return nil, unix.EOPNOTSUPP
	}
	if len(p) < ifinfomsgLen {
		return nil, unix.EINVAL
	}
	attrs, valid := parseAttrs(p[ifinfomsgLen:])
	if !valid {
		return nil, unix.EINVAL
	}
	index := int(int32(le.Uint32(p[4:])))
	name, byName := attrs[unix.IFLA_IFNAME]
	if !byName {
		name, byName = attrs[unix.IFLA_ALT_IFNAME]
	}
	if index <= 0 && !byName {
		return nil, unix.EINVAL
	}
	for i := range name {
		if name[i] == 0 {
			name = name[:i]
			break
		}
	}
	for i := range ifs {
		if (index > 0 && ifs[i].Index == index) || (index <= 0 && ifs[i].Name == string(name)) {
			return linkMessage(&ifs[i], 0, h.Seq, o.pid), 0
		}
	}
	return nil, unix.ENODEV
}

// linkMessage is RTM_NEWLINK for ifc, with the attributes Linux's
// rtnl_fill_ifinfo puts first and iproute2 prints; the statistics are
// zeros (the stacks count no packets), and IFLA_AF_SPEC, IFLA_XDP and
// IFLA_MAP are left out.
func linkMessage(ifc *inet.Interface, flags uint16, seq, pid uint32) []byte {
	var ifi [ifinfomsgLen]byte
	ifi[0] = unix.AF_UNSPEC
	le.PutUint16(ifi[2:], ifc.Type)
	le.PutUint32(ifi[4:], uint32(ifc.Index))
	le.PutUint32(ifi[8:], ifc.Flags)
	m := newMessage(unix.RTM_NEWLINK, flags, seq, pid, ifi[:])
	m.str(unix.IFLA_IFNAME, ifc.Name)
	m.u32(unix.IFLA_TXQLEN, uint32(ifc.TxQueueLen))
	m.u8(unix.IFLA_OPERSTATE, operState(ifc))
	m.u8(unix.IFLA_LINKMODE, 0)
	m.u32(unix.IFLA_MTU, uint32(ifc.MTU))
	m.u32(iflaMinMTU, 0)
	m.u32(iflaMaxMTU, 0)
	m.u32(unix.IFLA_GROUP, 0)
	m.u32(unix.IFLA_PROMISCUITY, 0)
	m.u32(iflaAllMulti, 0)
	m.u32(unix.IFLA_NUM_TX_QUEUES, 1)
	m.u32(unix.IFLA_GSO_MAX_SEGS, 65535)
	m.u32(unix.IFLA_GSO_MAX_SIZE, 65536)
	m.u32(iflaGROMaxSize, 65536)
	m.u32(iflaTSOMaxSize, 524280)
	m.u32(iflaTSOMaxSegs, 65535)
	m.u32(unix.IFLA_NUM_RX_QUEUES, 1)
	carrier := uint8(0)
	if ifc.Flags&unix.IFF_LOWER_UP != 0 {
		carrier = 1
	}
	m.u8(unix.IFLA_CARRIER, carrier)
	m.u32(unix.IFLA_CARRIER_CHANGES, 0)
	m.u32(unix.IFLA_CARRIER_UP_COUNT, 0)
	m.u32(unix.IFLA_CARRIER_DOWN_COUNT, 0)
	m.u8(unix.IFLA_PROTO_DOWN, 0)
	if ifc.HardwareAddr != nil {
		m.attr(unix.IFLA_ADDRESS, ifc.HardwareAddr)
	}
	if ifc.Broadcast != nil {
		m.attr(unix.IFLA_BROADCAST, ifc.Broadcast)
	}
	m.attr(unix.IFLA_STATS64, make([]byte, rtnlStats64Len))
	m.attr(unix.IFLA_STATS, make([]byte, rtnlStatsLen))
	m.str(unix.IFLA_QDISC, "noqueue")
	return m.bytes()
}

// operState is RFC 2863's state as Linux reports it: UNKNOWN for a
// loopback device (it has no carrier to watch), else UP or DOWN.
func operState(ifc *inet.Interface) uint8 {
	switch {
	case ifc.Flags&unix.IFF_LOOPBACK != 0:
		return ifOperUnknown
	case ifc.Flags&unix.IFF_RUNNING != 0:
		return ifOperUp
	}
	return ifOperDown
}

// scope is the scope Linux gives an address: host for loopback
// addresses, link for IPv6 link-local ones, universe for the rest.
func scope(a netip.Addr) uint8 {
	switch {
	case a.IsLoopback():
		return unix.RT_SCOPE_HOST
	case a.Is6() && a.IsLinkLocalUnicast():
		return unix.RT_SCOPE_LINK
	}
	return unix.RT_SCOPE_UNIVERSE
}

// addrMessage is RTM_NEWADDR for the address p of ifc: a permanent
// address (valid and preferred forever), with the attributes of
// inet_fill_ifaddr (IPv4) or inet6_fill_ifaddr (IPv6).
func addrMessage(ifc *inet.Interface, p netip.Prefix, flags uint16, seq, pid uint32) []byte {
	a := p.Addr()
	var ifa [ifaddrmsgLen]byte
	ifa[0] = unix.AF_INET6
	if a.Is4() {
		ifa[0] = unix.AF_INET
	}
	ifa[1] = uint8(p.Bits())
	ifa[2] = unix.IFA_F_PERMANENT
	ifa[3] = scope(a)
	le.PutUint32(ifa[4:], uint32(ifc.Index))
	m := newMessage(unix.RTM_NEWADDR, flags, seq, pid, ifa[:])
	var ci [ifaCacheinfoLen]byte
	le.PutUint32(ci[0:], infinityLifetime)
	le.PutUint32(ci[4:], infinityLifetime)
	if a.Is4() {
		m.attr(unix.IFA_ADDRESS, a.AsSlice())
		m.attr(unix.IFA_LOCAL, a.AsSlice())
		m.str(unix.IFA_LABEL, ifc.Name)
		m.u32(unix.IFA_FLAGS, unix.IFA_F_PERMANENT)
		m.attr(unix.IFA_CACHEINFO, ci[:])
	} else {
		m.attr(unix.IFA_ADDRESS, a.AsSlice())
		m.attr(unix.IFA_CACHEINFO, ci[:])
		m.u32(unix.IFA_FLAGS, unix.IFA_F_PERMANENT)
		if a.IsLoopback() {
			m.u8(ifaProto, ifaProtKernelLo)
		}
	}
	return m.bytes()
}

// route is one entry of a routing table.
type route struct {
	dst     netip.Prefix
	table   uint32 // RT_TABLE_MAIN or RT_TABLE_LOCAL
	typ     uint8  // RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST
	scope   uint8
	prefsrc netip.Addr // IPv4 only
	metric  uint32     // IPv6 only
	oif     int
}

func (r route) family() uint8 {
	if r.dst.Addr().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// routes are the routes Linux's kernel adds for the interfaces'
// addresses (fib_add_ifaddr, addrconf), IPv4 before IPv6, the main table
// before the local one. For lo with 127.0.0.1/8 and ::1/128 they are
// "local 127.0.0.0/8", "local 127.0.0.1", "broadcast 127.255.255.255" and
// "local ::1", all in table local: like Linux, the main table has no
// route through lo.
func routes(ifs []inet.Interface) []route {
	var main4, local4, main6, local6 []route
	for i := range ifs {
		ifc := &ifs[i]
		lo := ifc.Flags&unix.IFF_LOOPBACK != 0
		for _, s := range ifc.Addrs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				continue
			}
			a, bits := p.Addr(), p.Bits()
			if a.Is4() {
				if bits < 32 {
					net := route{dst: p.Masked(), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, scope: unix.RT_SCOPE_LINK, prefsrc: a, oif: ifc.Index}
					if lo {
						net.table, net.typ, net.scope = unix.RT_TABLE_LOCAL, unix.RTN_LOCAL, unix.RT_SCOPE_HOST
						local4 = append(local4, net)
					} else {
						main4 = append(main4, net)
					}
				}
				local4 = append(local4, route{dst: netip.PrefixFrom(a, 32), table: unix.RT_TABLE_LOCAL, typ: unix.RTN_LOCAL, scope: unix.RT_SCOPE_HOST, prefsrc: a, oif: ifc.Index})
				if bits < 31 {
					b := p.Masked().Addr().As4()
					for j := range b {
						b[j] |= ^byte(0xff << max(0, min(8, 8*(j+1)-bits)))
					}
					local4 = append(local4, route{dst: netip.PrefixFrom(netip.AddrFrom4(b), 32), table: unix.RT_TABLE_LOCAL, typ: unix.RTN_BROADCAST, scope: unix.RT_SCOPE_LINK, prefsrc: a, oif: ifc.Index})
				}
				continue
			}
			if bits < 128 && !lo {
				main6 = append(main6, route{dst: p.Masked(), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, metric: 256, oif: ifc.Index})
			}
			local6 = append(local6, route{dst: netip.PrefixFrom(a, 128), table: unix.RT_TABLE_LOCAL, typ: unix.RTN_LOCAL, oif: ifc.Index})
		}
	}
	out := append(main4, local4...)
	out = append(out, main6...)
	return append(out, local6...)
}

// routeMessage is RTM_NEWROUTE for rt, with the attributes of
// fib_dump_info (IPv4) or rt6_fill_node (IPv6).
func routeMessage(rt route, flags uint16, seq, pid uint32) []byte {
	var rtm [rtmsgLen]byte
	rtm[0] = rt.family()
	rtm[1] = uint8(rt.dst.Bits())
	rtm[4] = uint8(rt.table)
	rtm[5] = unix.RTPROT_KERNEL
	rtm[6] = rt.scope
	rtm[7] = rt.typ
	m := newMessage(unix.RTM_NEWROUTE, flags, seq, pid, rtm[:])
	m.u32(unix.RTA_TABLE, rt.table)
	if rt.dst.Bits() > 0 {
		m.attr(unix.RTA_DST, rt.dst.Addr().AsSlice())
	}
	if rt.family() == unix.AF_INET {
		m.attr(unix.RTA_PREFSRC, rt.prefsrc.AsSlice())
		m.u32(unix.RTA_OIF, uint32(rt.oif))
	} else {
		m.u32(unix.RTA_PRIORITY, rt.metric)
		m.u32(unix.RTA_OIF, uint32(rt.oif))
		m.attr(unix.RTA_CACHEINFO, make([]byte, rtaCacheinfoLen))
		m.u8(unix.RTA_PREF, 0) // ICMPV6_ROUTER_PREF_MEDIUM
	}
	return m.bytes()
}
