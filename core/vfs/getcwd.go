package vfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// PathOf returns the absolute path of loc from the VFS root, as getcwd(2)
// and /proc/self/fd report it. The path is built from the names the walk
// that reached loc used, crossing mount points upward. A location outside
// the tree (its mount was detached) is reported relative to its mount, with
// ENOENT.
func (v *VFS) PathOf(loc Location) (string, error) {
	if !loc.Valid() {
		return "", unix.ENOENT
	}
	root := v.Root()
	var names []string
	for !loc.same(root) {
		if loc.Dentry.parent == nil {
			if loc.Mount.parent == nil {
				return "/" + join(names), unix.ENOENT
			}
			loc = Location{loc.Mount.parent, loc.Mount.point}
			continue
		}
		names = append(names, loc.Dentry.name)
		loc = Location{loc.Mount, loc.Dentry.parent}
	}
	return "/" + join(names), nil
}

// join joins names given leaf first.
func join(names []string) string {
	var b strings.Builder
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteString(names[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	return b.String()
}
