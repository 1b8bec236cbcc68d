//go:build linux && amd64

package ptrace

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// The host's vDSO in every stub.
//
// Programs read the clocks (clock_gettime, gettimeofday, time) through the
// vDSO, code the kernel maps into every process that reads the time from
// data pages ([vvar]) without a system call. A stub is a host process, so
// exec gives it the host's vDSO and vvar pages; instead of unmapping them
// with the rest, prepare moves them (mremap, keeping their distances: the
// vDSO's code finds its data at a fixed offset) to vdsoBase, the same place
// in every stub, between the application's range and the stub's own pages.
// The kernel passes vdsoBase's vDSO to programs as AT_SYSINFO_EHDR, and
// their clock reads cost no ptrace stop. When the host's clock source
// cannot be read from user space the vDSO makes the system call itself,
// which the stub's SYSEMU tracing turns into an ordinary system call stop.
//
// The block lies above MaxUserAddress, so the kernel's memory manager never
// maps over it, fork (a stub forked from the template inherits it) and
// exec (a new stub, or succession, which unmaps only the application's
// range) keep it, and an application cannot unmap or move it (munmap and
// mremap of it fail with EINVAL where Linux would allow them).
//
// The layout (which pages, in which order, how large) is the host kernel's;
// it is read once from Ward's own /proc/self/maps, and each fresh stub's
// regions must match it. A host whose vDSO and vvar do not fit in
// vdsoReserve, or that has no vDSO, gets none: the stub unmaps them and
// programs make system calls for the time.

const (
	// vdsoReserve is the room for the vDSO and its data pages below the
	// stub's own pages.
	vdsoReserve = 0x10_0000

	// vdsoBase is where the block starts; it is MaxUserAddress.
	vdsoBase = stubStart - vdsoReserve
)

// vdsoRegion is one mapping of the host's vDSO block.
type vdsoRegion struct {
	name   string  // "[vvar]", "[vvar_vclock]", "[vdso]"
	offset uintptr // from the start of the block
	length uintptr
}

// vdsoLayout is the host's vDSO block as this process has it.
type vdsoLayout struct {
	regions []vdsoRegion
	// elf is the offset of the vDSO's ELF image ([vdso]) in the block.
	elf uintptr
}

var hostVDSO = sync.OnceValue(func() *vdsoLayout {
	regs, err := vdsoRegions(os.Getpid())
	if err != nil || len(regs) == 0 {
		return nil
	}
	base := regs[0].start
	l := &vdsoLayout{}
	hasELF := false
	for _, r := range regs {
		if r.end-base > vdsoReserve {
			return nil
		}
		l.regions = append(l.regions, vdsoRegion{name: r.name, offset: r.start - base, length: r.end - r.start})
		if r.name == "[vdso]" {
			l.elf, hasELF = r.start-base, true
		}
	}
	if !hasELF {
		return nil
	}
	return l
})

// mappedRegion is a vDSO-block mapping as /proc/[pid]/maps lists it.
type mappedRegion struct {
	name       string
	start, end uintptr
}

// vdsoRegions returns process pid's [vvar*] and [vdso] mappings in address
// order.
func vdsoRegions(pid int) ([]mappedRegion, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mappedRegion
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		name := fields[5]
		if name != "[vdso]" && !strings.HasPrefix(name, "[vvar") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		s, err1 := strconv.ParseUint(lo, 16, 64)
		e, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || e <= s {
			return nil, fmt.Errorf("ptrace: bad line in /proc/%d/maps: %q", pid, sc.Text())
		}
		out = append(out, mappedRegion{name: name, start: uintptr(s), end: uintptr(e)})
	}
	return out, sc.Err()
}

// vdsoCalls returns the system calls that give fresh stub pid the host's
// vDSO block at vdsoBase and clear the rest of the reserve: mremaps of its
// regions, then an munmap of what follows them. Without a host vDSO the
// whole reserve is cleared. A stub whose regions do not match the host
// layout is an error: every address space must have the vDSO the kernel
// tells programs about.
func vdsoCalls(pid int) ([]call, error) {
	l := hostVDSO()
	if l == nil {
		return []call{{nr: unix.SYS_MUNMAP, args: [6]uintptr{vdsoBase, vdsoReserve}}}, nil
	}
	regs, err := vdsoRegions(pid)
	if err != nil {
		return nil, err
	}
	if len(regs) != len(l.regions) {
		return nil, fmt.Errorf("ptrace: stub %d has %d vDSO mappings, Ward %d", pid, len(regs), len(l.regions))
	}
	var calls []call
	end := uintptr(0)
	for i, r := range regs {
		want := l.regions[i]
		if r.name != want.name || r.end-r.start != want.length {
			return nil, fmt.Errorf("ptrace: stub %d's vDSO mapping %s [%#x, %#x) does not match Ward's %s of %#x bytes",
				pid, r.name, r.start, r.end, want.name, want.length)
		}
		dst := vdsoBase + want.offset
		end = max(end, want.offset+want.length)
		if r.start == dst {
			continue
		}
		if r.start < vdsoBase+vdsoReserve && r.end > vdsoBase {
			return nil, fmt.Errorf("ptrace: stub %d's vDSO mapping %s [%#x, %#x) lies in the way of its new place", pid, r.name, r.start, r.end)
		}
		calls = append(calls, call{nr: unix.SYS_MREMAP, args: [6]uintptr{r.start, want.length, want.length,
			unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, dst}})
	}
	if end < vdsoReserve {
		calls = append(calls, call{nr: unix.SYS_MUNMAP, args: [6]uintptr{vdsoBase + end, vdsoReserve - end}})
	}
	return calls, nil
}

// VDSO implements platform.VDSOProvider.
func (p *Platform) VDSO() (uintptr, []platform.VDSORegion) {
	l := hostVDSO()
	if l == nil {
		return 0, nil
	}
	regs := make([]platform.VDSORegion, len(l.regions))
	for i, r := range l.regions {
		regs[i] = platform.VDSORegion{Name: r.name, Start: vdsoBase + r.offset, End: vdsoBase + r.offset + r.length}
	}
	return vdsoBase + l.elf, regs
}

var _ platform.VDSOProvider = (*Platform)(nil)
