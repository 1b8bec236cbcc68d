package proc

import (
	"crypto/rand"
	"fmt"
	"strconv"

	"github.com/seed-a9fb2a21/ward/core/vfs"
)

// ngroupsMax is NGROUPS_MAX, the most supplementary groups a process has.
const ngroupsMax = 65536

// capLastCap is the highest capability number (CAP_CHECKPOINT_RESTORE).
const capLastCap = 40

// sysTree builds /proc/sys: the few kernel parameters programs read. All
// are read-only.
func (fs *FS) sysTree(b *treeBuilder) *node {
	bootID := newUUID()
	line := func(s string) *node { return b.text(func() string { return s + "\n" }) }
	return b.dir(
		named("fs", b.dir(
			named("file-max", line("9223372036854775807")),
			named("nr_open", line(strconv.Itoa(vfs.MaxFDs))),
		)),
		named("kernel", b.dir(
			named("cap_last_cap", line(strconv.Itoa(capLastCap))),
			named("hostname", b.text(func() string {
				if k := fs.kernel(); k != nil {
					return k.Hostname() + "\n"
				}
				return "\n"
			})),
			named("ngroups_max", line(strconv.Itoa(ngroupsMax))),
			named("osrelease", line(osRelease)),
			named("ostype", line(osType)),
			named("pid_max", b.text(func() string {
				if k := fs.kernel(); k != nil {
					return strconv.Itoa(int(k.MaxPID())) + "\n"
				}
				return "0\n"
			})),
			named("threads-max", b.text(func() string {
				if k := fs.kernel(); k != nil {
					return strconv.Itoa(k.MaxTasks()) + "\n"
				}
				return "0\n"
			})),
			named("random", b.dir(
				named("boot_id", line(bootID)),
				named("entropy_avail", line("256")),
				named("uuid", b.text(func() string { return newUUID() + "\n" })),
			)),
			named("version", line(osVersion)),
		)),
		named("vm", b.dir(
			named("overcommit_memory", line("0")),
		)),
	)
}

// newUUID returns a random (version 4) UUID in its text form.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
