package vfs

import (
	"sync"

	"golang.org/x/sys/unix"
)

// MaxFDs is the largest number of descriptors a table may hold, whatever
// the limit (Linux's fs.nr_open default).
const MaxFDs = 1 << 20

// fdSlot is one file descriptor.
type fdSlot struct {
	file    *FileDescription
	cloexec bool
}

// FDTable is a process's file descriptor table: small integers mapped to
// descriptions, each with its close-on-exec flag. The table holds one
// reference on each description it maps. All methods are safe for
// concurrent use; descriptions leaving the table are returned to the caller
// (or released) after the table's lock is dropped, since releasing one may
// block.
type FDTable struct {
	mu sync.Mutex

	// slots is indexed by descriptor; nil files are free. Protected by
	// mu.
	slots []fdSlot

	// limit is RLIMIT_NOFILE's soft limit: descriptors are below it.
	// Protected by mu.
	limit int
}

// NewFDTable returns an empty table with the given RLIMIT_NOFILE.
func NewFDTable(limit int) *FDTable {
	t := &FDTable{}
	t.SetLimit(limit)
	return t
}

// SetLimit changes RLIMIT_NOFILE. Descriptors already above it stay.
func (t *FDTable) SetLimit(limit int) {
	if limit > MaxFDs || limit < 0 {
		limit = MaxFDs
	}
	t.mu.Lock()
	t.limit = limit
	t.mu.Unlock()
}

// Limit returns RLIMIT_NOFILE.
func (t *FDTable) Limit() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limit
}

// New maps the lowest free descriptor to f and returns it (open, dup,
// pipe). The table takes its own reference on f. It fails with EMFILE
// when every descriptor below the limit is in use.
func (t *FDTable) New(f *FileDescription, cloexec bool) (int, error) {
	return t.NewFrom(0, f, cloexec)
}

// NewFrom is New for the lowest free descriptor at or above min
// (F_DUPFD, F_DUPFD_CLOEXEC); min at or above the limit is EINVAL.
func (t *FDTable) NewFrom(min int, f *FileDescription, cloexec bool) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if min < 0 || min >= t.limit {
		return -1, unix.EINVAL
	}
	fd := min
	for fd < len(t.slots) && t.slots[fd].file != nil {
		fd++
	}
	if fd >= t.limit {
		return -1, unix.EMFILE
	}
	t.set(fd, f, cloexec)
	return fd, nil
}

// set maps fd to f, taking a reference, and returns the previous
// description.
//
// Preconditions: t.mu is held; fd < t.limit or fd < MaxFDs.
func (t *FDTable) set(fd int, f *FileDescription, cloexec bool) *FileDescription {
	for fd >= len(t.slots) {
		t.slots = append(t.slots, fdSlot{})
	}
	old := t.slots[fd].file
	f.IncRef()
	t.slots[fd] = fdSlot{file: f, cloexec: cloexec}
	return old
}

// NewAt maps fd to f, as dup2 and dup3 do, and returns the description fd
// mapped before (nil if none); the caller must DecRef it, which is the
// implicit close. fd at or above the limit is EBADF. dup2(fd, fd) is the
// caller's to special-case (it only checks that fd is open).
func (t *FDTable) NewAt(fd int, f *FileDescription, cloexec bool) (*FileDescription, error) {
	t.mu.Lock()
	if fd < 0 || fd >= t.limit {
		t.mu.Unlock()
		return nil, unix.EBADF
	}
	old := t.set(fd, f, cloexec)
	t.mu.Unlock()
	if old != nil {
		old.ReleasePOSIXLocks(t) // the implicit close
	}
	return old, nil
}

// Get returns the description fd maps, with a new reference the caller
// must DecRef, and its close-on-exec flag; EBADF if fd is not open.
func (t *FDTable) Get(fd int) (*FileDescription, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.slots) || t.slots[fd].file == nil {
		return nil, false, unix.EBADF
	}
	s := t.slots[fd]
	s.file.IncRef()
	return s.file, s.cloexec, nil
}

// SetCloseOnExec sets fd's close-on-exec flag (F_SETFD).
func (t *FDTable) SetCloseOnExec(fd int, cloexec bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.slots) || t.slots[fd].file == nil {
		return unix.EBADF
	}
	t.slots[fd].cloexec = cloexec
	return nil
}

// Remove unmaps fd (close) and returns its description; the table's
// reference passes to the caller, who must DecRef it.
// Closing any descriptor of a file releases the process's POSIX record
// locks on it (lock.go).
func (t *FDTable) Remove(fd int) (*FileDescription, error) {
	t.mu.Lock()
	if fd < 0 || fd >= len(t.slots) || t.slots[fd].file == nil {
		t.mu.Unlock()
		return nil, unix.EBADF
	}
	f := t.slots[fd].file
	t.slots[fd] = fdSlot{}
	t.mu.Unlock()
	f.ReleasePOSIXLocks(t)
	return f, nil
}

// CloseOnExec closes every descriptor marked close-on-exec (execve).
func (t *FDTable) CloseOnExec() {
	t.removeIf(func(s fdSlot) bool { return s.cloexec })
}

// RemoveAll closes every descriptor (process exit).
func (t *FDTable) RemoveAll() {
	t.removeIf(func(fdSlot) bool { return true })
}

func (t *FDTable) removeIf(pred func(fdSlot) bool) {
	var dead []*FileDescription
	t.mu.Lock()
	for i, s := range t.slots {
		if s.file != nil && pred(s) {
			dead = append(dead, s.file)
			t.slots[i] = fdSlot{}
		}
	}
	t.mu.Unlock()
	for _, f := range dead {
		f.ReleasePOSIXLocks(t)
		f.DecRef()
	}
}

// Fork returns a copy of t sharing its descriptions (fork without
// CLONE_FILES).
func (t *FDTable) Fork() *FDTable {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := &FDTable{limit: t.limit, slots: make([]fdSlot, len(t.slots))}
	for i, s := range t.slots {
		if s.file != nil {
			s.file.IncRef()
			n.slots[i] = s
		}
	}
	return n
}

// FDs returns the open descriptors in increasing order (/proc/self/fd).
func (t *FDTable) FDs() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var fds []int
	for i, s := range t.slots {
		if s.file != nil {
			fds = append(fds, i)
		}
	}
	return fds
}
