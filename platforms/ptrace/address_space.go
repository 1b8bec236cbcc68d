//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// errReleased is returned for an address space that has been released.
var errReleased = errors.New("ptrace: address space released")

// addressSpace is a platform.AddressSpace: one stub process.
type addressSpace struct {
	p *Platform

	// stub and fds are owned by the master goroutine: only functions run
	// by master.do touch them.
	stub *stub
	fds  map[int]stubFD // by Ward's descriptor number

	// released is set (on the master) when the stub is being destroyed;
	// it is read anywhere.
	released atomic.Bool
}

var _ platform.AddressSpace = (*addressSpace)(nil)

// checkRange validates a page-aligned, non-empty range inside the
// application's part of the address space.
func checkRange(addr, length uintptr) error {
	switch {
	case addr%pageSize != 0 || length%pageSize != 0:
		return fmt.Errorf("ptrace: range [%#x, +%#x) is not page-aligned", addr, length)
	case length == 0:
		return fmt.Errorf("ptrace: empty range at %#x", addr)
	case addr < minUserAddress || addr > stubStart || length > stubStart-addr:
		return fmt.Errorf("ptrace: range [%#x, +%#x) is outside the user range [%#x, %#x)", addr, length, minUserAddress, stubStart)
	}
	return nil
}

// MapFile implements platform.AddressSpace.MapFile.
func (a *addressSpace) MapFile(addr uintptr, fd int, offset int64, length uintptr, prot platform.Prot) error {
	if err := checkRange(addr, length); err != nil {
		return err
	}
	if offset < 0 || offset%pageSize != 0 {
		return fmt.Errorf("ptrace: file offset %#x is not a page-aligned non-negative offset", offset)
	}
	if prot&^(platform.ProtRead|platform.ProtWrite|platform.ProtExec) != 0 {
		return fmt.Errorf("ptrace: invalid protection %#x", prot)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("ptrace: MapFile of fd %d: %w", fd, err)
	}
	return a.p.m.do(func() error {
		if a.released.Load() {
			return errReleased
		}
		sfd, err := a.stubFD(fd, uint64(st.Dev), st.Ino)
		if err != nil {
			return err
		}
		got, err := a.stub.syscall(unix.SYS_MMAP, addr, length, uintptr(prot), unix.MAP_SHARED|unix.MAP_FIXED, uintptr(sfd), uintptr(offset))
		if err != nil {
			return fmt.Errorf("ptrace: stub %d: mmap(%#x, %#x, %#x, fd %d (Ward's %d), %#x): %w", a.stub.pid, addr, length, prot, sfd, fd, offset, err)
		}
		if got != addr {
			return fmt.Errorf("ptrace: stub %d: MAP_FIXED mmap at %#x returned %#x", a.stub.pid, addr, got)
		}
		return nil
	})
}

// stubFD returns the stub's descriptor for Ward's fd, installing it if it is
// not installed yet or if fd now names another file.
//
// Preconditions: on the master goroutine.
func (a *addressSpace) stubFD(fd int, dev, ino uint64) (int, error) {
	if c, ok := a.fds[fd]; ok {
		if c.dev == dev && c.ino == ino {
			return c.fd, nil
		}
		delete(a.fds, fd)
		if err := a.stub.closeFD(c.fd); err != nil {
			return -1, err
		}
	}
	sfd, err := a.stub.installFD(fd)
	if err != nil {
		// The socket may hold a message the stub never received; the
		// stub cannot be trusted with another descriptor.
		a.stub.reap()
		a.released.Store(true)
		return -1, fmt.Errorf("%w (the address space is now unusable)", err)
	}
	a.fds[fd] = stubFD{dev: dev, ino: ino, fd: sfd}
	return sfd, nil
}

// Unmap implements platform.AddressSpace.Unmap.
func (a *addressSpace) Unmap(addr, length uintptr) error {
	if err := checkRange(addr, length); err != nil {
		return err
	}
	return a.p.m.do(func() error {
		if a.released.Load() {
			return errReleased
		}
		if _, err := a.stub.syscall(unix.SYS_MUNMAP, addr, length); err != nil {
			return fmt.Errorf("ptrace: stub %d: munmap(%#x, %#x): %w", a.stub.pid, addr, length, err)
		}
		return nil
	})
}

// Release implements platform.AddressSpace.Release. It kills the stub and
// reaps all its threads, including those traced by task goroutines.
func (a *addressSpace) Release() {
	a.p.forget(a)
	// If the platform is closed, Close has released the stub already.
	_ = a.p.m.do(func() error { return a.release() })
}

// release destroys the stub.
//
// Preconditions: on the master goroutine.
func (a *addressSpace) release() error {
	if a.released.Swap(true) && a.stub.dead {
		return nil
	}
	return a.stub.reap()
}

// cloneThread makes a new thread in the stub, idle in pause(2) and not
// traced, and returns its id. The caller's OS thread must then seize it.
func (a *addressSpace) cloneThread() (int32, error) {
	const flags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
		unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_UNTRACED
	var tid int32
	err := a.p.m.do(func() error {
		if a.released.Load() {
			return errReleased
		}
		// The child gets the leader's stack pointer (newsp 0); the idle
		// loop uses no stack.
		r, err := a.stub.syscallAt(cloneSlot, cloneTrap, unix.SYS_CLONE, flags, 0, 0, 0, 0)
		if err != nil {
			return fmt.Errorf("ptrace: stub %d: injected clone: %w", a.stub.pid, err)
		}
		tid = int32(r)
		a.stub.addThread(tid)
		return nil
	})
	return tid, err
}
