//go:build linux && amd64

package ptrace

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// The stub pool.
//
// Starting a stub (fork and exec of the image, then a handful of injected
// system calls to unmap what exec gave it, close descriptors, install the
// seccomp filter) and cloning the thread that will run application code take
// most of a millisecond on the master. fork and exec each need a new address
// space, so the platform keeps defaultPoolSize stubs ready, each with a spare
// idle thread: NewAddressSpace takes one without a hand-off to the master,
// and a refill goroutine has the master start a replacement in the
// background. A pooled stub that died meanwhile (killed from outside) is
// noticed when it is taken, reaped and skipped. Close kills and reaps the
// pool with everything else.
//
// Released stubs are reaped in the background too (reap): the stub is
// killed at once, so it never runs again, and a goroutine collects the
// exits of its threads, which may take a few hundred microseconds.

// defaultPoolSize is how many ready stubs the pool holds.
const defaultPoolSize = 2

// takeStub returns a live pooled stub, or nil if the pool is empty, and
// starts a refill.
func (p *Platform) takeStub() (*stub, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	var s *stub
	var dead []*stub
	for len(p.pool) > 0 && s == nil {
		c := p.pool[0]
		p.pool = p.pool[1:]
		if stubAlive(c) {
			s = c
		} else {
			dead = append(dead, c)
		}
	}
	p.mu.Unlock()
	for _, d := range dead {
		d.reaping.Store(true)
		p.reap(d)
	}
	p.refill()
	return s, nil
}

// refill starts a goroutine that fills the pool up to poolSize, unless one
// is running or the pool is full.
func (p *Platform) refill() {
	p.mu.Lock()
	if p.closed || p.refilling || len(p.pool) >= p.poolSize {
		p.mu.Unlock()
		return
	}
	p.refilling = true
	p.refills.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.refills.Done()
		for {
			var s *stub
			err := p.m.do(func() error {
				var err error
				s, err = p.startPooled()
				return err
			})
			p.mu.Lock()
			if err != nil || p.closed {
				p.refilling = false
				p.mu.Unlock()
				if s != nil {
					s.reaping.Store(true)
					p.reap(s)
				}
				return
			}
			p.pool = append(p.pool, s)
			if len(p.pool) >= p.poolSize {
				p.refilling = false
				p.mu.Unlock()
				return
			}
			p.mu.Unlock()
		}
	}()
}

// startPooled starts a stub with a spare thread.
//
// Preconditions: on the master goroutine.
func (p *Platform) startPooled() (*stub, error) {
	defer stats.stubStarts.add(time.Now())
	s, err := p.newStub()
	if err != nil {
		return nil, err
	}
	tid, err := s.cloneIdle()
	if err != nil {
		s.kill()
		return nil, err
	}
	s.spare.Store(tid)
	p.mu.Lock()
	key, hot := p.hot, p.hotFD
	p.mu.Unlock()
	if hot >= 0 {
		sfd, err := s.installFD(s, hot)
		if err != nil {
			s.kill()
			return nil, err
		}
		s.preinstalled = map[fileKey]int{key: sfd}
	}
	return s, nil
}

// noteHot makes the file of Ward's descriptor fd, installed in a stub for
// the first time, the one the pool installs ahead of time (if none is
// yet).
func (p *Platform) noteHot(key fileKey, fd int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hotFD >= 0 || p.closed {
		return
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return // an optimisation only
	}
	p.hot, p.hotFD = key, dup
}

// newStub starts a stub: forked from the template, or started from the
// image if there is no usable template (then a new template is made for
// next time).
//
// Preconditions: on the master goroutine.
func (p *Platform) newStub() (*stub, error) {
	if p.template != nil && (p.template.dead || !stubAlive(p.template)) {
		p.retireTemplate()
	}
	if p.template == nil {
		if t, err := startStub(p.image); err == nil {
			if newTemplate(t) == nil {
				p.template = t
			} else {
				t.kill()
			}
		}
	}
	if p.template != nil {
		s, err := forkStub(p.template)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errTemplateBroken) {
			return nil, err
		}
		p.retireTemplate()
	}
	return startStub(p.image)
}

// retireTemplate kills and reaps the template, if any.
//
// Preconditions: on the master goroutine.
func (p *Platform) retireTemplate() {
	if p.template != nil {
		p.template.kill()
		p.template = nil
	}
}

// stubAlive reports whether the stub's leader has not exited. It consumes
// nothing (WNOWAIT).
func stubAlive(s *stub) bool {
	var si unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, int(s.pid), &si, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil && si.Signo == 0
	}
}

// reap kills s and reaps it and its threads on a goroutine of its own;
// Close waits for it.
func (p *Platform) reap(s *stub) {
	p.reapers.Add(1)
	go func() {
		defer p.reapers.Done()
		if err := s.reap(); err != nil {
			p.mu.Lock()
			p.reapErrs = append(p.reapErrs, err)
			p.mu.Unlock()
		}
	}()
}
