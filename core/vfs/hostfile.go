package vfs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Terminal ioctls forwarded to a host terminal.
const (
	TCGETS     = unix.TCGETS
	TCSETS     = unix.TCSETS
	TCSETSW    = unix.TCSETSW
	TCSETSF    = unix.TCSETSF
	TIOCGWINSZ = unix.TIOCGWINSZ
	TIOCSWINSZ = unix.TIOCSWINSZ
	TIOCGPGRP  = unix.TIOCGPGRP
	TIOCSPGRP  = unix.TIOCSPGRP
	TIOCSCTTY  = unix.TIOCSCTTY
	FIONREAD   = 0x541b // TIOCINQ
	FIONBIO    = 0x5421
)

// sizeofTermios is sizeof(struct termios) of the kernel ABI (not glibc's).
const sizeofTermios = 36

// JobControl answers the terminal's foreground process group questions
// (TIOCGPGRP, TIOCSPGRP) with the sandbox's own process groups: the host's
// process groups mean nothing inside. The kernel installs it with
// SetJobControl; until then TIOCGPGRP and TIOCSPGRP fail with ENOTTY.
type JobControl interface {
	// ForegroundPgrp returns the sandbox's foreground process group.
	ForegroundPgrp() (int32, error)

	// SetForegroundPgrp makes pgid the foreground process group, or
	// returns the errno tcsetpgrp(3) would (EPERM, ESRCH).
	SetForegroundPgrp(pgid int32) error

	// Session is the session whose controlling terminal the host
	// terminal is: the init process's.
	Session() int32
}

// TerminalUser is what a terminal needs from the task that reads or writes
// it (the Blocker passed to Read and Write, a core/kernel Task) for job
// control: its session, and the kernel's decision about a process in a
// background group (Task.TerminalAccess: nil, EIO, or an error that
// restarts the call after SIGTTIN/SIGTTOU stopped its job).
type TerminalUser interface {
	SessionID() int32
	ProcessGroupID() int32
	TerminalAccess(fg int32, sig int) error
}

// hostJobControl applies job control to a read (SIGTTIN), or a write or
// settings change (SIGTTOU), of the host terminal f by the task b, if the
// terminal is its controlling terminal and b is not in the foreground. A
// write is checked only if TOSTOP is set (onlyTostop), which is asked of
// the host only then: foreground output costs no extra host call.
func (f *hostFile) hostJobControl(b Blocker, sig unix.Signal, onlyTostop bool) error {
	jc := jobControl.Load()
	tu, ok := b.(TerminalUser)
	if jc == nil || *jc == nil || !ok || tu.SessionID() != (*jc).Session() {
		return nil
	}
	fg, err := (*jc).ForegroundPgrp()
	if err != nil || fg <= 0 || tu.ProcessGroupID() == fg || (onlyTostop && !f.tostop()) {
		return nil
	}
	return tu.TerminalAccess(fg, int(sig))
}

var jobControl atomic.Pointer[JobControl]

// SetJobControl installs the hook every host terminal uses for TIOCGPGRP
// and TIOCSPGRP. There is one sandbox per Ward process, so the hook is
// process-wide.
func SetJobControl(jc JobControl) { jobControl.Store(&jc) }

// HostFileOptions configures ImportHostFD.
type HostFileOptions struct {
	// Flags are the status flags of the description: the access mode
	// and O_NONBLOCK. The host fd's own flags are left alone: Ward never
	// sets O_NONBLOCK on a descriptor it shares with its parent.
	Flags int
}

// hostPollInterval bounds how long a blocked read or write on a host file
// takes to notice its Blocker.
const hostPollInterval = 50 // milliseconds

// ImportHostFD returns a description of the host file descriptor hostFD
// (Ward's own stdin, stdout, stderr). The description owns a duplicate of
// hostFD, closed on release; hostFD itself stays the caller's.
//
// Reads and writes go to the host fd; a blocking read waits in poll(2) and
// follows the Blocker contract. Terminal ioctls (TCGETS, TCSETS, TCSETSW,
// TCSETSF, TIOCGWINSZ, TIOCSWINSZ) are forwarded to the host terminal;
// TIOCGPGRP and TIOCSPGRP go to the JobControl hook; FIONREAD works on any
// host fd; anything else, and terminal ioctls on a non-terminal, is ENOTTY.
func ImportHostFD(hostFD int, opts HostFileOptions) (*FileDescription, error) {
	dup, err := unix.FcntlInt(uintptr(hostFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("vfs: duplicating host fd %d: %w", hostFD, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(dup, &st); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("vfs: fstat of host fd %d: %w", hostFD, err)
	}
	_, terr := unix.IoctlGetTermios(dup, unix.TCGETS)
	f := &hostFile{fd: dup, tty: terr == nil, stat: st}
	typ := st.Mode & unix.S_IFMT
	stream := typ != unix.S_IFREG && typ != unix.S_IFBLK
	return NewDescription(f, DescriptionOptions{Flags: opts.Flags, Stream: stream}), nil
}

// NewHostFile returns a FileImpl for a duplicate of the host file
// descriptor hostFD, for filesystems that expose a host file (fs/dev's
// tty). It behaves as ImportHostFD describes; it is a stream unless hostFD
// is a regular file.
func NewHostFile(hostFD int) (FileImpl, error) {
	fd, err := ImportHostFD(hostFD, HostFileOptions{})
	if err != nil {
		return nil, err
	}
	return fd.impl, nil
}

// OffsetOwner is implemented by a FileImpl whose file offset is kept
// outside its description. An imported host descriptor is one: Ward's
// stdout redirected to a file shares its offset with the shell that
// started Ward, so the sandbox's writes must land at that offset and move
// it, as an inherited descriptor's would, instead of starting again at 0.
// The description's Read, Write and Seek go to these methods; ReadAt and
// WriteAt still use Read and Write with an explicit offset.
type OffsetOwner interface {
	// ReadCurrent reads at the owned offset and advances it.
	ReadCurrent(b Blocker, dst []byte) (int, error)

	// WriteCurrent writes at the owned offset (or appends, if the
	// owner's description says so) and advances it.
	WriteCurrent(b Blocker, src []byte) (int, error)

	// SeekCurrent sets the owned offset, as lseek(2).
	SeekCurrent(offset int64, whence int) (int64, error)
}

// ReadCurrent implements OffsetOwner for a regular host file.
func (f *hostFile) ReadCurrent(_ Blocker, dst []byte) (int, error) {
	n, err := unix.Read(f.fd, dst)
	if n < 0 {
		n = 0
	}
	return n, err
}

// WriteCurrent implements OffsetOwner: write(2) on the shared host
// description, whose O_APPEND (set by a shell's >>) the host honours.
func (f *hostFile) WriteCurrent(_ Blocker, src []byte) (int, error) {
	done := 0
	for done < len(src) {
		n, err := unix.Write(f.fd, src[done:])
		if n > 0 {
			done += n
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if n == 0 {
			break
		}
	}
	return done, nil
}

// SeekCurrent implements OffsetOwner.
func (f *hostFile) SeekCurrent(offset int64, whence int) (int64, error) {
	return unix.Seek(f.fd, offset, whence)
}

// Stream reports whether the host file has no offset.
func (f *hostFile) Stream() bool {
	typ := f.stat.Mode & unix.S_IFMT
	return typ != unix.S_IFREG && typ != unix.S_IFBLK
}

// hostFile is the FileImpl of an imported host fd.
type hostFile struct {
	fd      int         // immutable; closed by Release
	tty     bool        // immutable
	stat    unix.Stat_t // at import; immutable
	q       Queue       // waiters for readiness
	pollMu  sync.Mutex  // serialises the poller goroutine's start
	polling bool        // protected by pollMu
}

// IsTerminal reports whether the imported fd is a terminal.
func IsTerminal(fd *FileDescription) bool {
	h, ok := fd.impl.(*hostFile)
	return ok && h.tty
}

// wait polls the host fd for events, waking every hostPollInterval to check
// b. It returns nil when an event (or an error condition) is ready.
func (f *hostFile) wait(b Blocker, events int16) error {
	timeout := hostPollInterval
	if b == NonBlocking {
		timeout = 0
	}
	for {
		fds := []unix.PollFd{{Fd: int32(f.fd), Events: events}}
		n, err := unix.Poll(fds, timeout)
		if err != nil && err != unix.EINTR {
			return err
		}
		if n > 0 {
			return nil
		}
		if b == NonBlocking {
			return unix.EAGAIN
		}
		if b != nil {
			select {
			case <-b.Interrupted():
				return ErrInterrupted
			default:
			}
		}
	}
}

// Read implements FileImpl.Read.
func (f *hostFile) Read(b Blocker, dst []byte, off int64) (int, error) {
	if f.stat.Mode&unix.S_IFMT == unix.S_IFREG {
		return unix.Pread(f.fd, dst, off)
	}
	if f.tty {
		if err := f.hostJobControl(b, unix.SIGTTIN, false); err != nil {
			return 0, err
		}
	}
	for {
		if err := f.wait(b, unix.POLLIN); err != nil {
			return 0, err
		}
		n, err := unix.Read(f.fd, dst)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err == unix.EIO && f.tty {
			return 0, nil // the terminal hung up
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// tostop reports whether the host terminal has TOSTOP set: background
// writes stop their job.
func (f *hostFile) tostop() bool {
	t, err := unix.IoctlGetTermios(f.fd, unix.TCGETS)
	return err == nil && t.Lflag&unix.TOSTOP != 0
}

// Write implements FileImpl.Write.
func (f *hostFile) Write(b Blocker, src []byte, off int64) (int, error) {
	if f.stat.Mode&unix.S_IFMT == unix.S_IFREG && off >= 0 {
		return unix.Pwrite(f.fd, src, off)
	}
	if f.tty {
		if err := f.hostJobControl(b, unix.SIGTTOU, true); err != nil {
			return 0, err
		}
	}
	done := 0
	for done < len(src) {
		if err := f.wait(b, unix.POLLOUT); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		n, err := unix.Write(f.fd, src[done:])
		if n > 0 {
			done += n
		}
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}

// Stat implements FileImpl.Stat.
func (f *hostFile) Stat() (Stat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return Stat{}, err
	}
	return Stat{
		Dev: st.Dev, Ino: st.Ino, Nlink: st.Nlink, Mode: st.Mode, UID: st.Uid, GID: st.Gid,
		Rdev: st.Rdev, Size: st.Size, Blksize: st.Blksize, Blocks: st.Blocks,
		Atime: Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtime: Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctime: Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}, nil
}

// Release implements FileImpl.Release.
func (f *hostFile) Release() { unix.Close(f.fd) }

// Sync implements Syncer.
func (f *hostFile) Sync() error {
	if err := unix.Fsync(f.fd); err != nil && err != unix.EINVAL && err != unix.EROFS {
		return err
	}
	return nil
}

// Readiness implements Waitable.
func (f *hostFile) Readiness(mask uint32) uint32 {
	fds := []unix.PollFd{{Fd: int32(f.fd), Events: int16(mask)}}
	if n, err := unix.Poll(fds, 0); err != nil || n == 0 {
		return 0
	}
	return uint32(uint16(fds[0].Revents)) & (mask | EventErr | EventHup)
}

// EventRegister implements Waitable. While anyone waits, a goroutine polls
// the host fd and notifies the queue of the events it sees.
func (f *hostFile) EventRegister(e *Entry) {
	f.q.Register(e)
	f.pollMu.Lock()
	defer f.pollMu.Unlock()
	if !f.polling {
		f.polling = true
		go f.poller()
	}
}

// EventUnregister implements Waitable.
func (f *hostFile) EventUnregister(e *Entry) { f.q.Unregister(e) }

// poller notifies the queue of host readiness until nobody waits.
func (f *hostFile) poller() {
	for {
		f.pollMu.Lock()
		if f.q.Len() == 0 {
			f.polling = false
			f.pollMu.Unlock()
			return
		}
		f.pollMu.Unlock()
		fds := []unix.PollFd{{Fd: int32(f.fd), Events: int16(EventIn | EventOut | EventPri)}}
		n, err := unix.Poll(fds, hostPollInterval)
		if err == nil && n > 0 {
			f.q.Notify(uint32(uint16(fds[0].Revents)))
			if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 || fds[0].Revents&unix.POLLOUT != 0 {
				// Level-triggered conditions would spin: pace them.
				unix.Poll(nil, hostPollInterval)
			}
		}
	}
}

// Ioctl implements Ioctler.
func (f *hostFile) Ioctl(b Blocker, mem UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case TCSETS, TCSETSW, TCSETSF, TIOCSPGRP:
		// A background job that changes the terminal's settings stops
		// (SIGTTOU), as for a write under TOSTOP.
		if f.tty {
			if err := f.hostJobControl(b, unix.SIGTTOU, false); err != nil {
				return 0, err
			}
		}
	}
	switch cmd {
	case FIONREAD:
		n, err := unix.IoctlGetInt(f.fd, FIONREAD)
		if err != nil {
			return 0, err
		}
		return 0, copyOutUint32(mem, arg, uint32(n))
	case TCGETS, TIOCGWINSZ:
		if !f.tty {
			return 0, unix.ENOTTY
		}
		size := sizeofTermios
		if cmd == TIOCGWINSZ {
			size = int(unsafe.Sizeof(unix.Winsize{}))
		}
		buf := make([]byte, 64)
		if err := hostIoctl(f.fd, cmd, buf); err != nil {
			return 0, err
		}
		_, err := mem.CopyOut(arg, buf[:size])
		return 0, err
	case TCSETS, TCSETSW, TCSETSF, TIOCSWINSZ:
		if !f.tty {
			return 0, unix.ENOTTY
		}
		size := sizeofTermios
		if cmd == TIOCSWINSZ {
			size = int(unsafe.Sizeof(unix.Winsize{}))
		}
		buf := make([]byte, 64)
		if _, err := mem.CopyIn(arg, buf[:size]); err != nil {
			return 0, err
		}
		return 0, hostIoctl(f.fd, cmd, buf)
	case TIOCGPGRP, TIOCSPGRP:
		jc := jobControl.Load()
		if !f.tty || jc == nil || *jc == nil {
			return 0, unix.ENOTTY
		}
		if cmd == TIOCGPGRP {
			pg, err := (*jc).ForegroundPgrp()
			if err != nil {
				return 0, err
			}
			return 0, copyOutUint32(mem, arg, uint32(pg))
		}
		var b [4]byte
		if _, err := mem.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		return 0, (*jc).SetForegroundPgrp(int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))
	case TIOCSCTTY:
		if !f.tty {
			return 0, unix.ENOTTY
		}
		return 0, nil // the sandbox's terminal is already its controlling one
	}
	return 0, unix.ENOTTY
}

// hostIoctl issues an ioctl with a buffer argument on a host fd.
func hostIoctl(fd int, cmd uint32, buf []byte) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(cmd), uintptr(unsafe.Pointer(&buf[0])))
	if e != 0 {
		return e
	}
	return nil
}

func copyOutUint32(mem UserMemory, addr uintptr, v uint32) error {
	b := [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	_, err := mem.CopyOut(addr, b[:])
	return err
}
