package syscalls

import (
	"encoding/binary"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"golang.org/x/sys/unix"
)

// Limits on what the kernel copies from the application.
const (
	maxPathLen   = unix.PathMax
	maxArgStrLen = 128 << 10 // MAX_ARG_STRLEN
	maxArgs      = 1 << 16
	maxArgBytes  = 2 << 20
)

// copyOut writes m to addr.
func copyOut(t *kernel.Task, addr uintptr, m linux.Marshaler) error {
	_, err := t.MM().CopyOut(addr, linux.Marshal(m))
	return err
}

// copyIn reads m from addr.
func copyIn(t *kernel.Task, addr uintptr, m linux.Unmarshaler) error {
	buf := make([]byte, m.SizeBytes())
	if _, err := t.MM().CopyIn(addr, buf); err != nil {
		return err
	}
	m.UnmarshalBytes(buf)
	return nil
}

func copyOutUint32(t *kernel.Task, addr uintptr, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	_, err := t.MM().CopyOut(addr, b[:])
	return err
}

func copyOutUint64(t *kernel.Task, addr uintptr, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	_, err := t.MM().CopyOut(addr, b[:])
	return err
}

func copyInUint64(t *kernel.Task, addr uintptr) (uint64, error) {
	var b [8]byte
	if _, err := t.MM().CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// copyInPath reads a path argument: EFAULT, ENAMETOOLONG or ENOENT for an
// empty path as Linux does.
func copyInPath(t *kernel.Task, addr uintptr, allowEmpty bool) (string, error) {
	s, err := t.MM().CopyInString(addr, maxPathLen)
	if err != nil {
		return "", err
	}
	if s == "" && !allowEmpty {
		return "", unix.ENOENT
	}
	return s, nil
}

// copyInStrv reads a NULL-terminated array of string pointers (argv).
func copyInStrv(t *kernel.Task, addr uintptr, maxCount, maxLen int) ([]string, error) {
	var out []string
	if addr == 0 {
		return nil, nil
	}
	total := 0
	for i := 0; ; i++ {
		if i >= maxCount {
			return nil, unix.E2BIG
		}
		p, err := copyInUint64(t, addr+uintptr(i*8))
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := t.MM().CopyInString(uintptr(p), maxLen)
		if err == unix.ENAMETOOLONG {
			return nil, unix.E2BIG
		}
		if err != nil {
			return nil, err
		}
		total += len(s) + 1
		if total > maxArgBytes {
			return nil, unix.E2BIG
		}
		out = append(out, s)
	}
}

var le = binary.LittleEndian
