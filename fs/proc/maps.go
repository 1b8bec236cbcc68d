package proc

import (
	"fmt"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// mapsNameColumn is where Linux starts the name of a mapping in
// /proc/[pid]/maps: the header is padded to 25 + 6*sizeof(void *) - 1
// characters, then one space.
const mapsNameColumn = 25 + 6*8 - 1

// formatMapsLine formats one VMA as a line of /proc/[pid]/maps:
//
//	start-end perms offset major:minor inode   name
func formatMapsLine(v mm.VMA) string {
	perm := []byte("---p")
	if v.Prot&platform.ProtRead != 0 {
		perm[0] = 'r'
	}
	if v.Prot&platform.ProtWrite != 0 {
		perm[1] = 'w'
	}
	if v.Prot&platform.ProtExec != 0 {
		perm[2] = 'x'
	}
	if v.Shared {
		perm[3] = 's'
	}
	var dev, ino uint64
	if v.Identity != nil {
		dev, ino = v.Identity.DeviceID(), v.Identity.InodeID()
	}
	line := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d ",
		v.Start, v.End, perm, v.Offset, unix.Major(dev), unix.Minor(dev), ino)
	if v.Name == "" {
		return line + "\n"
	}
	if pad := mapsNameColumn - len(line); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	return line + " " + v.Name + "\n"
}

// maps is /proc/[pid]/maps.
func (d *pidDir) maps() ([]byte, error) {
	m := d.tg.MM()
	if m == nil {
		return nil, nil
	}
	var b strings.Builder
	for _, v := range m.VMAs() {
		b.WriteString(formatMapsLine(v))
	}
	// The platform's vDSO block lies above every VMA, outside what the
	// memory manager maps.
	if k := d.fs.kernel(); k != nil {
		if vp, ok := k.Platform().(platform.VDSOProvider); ok {
			_, regions := vp.VDSO()
			for _, r := range regions {
				prot := platform.ProtRead
				if r.Name == "[vdso]" {
					prot |= platform.ProtExec
				}
				b.WriteString(formatMapsLine(mm.VMA{Start: r.Start, End: r.End, Prot: prot, Name: r.Name}))
			}
		}
	}
	return []byte(b.String()), nil
}
