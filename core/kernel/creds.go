package kernel

import "golang.org/x/sys/unix"

// Credentials are a process's user and group IDs inside the sandbox. They
// give no privilege on the host: ward itself does the permission checks.
type Credentials struct {
	RealUID, EffectiveUID, SavedUID, FilesystemUID uint32
	RealGID, EffectiveGID, SavedGID, FilesystemGID uint32
	Groups                                         []uint32

	// Capability sets (bit N is capability N). They are reported and
	// may be dropped (capget/capset); permission checks still follow
	// the effective UID, which is the only privilege inside a sandbox.
	CapEffective, CapPermitted, CapInheritable uint64
}

// AllCapabilities is every capability up to CAP_LAST_CAP (40,
// CAP_CHECKPOINT_RESTORE, <linux/capability.h>).
const AllCapabilities = uint64(1)<<41 - 1

// NewCredentials returns credentials with all IDs set to uid and gid.
func NewCredentials(uid, gid uint32, groups []uint32) Credentials {
	c := Credentials{
		RealUID: uid, EffectiveUID: uid, SavedUID: uid, FilesystemUID: uid,
		RealGID: gid, EffectiveGID: gid, SavedGID: gid, FilesystemGID: gid,
		Groups: append([]uint32(nil), groups...),
	}
	c.rootCaps()
	return c
}

// execCaps recomputes the capability sets at execve, as Linux does for a
// file without file capabilities: root (real or effective) gets the full
// permitted set, effective if the effective UID is 0; anyone else none.
func (c *Credentials) execCaps() {
	switch {
	case c.EffectiveUID == 0:
		c.CapPermitted, c.CapEffective = AllCapabilities, AllCapabilities
	case c.RealUID == 0:
		c.CapPermitted, c.CapEffective = AllCapabilities, 0
	default:
		c.CapPermitted, c.CapEffective = 0, 0
	}
}

// uidCaps applies the capability rules of a UID change (capabilities(7),
// "Effect of user ID changes on capabilities").
func (c *Credentials) uidCaps(oldR, oldE, oldS uint32) {
	if (oldR == 0 || oldE == 0 || oldS == 0) && c.RealUID != 0 && c.EffectiveUID != 0 && c.SavedUID != 0 {
		c.CapPermitted, c.CapEffective = 0, 0
		return
	}
	if oldE == 0 && c.EffectiveUID != 0 {
		c.CapEffective = 0
	} else if oldE != 0 && c.EffectiveUID == 0 {
		c.CapEffective = c.CapPermitted
	}
}

// rootCaps gives uid 0 every capability, as a new root process has.
func (c *Credentials) rootCaps() {
	if c.EffectiveUID == 0 {
		c.CapEffective, c.CapPermitted = AllCapabilities, AllCapabilities
	}
}

// SetCapabilities implements capset for the calling process with
// Linux's rules: the permitted set can only shrink, the effective set
// must stay within it, the inheritable set within the old inheritable
// and permitted sets.
func (t *Task) SetCapabilities(eff, perm, inh uint64) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	c := &t.tg.creds
	if perm&^c.CapPermitted != 0 || eff&^perm != 0 || inh&^(c.CapInheritable|c.CapPermitted) != 0 {
		return unix.EPERM
	}
	c.CapEffective, c.CapPermitted, c.CapInheritable = eff, perm, inh
	return nil
}

// Privileged reports whether the credentials act as root (Ward has no
// capability sets yet: effective UID 0 has all of them).
func (c *Credentials) Privileged() bool { return c.EffectiveUID == 0 }

func (c Credentials) clone() Credentials {
	c.Groups = append([]uint32(nil), c.Groups...)
	return c
}

const noChange = ^uint32(0) // -1 in set*id: leave unchanged

// Credentials returns a copy of the process's credentials.
func (t *Task) Credentials() Credentials {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.creds.clone()
}

// SetUID implements setuid(2).
func (t *Task) SetUID(uid uint32) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	c := &t.tg.creds
	oldR, oldE, oldS := c.RealUID, c.EffectiveUID, c.SavedUID
	defer c.uidCaps(oldR, oldE, oldS)
	if c.Privileged() {
		c.RealUID, c.EffectiveUID, c.SavedUID, c.FilesystemUID = uid, uid, uid, uid
		return nil
	}
	if uid != c.RealUID && uid != c.SavedUID {
		return unix.EPERM
	}
	c.EffectiveUID, c.FilesystemUID = uid, uid
	return nil
}

// SetGID implements setgid(2).
func (t *Task) SetGID(gid uint32) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	c := &t.tg.creds
	if c.Privileged() {
		c.RealGID, c.EffectiveGID, c.SavedGID, c.FilesystemGID = gid, gid, gid, gid
		return nil
	}
	if gid != c.RealGID && gid != c.SavedGID {
		return unix.EPERM
	}
	c.EffectiveGID, c.FilesystemGID = gid, gid
	return nil
}

// SetResUID implements setresuid(2) (and setreuid through it); noChange
// (-1) leaves an ID as it is.
func (t *Task) SetResUID(r, e, s uint32) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	c := &t.tg.creds
	allowed := func(id uint32) bool {
		return id == noChange || c.Privileged() || id == c.RealUID || id == c.EffectiveUID || id == c.SavedUID
	}
	if !allowed(r) || !allowed(e) || !allowed(s) {
		return unix.EPERM
	}
	oldR, oldE, oldS := c.RealUID, c.EffectiveUID, c.SavedUID
	defer c.uidCaps(oldR, oldE, oldS)
	if r != noChange {
		c.RealUID = r
	}
	if e != noChange {
		c.EffectiveUID = e
	}
	if s != noChange {
		c.SavedUID = s
	}
	c.FilesystemUID = c.EffectiveUID
	return nil
}

// SetResGID implements setresgid(2).
func (t *Task) SetResGID(r, e, s uint32) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	c := &t.tg.creds
	allowed := func(id uint32) bool {
		return id == noChange || c.Privileged() || id == c.RealGID || id == c.EffectiveGID || id == c.SavedGID
	}
	if !allowed(r) || !allowed(e) || !allowed(s) {
		return unix.EPERM
	}
	if r != noChange {
		c.RealGID = r
	}
	if e != noChange {
		c.EffectiveGID = e
	}
	if s != noChange {
		c.SavedGID = s
	}
	c.FilesystemGID = c.EffectiveGID
	return nil
}

// SetGroups implements setgroups(2).
func (t *Task) SetGroups(groups []uint32) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if !t.tg.creds.Privileged() {
		return unix.EPERM
	}
	t.tg.creds.Groups = append([]uint32(nil), groups...)
	return nil
}
