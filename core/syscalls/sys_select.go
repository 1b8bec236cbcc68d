package syscalls

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysSelect, sysSelect, argInt, argInt, argPtr, argPtr, argPtr, argPtr)
		tb.set(linux.SysPselect6, sysPselect6, argInt, argInt, argPtr, argPtr, argPtr, argPtr, argPtr)
	})
}

// The events each fd_set of select stands for (fs/select.c).
const (
	selectIn  = vfs.EventIn | vfs.EventHup | vfs.EventErr
	selectOut = vfs.EventOut | vfs.EventErr
	selectEx  = vfs.EventPri
)

func sysSelect(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[4] != 0 {
		var tv linux.Timeval
		if err := copyIn(t, a[4], &tv); err != nil {
			return 0, err
		}
		if tv.Sec < 0 || !tv.Valid() {
			return 0, unix.EINVAL
		}
		timeout = tv.ToDuration()
	}
	n, left, err := doSelect(t, int(int32(a[0])), [3]uintptr{a[1], a[2], a[3]}, timeout)
	if a[4] != 0 && (err == nil || err == unix.EINTR) {
		// select reports the time left, as Linux does.
		tv := linux.DurationToTimeval(left)
		if cerr := copyOut(t, a[4], &tv); cerr != nil && err == nil {
			return 0, cerr
		}
	}
	return n, err
}

func sysPselect6(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[4] != 0 {
		var ts linux.Timespec
		if err := copyIn(t, a[4], &ts); err != nil {
			return 0, err
		}
		if ts.Sec < 0 || !ts.Valid() {
			return 0, unix.EINVAL
		}
		timeout = ts.ToDuration()
	}
	// The sixth argument points at { const sigset_t *ss; size_t ss_len; }.
	var maskAddr, maskSize uintptr
	if a[5] != 0 {
		var b [16]byte
		if _, err := t.MM().CopyIn(a[5], b[:]); err != nil {
			return 0, err
		}
		maskAddr, maskSize = uintptr(le.Uint64(b[0:])), uintptr(le.Uint64(b[8:]))
	}
	var left time.Duration
	n, err := withSigmask(t, maskAddr, maskSize, func() (uintptr, error) {
		var n uintptr
		var err error
		n, left, err = doSelect(t, int(int32(a[0])), [3]uintptr{a[1], a[2], a[3]}, timeout)
		return n, err
	})
	if a[4] != 0 && (err == nil || err == unix.EINTR) {
		ts := linux.NsecToTimespec(int64(left))
		if cerr := copyOut(t, a[4], &ts); cerr != nil && err == nil {
			return 0, cerr
		}
	}
	return n, err
}

// doSelect implements select and pselect6 on the three fd_set addresses
// (0 for none): it returns the number of bits set in the result sets and
// the time left of timeout (< 0: for ever).
func doSelect(t *kernel.Task, nfds int, sets [3]uintptr, timeout time.Duration) (uintptr, time.Duration, error) {
	if nfds < 0 {
		return 0, timeout, unix.EINVAL
	}
	if lim := files(t).Limit(); nfds > lim {
		nfds = lim
	}
	words := (nfds + 63) / 64
	var in [3][]uint64
	for i, addr := range sets {
		if addr == 0 || words == 0 {
			continue
		}
		buf := make([]byte, words*8)
		if _, err := t.MM().CopyIn(addr, buf); err != nil {
			return 0, timeout, err
		}
		in[i] = make([]uint64, words)
		for w := range in[i] {
			in[i][w] = le.Uint64(buf[w*8:])
		}
		// Bits at or above nfds are ignored.
		if r := nfds % 64; r != 0 {
			in[i][words-1] &= 1<<uint(r) - 1
		}
	}

	type watched struct {
		fd   int
		file *vfs.FileDescription
		mask [3]bool
	}
	var ws []watched
	defer func() {
		for _, w := range ws {
			w.file.DecRef()
		}
	}()
	for fd := 0; fd < nfds; fd++ {
		var m [3]bool
		any := false
		for i := range in {
			if in[i] != nil && in[i][fd/64]&(1<<uint(fd%64)) != 0 {
				m[i], any = true, true
			}
		}
		if !any {
			continue
		}
		f, err := getFile(t, int32(fd))
		if err != nil {
			return 0, timeout, unix.EBADF
		}
		ws = append(ws, watched{fd: fd, file: f, mask: m})
	}

	var out [3][]uint64
	scan := func() int {
		n := 0
		for i := range out {
			if in[i] != nil {
				out[i] = make([]uint64, words)
			}
		}
		for _, w := range ws {
			r := w.file.Readiness(selectIn | selectOut | selectEx)
			for i, want := range [3]uint32{selectIn, selectOut, selectEx} {
				if w.mask[i] && r&want != 0 {
					out[i][w.fd/64] |= 1 << uint(w.fd%64)
					n++
				}
			}
		}
		return n
	}

	start := time.Now()
	left := func() time.Duration {
		if timeout < 0 {
			return 0
		}
		l := timeout - time.Since(start)
		if l < 0 {
			l = 0
		}
		return l
	}
	var deadline <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	var entry *vfs.Entry
	expired := timeout == 0
	for {
		if entry == nil && !expired {
			entry = vfs.NewEntry(^uint32(0))
			for _, w := range ws {
				w.file.EventRegister(entry)
			}
			defer func() {
				for _, w := range ws {
					w.file.EventUnregister(entry)
				}
			}()
		}
		n := scan()
		if n > 0 || expired {
			for i, addr := range sets {
				if out[i] == nil {
					continue
				}
				buf := make([]byte, words*8)
				for w, v := range out[i] {
					le.PutUint64(buf[w*8:], v)
				}
				if _, err := t.MM().CopyOut(addr, buf); err != nil {
					return 0, left(), err
				}
			}
			if expired {
				return uintptr(n), 0, nil
			}
			return uintptr(n), left(), nil
		}
		if t.CheckInterrupt() {
			return 0, left(), unix.EINTR
		}
		select {
		case <-entry.C:
		case <-deadline:
			expired = true
		case <-t.Interrupted():
		}
	}
}
