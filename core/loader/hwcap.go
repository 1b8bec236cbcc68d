package loader

import (
	"sync"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"golang.org/x/sys/unix"
)

var hostHWCap = sync.OnceValues(func() (uint64, uint64) {
	auxv, err := unix.Auxv()
	if err != nil {
		return 0, 0
	}
	var hwcap, hwcap2 uint64
	for _, e := range auxv {
		switch e[0] {
		case linux.AT_HWCAP:
			hwcap = uint64(e[1])
		case linux.AT_HWCAP2:
			hwcap2 = uint64(e[1])
		}
	}
	return hwcap, hwcap2
})

// HostHWCap returns the host's AT_HWCAP and AT_HWCAP2, from the auxiliary
// vector the host kernel gave this process (the Go runtime keeps it). On
// x86-64 AT_HWCAP is CPUID leaf 1's EDX and AT_HWCAP2 has the
// ring-3 MONITOR/MWAIT and FSGSBASE bits. Applications run on the host CPU
// under every platform, so the host's values are the true ones.
func HostHWCap() (hwcap, hwcap2 uint64) { return hostHWCap() }
