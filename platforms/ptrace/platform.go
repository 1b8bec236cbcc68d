//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"golang.org/x/sys/unix"
)

func init() {
	registry.Register(registry.Factory{
		Kind:    registry.KindPlatform,
		Name:    "ptrace",
		Summary: "runs applications in traced stub processes; PTRACE_SYSEMU stops every system call in Ward",
		Config:  nil,
		New: func(any) (any, error) {
			p, err := New()
			if err != nil {
				return nil, err
			}
			return p, nil
		},
	})
}

// Platform is the ptrace platform.
type Platform struct {
	m *master

	// image is a sealed memfd holding the stub ELF image; xsize and
	// initFP describe the host's FP state (see fpstate.go). Set by New,
	// read-only after.
	image  int
	xsize  int
	initFP []byte

	// mu guards spaces and closed. See the package comment for the lock
	// order.
	mu     sync.Mutex
	spaces map[*addressSpace]struct{}
	closed bool
}

var _ platform.Platform = (*Platform)(nil)

// New starts the platform: its master goroutine, the stub image, and one
// probe stub that proves ptrace works here and tells the host's FP state
// size. If ptrace is not available, the error says so.
func New() (*Platform, error) {
	p := &Platform{m: newMaster(), image: -1, spaces: make(map[*addressSpace]struct{})}
	err := p.m.do(func() error {
		fd, err := newStubImage()
		if err != nil {
			return err
		}
		p.image = fd
		s, err := startStub(fd)
		if err != nil {
			return err
		}
		defer s.kill()
		buf := make([]byte, 64<<10)
		n, err := ptraceGetXstate(s.pid, buf)
		if err != nil {
			return fmt.Errorf("ptrace: PTRACE_GETREGSET(NT_X86_XSTATE): %w", err)
		}
		if n < fxsaveSize+xsaveHeaderSize {
			return fmt.Errorf("ptrace: host XSAVE area is %d bytes, want at least %d", n, fxsaveSize+xsaveHeaderSize)
		}
		p.xsize = n
		p.initFP = append([]byte(nil), buf[:n]...)
		return nil
	})
	if err != nil {
		p.shutdown()
		return nil, fmt.Errorf("ptrace platform unavailable: %w%s", err, ptraceHint())
	}
	return p, nil
}

// ptraceHint explains the usual reasons for ptrace to be unavailable.
func ptraceHint() string {
	var hints []string
	if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		if s := strings.TrimSpace(string(b)); s == "3" || s == "2" {
			hints = append(hints, "kernel.yama.ptrace_scope is "+s)
		}
	}
	hints = append(hints, "a seccomp policy (e.g. a container runtime's default profile) may forbid ptrace")
	return " (" + strings.Join(hints, "; ") + ")"
}

// newStubImage writes the stub ELF into a sealed memfd.
func newStubImage() (int, error) {
	const name = "ward-ptrace-stub"
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate(name, flags|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate(name, flags) // kernels before 6.3
	}
	if err != nil {
		return -1, fmt.Errorf("ptrace: memfd for the stub image: %w", err)
	}
	img := stubImage()
	if n, err := unix.Write(fd, img); err != nil || n != len(img) {
		unix.Close(fd)
		return -1, fmt.Errorf("ptrace: writing the stub image: %d bytes, %v", n, err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("ptrace: sealing the stub image: %w", err)
	}
	return fd, nil
}

// NewAddressSpace implements platform.Platform.NewAddressSpace.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	a := &addressSpace{p: p, fds: make(map[int]stubFD)}
	err := p.m.do(func() error {
		s, err := startStub(p.image)
		if err != nil {
			return err
		}
		a.stub = s
		// Registered here, on the master, so that a concurrent Close
		// either sees the address space or is seen by it.
		p.mu.Lock()
		closed := p.closed
		if !closed {
			p.spaces[a] = struct{}{}
		}
		p.mu.Unlock()
		if closed {
			a.release()
			return errClosed
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (p *Platform) forget(a *addressSpace) {
	p.mu.Lock()
	delete(p.spaces, a)
	p.mu.Unlock()
}

// NewContext implements platform.Platform.NewContext.
func (p *Platform) NewContext() (platform.Context, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	return &context{p: p, threads: make(map[threadKey]*thread)}, nil
}

// MinUserAddress implements platform.Platform.MinUserAddress.
func (p *Platform) MinUserAddress() uintptr { return minUserAddress }

// MaxUserAddress implements platform.Platform.MaxUserAddress: the stub's
// pages begin there.
func (p *Platform) MaxUserAddress() uintptr { return stubStart }

// Close implements platform.Platform.Close: every address space still alive
// is released (its stub killed and reaped), then the master exits.
func (p *Platform) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	spaces := p.spaces
	p.spaces = nil
	p.mu.Unlock()

	var errs []error
	for a := range spaces {
		if err := p.m.do(a.release); err != nil && !errors.Is(err, errClosed) {
			errs = append(errs, err)
		}
	}
	p.shutdown()
	return errors.Join(errs...)
}

// shutdown stops the master and closes the image.
func (p *Platform) shutdown() {
	_ = p.m.do(func() error {
		if p.image >= 0 {
			unix.Close(p.image)
			p.image = -1
		}
		return nil
	})
	p.m.stop()
}
