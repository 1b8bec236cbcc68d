package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// flock(2) and fcntl(2)'s record locks (F_GETLK, F_SETLK, F_SETLKW and
// the F_OFD_ forms); the lock table is core/vfs's (lock.go).

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysFlock, sysFlock, argInt, argFD, argHex)
	})
}

func sysFlock(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := rwFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	op := int(a[1])
	if op&lockMand != 0 {
		return 0, nil // Linux ignores the removed LOCK_MAND locks
	}
	return 0, f.Flock(t, op)
}

// lockMand is flock's LOCK_MAND, no longer implemented by Linux.
const lockMand = 32

// sizeofFlock is sizeof(struct flock) on x86-64: l_type and l_whence
// (int16), l_start and l_len (int64, the first at offset 8), l_pid (int32
// at 24), padded to 32.
const sizeofFlock = 32

// fcntlLock serves fcntl's record-lock commands.
func fcntlLock(t *kernel.Task, fd int32, cmd int, addr uintptr) (uintptr, error) {
	f, err := rwFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var b [sizeofFlock]byte
	if _, err := t.MM().CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	typ, whence := int16(le.Uint16(b[0:])), int16(le.Uint16(b[2:]))
	start, length, pid := int64(le.Uint64(b[8:])), int64(le.Uint64(b[16:])), int32(le.Uint32(b[24:]))
	ofd := cmd == unix.F_OFD_GETLK || cmd == unix.F_OFD_SETLK || cmd == unix.F_OFD_SETLKW
	if ofd && pid != 0 {
		return 0, unix.EINVAL // l_pid must be 0 for OFD locks
	}
	abs, err := f.ResolveWhence(whence, start)
	if err != nil {
		return 0, err
	}
	var owner any = files(t)
	if ofd {
		owner = f
	}
	l := vfs.RecordLock{Type: typ, Start: abs, Len: length, PID: t.PID()}
	switch cmd {
	case unix.F_GETLK, unix.F_OFD_GETLK:
		got, err := f.GetRecordLock(owner, l)
		if err != nil {
			return 0, err
		}
		le.PutUint16(b[0:], uint16(got.Type))
		if got.Type != vfs.UnlockLock {
			le.PutUint16(b[2:], unix.SEEK_SET)
			le.PutUint64(b[8:], uint64(got.Start))
			le.PutUint64(b[16:], uint64(got.Len))
			le.PutUint32(b[24:], uint32(got.PID))
		}
		if _, err := t.MM().CopyOut(addr, b[:]); err != nil {
			return 0, err
		}
		return 0, nil
	case unix.F_SETLK, unix.F_OFD_SETLK:
		return 0, f.SetRecordLock(t, owner, l, false)
	default: // F_SETLKW, F_OFD_SETLKW
		return 0, f.SetRecordLock(t, owner, l, true)
	}
}
