package vfs

// This file is the advisory lock table: flock(2) locks and fcntl(2) record
// locks (POSIX locks owned by a process, open-file-description locks owned
// by a description), kept per file.
//
// # Model
//
// Locks belong to a file, identified by its Filesystem and inode number
// (anonymous files by their description). Each file with locks or waiters
// has a fileLocks entry in the global table; the entry is dropped once it
// holds neither.
//
//   - flock locks are whole-file, shared or exclusive, and owned by a
//     FileDescription. They are released by LOCK_UN or when the
//     description's last reference goes.
//   - Record locks are byte ranges, read or write. A POSIX lock is owned by
//     a process's FDTable (as Linux's by its files_struct) and released
//     when that table closes any descriptor of the file (FDTable calls
//     ReleasePOSIXLocks) or on exit. An OFD lock is owned by its
//     description, like a flock lock. POSIX and OFD locks conflict with
//     each other when their owners differ; flock and record locks never
//     conflict.
//
// # Locking
//
// lockTable.mu is a leaf lock that covers every fileLocks: nothing is taken
// while it is held but Queue.mu (through Notify).

import (
	"math"
	"sync"

	"golang.org/x/sys/unix"
)

// Lock types, as in struct flock's l_type.
const (
	ReadLock   = unix.F_RDLCK
	WriteLock  = unix.F_WRLCK
	UnlockLock = unix.F_UNLCK
)

// lockKey identifies a lockable file.
type lockKey struct {
	fs   Filesystem
	ino  uint64
	anon *FileDescription // anonymous files: the description itself
}

// recordLock is one byte-range lock held by one owner.
type recordLock struct {
	owner any   // *FDTable (POSIX) or *FileDescription (OFD)
	pid   int32 // the process that set it; -1 for OFD locks
	typ   int16 // ReadLock or WriteLock
	start int64
	end   int64 // inclusive; math.MaxInt64 is "to end of file"
}

// fileLocks is the lock state of one file.
type fileLocks struct {
	// flock locks: shared holders, or one exclusive holder.
	shared    map[*FileDescription]struct{}
	exclusive *FileDescription

	// records are the record locks, in no particular order; one owner's
	// locks never overlap.
	records []recordLock

	// waiters counts tasks blocked on this file, which keep the entry
	// alive.
	waiters int

	// q wakes waiters when a lock is released.
	q Queue
}

func (fl *fileLocks) empty() bool {
	return len(fl.shared) == 0 && fl.exclusive == nil && len(fl.records) == 0 && fl.waiters == 0
}

// lockTable is the global table of files with locks.
var lockTable = struct {
	mu sync.Mutex
	m  map[lockKey]*fileLocks // protected by mu

	// blockedOn maps a POSIX owner blocked in SetRecordLock to the owner
	// holding the lock it waits for, for deadlock detection. Protected by
	// mu.
	blockedOn map[any]any
}{m: map[lockKey]*fileLocks{}, blockedOn: map[any]any{}}

// lockKey returns the identity under which fd's file is locked.
func (fd *FileDescription) lockKey() lockKey {
	if fd.loc.Valid() {
		return lockKey{fs: fd.loc.Mount.fs, ino: fd.loc.Dentry.ino}
	}
	return lockKey{anon: fd}
}

// locksFor returns the entry of k, creating it.
//
// Preconditions: lockTable.mu is held.
func locksFor(k lockKey) *fileLocks {
	fl := lockTable.m[k]
	if fl == nil {
		fl = &fileLocks{}
		lockTable.m[k] = fl
	}
	return fl
}

// dropIfEmpty forgets k's entry once it holds nothing.
//
// Preconditions: lockTable.mu is held.
func dropIfEmpty(k lockKey, fl *fileLocks) {
	if fl.empty() && lockTable.m[k] == fl {
		delete(lockTable.m, k)
	}
}

// waitLock blocks until fl changes, following the Blocker contract.
//
// Preconditions: lockTable.mu is held, and is held again on return.
func waitLock(b Blocker, fl *fileLocks) error {
	e := NewEntry(EventAll)
	fl.q.Register(e)
	fl.waiters++
	lockTable.mu.Unlock()
	err := Wait(b, e)
	lockTable.mu.Lock()
	fl.waiters--
	fl.q.Unregister(e)
	return err
}

// Flock implements flock(2): op is LOCK_SH, LOCK_EX or LOCK_UN, possibly
// with LOCK_NB. A conflicting lock makes it wait (interruptibly), or fail
// with EWOULDBLOCK with LOCK_NB. Converting a lock releases it first, as
// on Linux, so a conversion is not atomic.
func (fd *FileDescription) Flock(b Blocker, op int) error {
	nb := op&unix.LOCK_NB != 0
	op &^= unix.LOCK_NB
	if op != unix.LOCK_SH && op != unix.LOCK_EX && op != unix.LOCK_UN {
		return unix.EINVAL
	}
	k := fd.lockKey()
	lockTable.mu.Lock()
	defer lockTable.mu.Unlock()
	fl := locksFor(k)
	defer dropIfEmpty(k, fl)
	if (op == unix.LOCK_SH && hasShared(fl, fd)) || (op == unix.LOCK_EX && fl.exclusive == fd) {
		return nil
	}
	if flockRelease(fl, fd) {
		fl.q.Notify(EventAll)
	}
	if op == unix.LOCK_UN {
		return nil
	}
	for {
		free := fl.exclusive == nil
		if op == unix.LOCK_EX {
			free = free && len(fl.shared) == 0
		}
		if free {
			if op == unix.LOCK_EX {
				fl.exclusive = fd
			} else {
				if fl.shared == nil {
					fl.shared = map[*FileDescription]struct{}{}
				}
				fl.shared[fd] = struct{}{}
			}
			return nil
		}
		if nb {
			return unix.EWOULDBLOCK
		}
		if err := waitLock(b, fl); err != nil {
			return err
		}
	}
}

func hasShared(fl *fileLocks, fd *FileDescription) bool {
	_, ok := fl.shared[fd]
	return ok
}

// flockRelease drops fd's flock lock and reports whether it had one.
//
// Preconditions: lockTable.mu is held.
func flockRelease(fl *fileLocks, fd *FileDescription) bool {
	if fl.exclusive == fd {
		fl.exclusive = nil
		return true
	}
	if hasShared(fl, fd) {
		delete(fl.shared, fd)
		return true
	}
	return false
}

// RecordLock is a record lock request or answer, struct flock with l_whence
// already applied.
type RecordLock struct {
	// Type is ReadLock, WriteLock or UnlockLock.
	Type int16

	// Start is the first byte; Len the number of bytes, 0 meaning "to the
	// end of the file, however it grows".
	Start, Len int64

	// PID is the process holding a conflicting lock (GetRecordLock's
	// answer; -1 for an OFD lock), or the process setting one.
	PID int32
}

// lockRange converts Start and Len to an inclusive range.
func (l *RecordLock) lockRange() (start, end int64, err error) {
	start, end = l.Start, math.MaxInt64
	switch {
	case l.Len > 0:
		if l.Start > math.MaxInt64-l.Len+1 {
			return 0, 0, unix.EOVERFLOW
		}
		end = l.Start + l.Len - 1
	case l.Len < 0:
		end = l.Start - 1
		start = l.Start + l.Len
	}
	if start < 0 {
		return 0, 0, unix.EINVAL
	}
	return start, end, nil
}

// ResolveWhence converts a struct flock's (whence, start) into an absolute
// start, using fd's offset (SEEK_CUR) or size (SEEK_END).
func (fd *FileDescription) ResolveWhence(whence int16, start int64) (int64, error) {
	var base int64
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		fd.mu.Lock()
		base = fd.off
		fd.mu.Unlock()
	case unix.SEEK_END:
		st, err := fd.Stat()
		if err != nil {
			return 0, err
		}
		base = st.Size
	default:
		return 0, unix.EINVAL
	}
	if (start > 0 && base > math.MaxInt64-start) || base+start < 0 {
		if start > 0 {
			return 0, unix.EOVERFLOW
		}
		return 0, unix.EINVAL
	}
	return base + start, nil
}

// conflicts reports whether a lock of typ on [start, end] by owner
// conflicts with r.
func (r *recordLock) conflicts(owner any, typ int16, start, end int64) bool {
	if r.owner == owner || r.end < start || r.start > end {
		return false
	}
	return typ == WriteLock || r.typ == WriteLock
}

// GetRecordLock implements F_GETLK and F_OFD_GETLK: it returns the first
// lock that would conflict with l set by owner, or l with Type UnlockLock
// if there is none.
func (fd *FileDescription) GetRecordLock(owner any, l RecordLock) (RecordLock, error) {
	if l.Type != ReadLock && l.Type != WriteLock {
		return RecordLock{}, unix.EINVAL
	}
	start, end, err := l.lockRange()
	if err != nil {
		return RecordLock{}, err
	}
	lockTable.mu.Lock()
	defer lockTable.mu.Unlock()
	if fl := lockTable.m[fd.lockKey()]; fl != nil {
		for i := range fl.records {
			r := &fl.records[i]
			if r.conflicts(owner, l.Type, start, end) {
				out := RecordLock{Type: r.typ, Start: r.start, PID: r.pid}
				if r.end != math.MaxInt64 {
					out.Len = r.end - r.start + 1
				}
				return out, nil
			}
		}
	}
	l.Type = UnlockLock
	return l, nil
}

// SetRecordLock implements F_SETLK, F_SETLKW and their OFD forms: it sets
// (or with UnlockLock clears) a lock on l's range for owner, a *FDTable
// for POSIX locks or the description itself (fd) for OFD locks. A conflict
// fails with EAGAIN, or with wait set blocks interruptibly; a POSIX wait
// that would deadlock fails with EDEADLK. The file must be open for
// reading to set a read lock and for writing to set a write lock (EBADF).
func (fd *FileDescription) SetRecordLock(b Blocker, owner any, l RecordLock, wait bool) error {
	switch l.Type {
	case ReadLock:
		if !fd.readable() {
			return unix.EBADF
		}
	case WriteLock:
		if !fd.writable() {
			return unix.EBADF
		}
	case UnlockLock:
	default:
		return unix.EINVAL
	}
	start, end, err := l.lockRange()
	if err != nil {
		return err
	}
	pid := l.PID
	if _, ofd := owner.(*FileDescription); ofd {
		pid = -1
	}
	k := fd.lockKey()
	lockTable.mu.Lock()
	defer lockTable.mu.Unlock()
	fl := locksFor(k)
	defer dropIfEmpty(k, fl)
	if l.Type != UnlockLock {
		for {
			var holder any
			for i := range fl.records {
				if r := &fl.records[i]; r.conflicts(owner, l.Type, start, end) {
					holder = r.owner
					break
				}
			}
			if holder == nil {
				break
			}
			if !wait {
				return unix.EAGAIN
			}
			if wouldDeadlock(owner, holder) {
				return unix.EDEADLK
			}
			lockTable.blockedOn[owner] = holder
			err := waitLock(b, fl)
			delete(lockTable.blockedOn, owner)
			if err != nil {
				return err
			}
		}
	}
	if fl.removeRange(owner, start, end) {
		fl.q.Notify(EventAll)
	}
	if l.Type != UnlockLock {
		fl.insert(recordLock{owner: owner, pid: pid, typ: l.Type, start: start, end: end})
	}
	return nil
}

// wouldDeadlock reports whether owner waiting for holder closes a cycle of
// POSIX owners waiting for each other.
//
// Preconditions: lockTable.mu is held.
func wouldDeadlock(owner, holder any) bool {
	if _, ok := owner.(*FDTable); !ok {
		return false // OFD locks do no deadlock detection, as on Linux
	}
	for i := 0; holder != nil && i < 1024; i++ {
		if holder == owner {
			return true
		}
		holder = lockTable.blockedOn[holder]
	}
	return false
}

// removeRange takes [start, end] out of owner's locks, splitting a lock
// that straddles it, and reports whether anything was removed.
//
// Preconditions: lockTable.mu is held.
func (fl *fileLocks) removeRange(owner any, start, end int64) bool {
	changed := false
	out := fl.records[:0:0]
	for _, r := range fl.records {
		if r.owner != owner || r.end < start || r.start > end {
			out = append(out, r)
			continue
		}
		changed = true
		if r.start < start {
			left := r
			left.end = start - 1
			out = append(out, left)
		}
		if r.end > end {
			right := r
			right.start = end + 1
			out = append(out, right)
		}
	}
	fl.records = out
	return changed
}

// insert adds r, merging it with owner's adjacent locks of the same type.
//
// Preconditions: lockTable.mu is held; owner holds nothing in r's range.
func (fl *fileLocks) insert(r recordLock) {
	out := fl.records[:0:0]
	for _, o := range fl.records {
		if o.owner == r.owner && o.typ == r.typ && (o.end != math.MaxInt64 && o.end+1 == r.start || r.end != math.MaxInt64 && r.end+1 == o.start) {
			r.start = min(r.start, o.start)
			r.end = max(r.end, o.end)
			continue
		}
		out = append(out, o)
	}
	fl.records = append(out, r)
}

// ReleasePOSIXLocks drops every POSIX lock owner holds on fd's file: what
// closing any descriptor of a file does to the process's locks.
func (fd *FileDescription) ReleasePOSIXLocks(owner *FDTable) {
	fd.releaseRecords(owner)
}

// releaseRecords drops owner's record locks on fd's file.
func (fd *FileDescription) releaseRecords(owner any) {
	k := fd.lockKey()
	lockTable.mu.Lock()
	defer lockTable.mu.Unlock()
	fl := lockTable.m[k]
	if fl == nil {
		return
	}
	if fl.removeRange(owner, 0, math.MaxInt64) {
		fl.q.Notify(EventAll)
	}
	dropIfEmpty(k, fl)
}

// releaseLocks drops the locks the description itself owns (flock and OFD
// locks); called when its last reference goes.
func (fd *FileDescription) releaseLocks() {
	k := fd.lockKey()
	lockTable.mu.Lock()
	defer lockTable.mu.Unlock()
	fl := lockTable.m[k]
	if fl == nil {
		return
	}
	a := flockRelease(fl, fd)
	b := fl.removeRange(fd, 0, math.MaxInt64)
	if a || b {
		fl.q.Notify(EventAll)
	}
	dropIfEmpty(k, fl)
}
