package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// getdents(2), the old form: struct linux_dirent { unsigned long d_ino;
// unsigned long d_off; unsigned short d_reclen; char d_name[]; } with the
// type in the record's last byte.

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysGetdents, sysGetdents, argInt, argFD, argPtr, argInt)
	})
}

func sysGetdents(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	size := int(uint32(a[2]))
	if size > ioChunk {
		size = ioChunk
	}
	buf := make([]byte, 0, size)
	tooSmall := false
	err = f.IterDirents(func(d vfs.Dirent) bool {
		// 8 + 8 + 2 + name + NUL + type, aligned to 8.
		reclen := (8 + 8 + 2 + len(d.Name) + 2 + 7) &^ 7
		if len(buf)+reclen > size {
			tooSmall = len(buf) == 0
			return false
		}
		rec := make([]byte, reclen)
		le.PutUint64(rec[0:], d.Ino)
		le.PutUint64(rec[8:], uint64(d.Next))
		le.PutUint16(rec[16:], uint16(reclen))
		copy(rec[18:], d.Name)
		rec[reclen-1] = d.Type
		buf = append(buf, rec...)
		return true
	})
	if len(buf) == 0 {
		if err != nil {
			return 0, err
		}
		if tooSmall {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	if _, err := t.MM().CopyOut(a[1], buf); err != nil {
		return 0, err
	}
	return uintptr(len(buf)), nil
}
