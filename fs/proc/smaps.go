package proc

import (
	"fmt"
	"strings"
)

// smapsRollupFields are the lines of /proc/[pid]/smaps_rollup after the
// header, in Linux's order.
var smapsRollupFields = []string{
	"Rss", "Pss", "Pss_Dirty", "Pss_Anon", "Pss_File", "Pss_Shmem",
	"Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty",
	"Referenced", "Anonymous", "KSM", "LazyFree", "AnonHugePages",
	"ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb",
	"Swap", "SwapPss", "Locked",
}

// formatSmapsRollup formats /proc/[pid]/smaps_rollup for an address space
// spanning [start, end) with rss bytes resident. The memory manager
// tracks only the total resident size, so it is reported as private,
// dirty, referenced memory (Rss, Pss, Pss_Dirty, Private_Dirty,
// Referenced); the breakdowns Ward does not track are 0.
func formatSmapsRollup(start, end uintptr, rss uint64) string {
	var b strings.Builder
	header := fmt.Sprintf("%08x-%08x ---p 00000000 00:00 0 ", start, end)
	if pad := mapsNameColumn - len(header); pad > 0 {
		header += strings.Repeat(" ", pad)
	}
	b.WriteString(header + " [rollup]\n")
	for _, f := range smapsRollupFields {
		v := uint64(0)
		switch f {
		case "Rss", "Pss", "Pss_Dirty", "Private_Dirty", "Referenced":
			v = rss / 1024
		}
		fmt.Fprintf(&b, "%-16s%8d kB\n", f+":", v)
	}
	return b.String()
}

// smapsRollup is /proc/[pid]/smaps_rollup.
func (d *pidDir) smapsRollup() ([]byte, error) {
	m := d.tg.MM()
	if m == nil {
		return nil, nil
	}
	vmas := m.VMAs()
	if len(vmas) == 0 {
		return nil, nil
	}
	return []byte(formatSmapsRollup(vmas[0].Start, vmas[len(vmas)-1].End, uint64(m.ResidentSize()))), nil
}
