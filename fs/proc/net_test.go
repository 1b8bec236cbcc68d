package proc

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// tableStack is a stack with lo and a fixed socket table.
type tableStack struct{ socks []inet.SocketInfo }

func (tableStack) Socket(int, int, int) (*vfs.FileDescription, error) { return nil, unix.EAFNOSUPPORT }

func (tableStack) Interfaces() []inet.Interface {
	return []inet.Interface{{Name: "lo", Index: 1, Addrs: []string{"127.0.0.1/8", "::1/128"}, Flags: unix.IFF_LOOPBACK | unix.IFF_UP}}
}

func (s tableStack) Sockets(proto int) []inet.SocketInfo { return s.socks }

func TestNetFormats(t *testing.T) {
	st := tableStack{socks: []inet.SocketInfo{
		{Family: unix.AF_INET, Local: netip.MustParseAddrPort("127.0.0.1:8080"), State: inet.TCPListen, UID: 1000, Ino: 42},
		{Family: unix.AF_INET6, Local: netip.MustParseAddrPort("[::1]:443"), State: inet.TCPListen, Ino: 43},
		{Family: unix.AF_INET6, Local: netip.MustParseAddrPort("127.0.0.1:53"), State: inet.TCPClose, Ino: 44},
	}}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"tcp", netSockets(st, unix.IPPROTO_TCP, unix.AF_INET), "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 42 1 0000000000000000 100 0 0 10 0"},
		{"tcp6", netSockets(st, unix.IPPROTO_TCP, unix.AF_INET6), "   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A"},
		{"udp6 v4-mapped", netSockets(st, unix.IPPROTO_UDP, unix.AF_INET6), "    1: 0000000000000000FFFF00000100007F:0035 00000000000000000000000000000000:0000 07"},
		{"if_inet6", netIfInet6(st), "00000000000000000000000000000001 01 80 10 80       lo\n"},
		{"dev", netDev(st), "    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"},
		{"route", netRoute(st), "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT   "},
	} {
		if !strings.Contains(tc.got, tc.want) {
			t.Errorf("%s:\n%q\nlacks\n%q", tc.name, tc.got, tc.want)
		}
	}
	if got := netSockets(nil, unix.IPPROTO_TCP, unix.AF_INET); strings.Count(got, "\n") != 1 || len(got) != 150 {
		t.Errorf("tcp without a stack: %q", got)
	}
	if got := netRoute(st); strings.Count(got, "\n") != 1 || len(got) != 128 {
		t.Errorf("route for lo only: %q", got)
	}
}
