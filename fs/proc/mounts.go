package proc

import (
	"fmt"
	"sort"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// mountLister is what /proc/mounts needs from the VFS to list every mount:
// the mounts, root first, and where each is mounted. Until the VFS has
// them, conventional mount points are probed instead (probeMounts).
type mountLister interface {
	Mounts() []*vfs.Mount
}

// mountPointer is implemented by a Mount that tells where it is mounted
// (the zero Location for the root mount).
type mountPointer interface {
	MountPoint() vfs.Location
}

// FSTypeNamer is implemented by filesystems that tell the type name
// /proc/mounts shows; others are named from their statfs magic.
type FSTypeNamer interface {
	FSTypeName() string
}

// probedMountPoints are the places probeMounts looks at.
var probedMountPoints = []string{
	"/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/proc", "/run", "/sys", "/sys/fs/cgroup",
	"/tmp", "/var/tmp", "/home", "/mnt", "/media", "/srv", "/opt",
}

// mountEntry is one line of /proc/mounts.
type mountEntry struct {
	path     string
	fsType   string
	readOnly bool

	// For mountinfo: the mount and the mount it is mounted on (nil for
	// the root).
	mount, parent *vfs.Mount
}

// mountID is the mount ID mountinfo and fdinfo show: the minor number of
// the mount's device, which the VFS allocates per filesystem, from 1 for
// the root.
func mountID(m *vfs.Mount) int {
	if m == nil {
		return 0
	}
	return int(unix.Minor(m.Dev()))
}

// formatMountinfo formats /proc/[pid]/mountinfo: "id parent major:minor
// root point options - type source super-options", with no optional
// fields (no propagation).
func formatMountinfo(ms []mountEntry) string {
	var b strings.Builder
	for _, m := range ms {
		opts := "rw"
		if m.readOnly {
			opts = "ro"
		}
		id := mountID(m.mount)
		parent := id
		if m.parent != nil {
			parent = mountID(m.parent)
		}
		var dev uint64
		if m.mount != nil {
			dev = m.mount.Dev()
		}
		fmt.Fprintf(&b, "%d %d %d:%d / %s %s,relatime - %s %s %s\n",
			id, parent, unix.Major(dev), unix.Minor(dev), escapeMountPath(m.path), opts, m.fsType, m.fsType, opts)
	}
	return b.String()
}

// formatMounts formats /proc/mounts: "source point type options 0 0", with
// the type as the source, as for Linux's virtual filesystems.
func formatMounts(ms []mountEntry) string {
	var b strings.Builder
	for _, m := range ms {
		opts := "rw"
		if m.readOnly {
			opts = "ro"
		}
		fmt.Fprintf(&b, "%s %s %s %s,relatime 0 0\n", m.fsType, escapeMountPath(m.path), m.fsType, opts)
	}
	return b.String()
}

// escapeMountPath escapes space, tab, newline and backslash as octal, as
// Linux's mangle does.
func escapeMountPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case ' ', '\t', '\n', '\\':
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mounts is /proc/[pid]/mounts (and /proc/mounts through self).
func (d *pidDir) mounts() ([]byte, error) {
	fsc := fsContext(d.tg)
	if fsc == nil {
		return nil, nil
	}
	return []byte(formatMounts(listMounts(fsc.VFS))), nil
}

// mountinfo is /proc/[pid]/mountinfo.
func (d *pidDir) mountinfo() ([]byte, error) {
	fsc := fsContext(d.tg)
	if fsc == nil {
		return nil, nil
	}
	return []byte(formatMountinfo(listMounts(fsc.VFS))), nil
}

// listMounts returns the mounts of v, root first.
func listMounts(v *vfs.VFS) []mountEntry {
	if ml, ok := any(v).(mountLister); ok {
		var out []mountEntry
		for _, m := range ml.Mounts() {
			p := "/"
			if mp, ok := any(m).(mountPointer); ok {
				if pt := mp.MountPoint(); pt.Valid() {
					var err error
					if p, err = v.PathOf(pt); err != nil {
						continue // detached
					}
				}
			}
			e := describeMount(p, vfs.Location{Mount: m})
			if p != "/" {
				if mp, ok := any(m).(mountPointer); ok {
					e.parent = mp.MountPoint().Mount
				}
			}
			out = append(out, e)
		}
		return out
	}
	return probeMounts(v)
}

// probeMounts finds the mounts at the conventional mount points: a path
// whose resolution lands on the root of a mount other than its parent's.
func probeMounts(v *vfs.VFS) []mountEntry {
	root := v.Root()
	out := []mountEntry{describeMount("/", root)}
	paths := append([]string(nil), probedMountPoints...)
	sort.Strings(paths)
	for _, p := range paths {
		loc, err := v.Resolve(vfs.Root, root, p, unix.AT_SYMLINK_NOFOLLOW)
		if err != nil || !loc.IsDir() || loc.Dentry.Name() != "" {
			continue
		}
		parent := v.Parent(loc)
		if parent.Mount == loc.Mount {
			continue
		}
		e := describeMount(p, loc)
		e.parent = parent.Mount
		out = append(out, e)
	}
	return out
}

// describeMount names the filesystem of the mount at loc, mounted at p.
// Without a Dentry, loc says only which mount.
func describeMount(p string, loc vfs.Location) mountEntry {
	e := mountEntry{path: p, fsType: "unknown", mount: loc.Mount}
	fs := loc.Mount.Filesystem()
	if n, ok := fs.(FSTypeNamer); ok {
		e.fsType = n.FSTypeName()
	}
	if e.fsType == "unknown" {
		if st, err := fs.Statfs(); err == nil {
			e.fsType = fsTypeOfMagic(st.Type)
		}
	}
	if ro, ok := any(loc.Mount).(interface{ ReadOnly() bool }); ok {
		e.readOnly = ro.ReadOnly()
	} else if loc.Dentry != nil {
		if st, err := loc.Statfs(); err == nil {
			e.readOnly = st.Flags&unix.ST_RDONLY != 0
		}
	}
	return e
}

// fsTypeOfMagic names a filesystem by its statfs f_type.
func fsTypeOfMagic(magic uint64) string {
	switch magic {
	case ProcSuperMagic:
		return "proc"
	case 0x01021994:
		return "tmpfs"
	case 0x794c7630:
		return "overlay"
	case 0x62656572:
		return "sysfs"
	case 0x63677270:
		return "cgroup2"
	case 0x1cd1:
		return "devpts"
	case 0xef53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683e:
		return "btrfs"
	}
	return "unknown"
}
