package ptrace

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func TestFaultAccess(t *testing.T) {
	const rip = 0x401ffa // 6 bytes before a page boundary
	for _, tc := range []struct {
		name  string
		signo unix.Signal
		code  int32
		addr  uintptr
		want  platform.Prot
	}{
		{"not-present fault", unix.SIGSEGV, 1, 0x500000, 0},
		{"SIGBUS", unix.SIGBUS, 2, 0x500000, 0},
		{"data write", unix.SIGSEGV, segvAccErr, 0x500008, platform.ProtWrite},
		{"fetch at rip", unix.SIGSEGV, segvAccErr, rip, platform.ProtExec},
		{"fetch straddling into the next page", unix.SIGSEGV, segvAccErr, 0x402000, platform.ProtExec},
		{"write to rip's page", unix.SIGSEGV, segvAccErr, 0x401000, platform.ProtWrite},
		{"write just past the instruction's reach", unix.SIGSEGV, segvAccErr, 0x402010, platform.ProtWrite},
	} {
		stop := platform.Stop{Reason: platform.StopFault, Signo: int(tc.signo), Code: tc.code, Addr: tc.addr}
		if got := faultAccess(stop, rip); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
