package vfs

import "golang.org/x/sys/unix"

// Credentials are the identity a file operation is checked against: the
// filesystem UID and GID and the supplementary groups of the calling task.
// For access(2) without AT_EACCESS the caller passes the real IDs instead.
type Credentials struct {
	UID    uint32
	GID    uint32
	Groups []uint32
}

// Root is the credentials of uid 0, gid 0.
var Root = &Credentials{}

// inGroup reports whether c is a member of gid.
func (c *Credentials) inGroup(gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// Access bits of a permission check, as in access(2)'s mode.
const (
	MayExec  = 1 // X_OK; search permission on a directory
	MayWrite = 2 // W_OK
	MayRead  = 4 // R_OK
)

// CheckPermission reports whether c may access a file with the given mode
// and owner for want (a combination of MayRead, MayWrite, MayExec). It
// returns nil or EACCES. UID 0 may read and write anything, search any
// directory, and execute any file that has at least one execute bit.
func CheckPermission(c *Credentials, mode uint32, uid, gid uint32, want uint32) error {
	if c.UID == 0 {
		if want&MayExec == 0 || mode&unix.S_IFMT == unix.S_IFDIR || mode&0o111 != 0 {
			return nil
		}
		return unix.EACCES
	}
	var perm uint32
	switch {
	case c.UID == uid:
		perm = (mode >> 6) & 7
	case c.inGroup(gid):
		perm = (mode >> 3) & 7
	default:
		perm = mode & 7
	}
	if perm&want != want {
		return unix.EACCES
	}
	return nil
}

// IsOwner reports whether c owns a file owned by uid, or is root (as
// CAP_FOWNER). Chmod, Utimens with explicit times and the sticky-bit rule
// need it.
func (c *Credentials) IsOwner(uid uint32) bool { return c.UID == 0 || c.UID == uid }
