//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

	// poolSize is how many ready stubs the pool keeps. Set by New.
	poolSize int

	// mu guards spaces, closed, pool, refilling and reapErrs. See the
	// package comment for the lock order.
	mu     sync.Mutex
	spaces map[*addressSpace]struct{}
	closed bool

	// pool holds stubs started and set up ahead of time (see pool.go);
	// refilling is set while a goroutine refills it.
	pool      []*stub
	refilling bool

	// hot is the first file ever installed in a stub (the kernel's
	// memory file, in practice) and hotFD Ward's own duplicate of it, or
	// -1: the pool installs it in every stub it starts, so that the first
	// Switch into a new address space need not. Protected by mu.
	hot   fileKey
	hotFD int

	// stable is the descriptor declared with DeclareStableFile, or nil.
	stable atomic.Pointer[stableFile]

	// template is the stub the pool forks new stubs from (stub_fork.go),
	// or nil. Owned by the master goroutine.
	template *stub

	// refills counts refilling goroutines, reapers the goroutines that
	// reap released stubs; Close waits for both. reapErrs collects the
	// reapers' failures for Close.
	refills  sync.WaitGroup
	reapers  sync.WaitGroup
	reapErrs []error
}

var _ platform.Platform = (*Platform)(nil)

// New starts the platform: its master goroutine, the stub image, and one
// probe stub that proves ptrace works here and tells the host's FP state
// size. If ptrace is not available, the error says so.
func New() (*Platform, error) {
	p := &Platform{m: newMaster(), image: -1, hotFD: -1, poolSize: defaultPoolSize, spaces: make(map[*addressSpace]struct{})}
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
		defer func() {
			// The probe becomes the template, if it can.
			if p.template == nil {
				s.kill()
			}
		}()
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
		if newTemplate(s) == nil {
			p.template = s
		}
		return nil
	})
	if err != nil {
		p.shutdown()
		return nil, fmt.Errorf("ptrace platform unavailable: %w%s", err, ptraceHint())
	}
	p.refill()
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

// NewAddressSpace implements platform.Platform.NewAddressSpace. It takes a
// ready stub from the pool, or starts one if the pool is empty.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	s, err := p.takeStub()
	if err != nil {
		return nil, err
	}
	if s == nil {
		defer stats.poolMisses.add(time.Now())
		err := p.m.do(func() error {
			var err error
			s, err = startStub(p.image)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	a := newAddressSpace(p, s)
	stats.addressSpaces.Add(1)
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.spaces[a] = struct{}{}
	}
	p.mu.Unlock()
	if closed {
		// Close did not see the stub: reap it here.
		a.release()
		return nil, errClosed
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

// MaxUserAddress implements platform.Platform.MaxUserAddress: the host's
// vDSO block (vdso.go) and then the stub's pages are above it.
func (p *Platform) MaxUserAddress() uintptr { return maxUserAddress }

// Close implements platform.Platform.Close: every address space still alive
// and every pooled stub is released, Close waits until every stub has been
// reaped, then the master exits.
func (p *Platform) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	reportStats()
	spaces := p.spaces
	p.spaces = nil
	p.mu.Unlock()

	for a := range spaces {
		a.release()
	}
	// A refill in progress sees closed and reaps what it started.
	p.refills.Wait()
	p.mu.Lock()
	pool := p.pool
	p.pool = nil
	p.mu.Unlock()
	for _, s := range pool {
		p.reap(s)
	}
	p.reapers.Wait()
	_ = p.m.do(func() error {
		p.retireTemplate()
		return nil
	})
	p.mu.Lock()
	if p.hotFD >= 0 {
		unix.Close(p.hotFD)
		p.hotFD = -1
	}
	p.mu.Unlock()
	p.shutdown()
	p.mu.Lock()
	defer p.mu.Unlock()
	return errors.Join(p.reapErrs...)
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
