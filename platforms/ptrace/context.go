//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// context is a platform.Context: one application thread's vehicle. It owns one
// stub thread per (address space, tracer OS thread) it has run in, created on
// the first Switch into that address space from that OS thread.
type context struct {
	p *Platform

	// interrupt is set by Interrupt and consumed by Switch.
	interrupt atomic.Bool

	// running is the thread inside Switch, for Interrupt; nil outside.
	running atomic.Pointer[thread]

	// threads, last and released are owned by the goroutine using the
	// context (platform.Context's precondition).
	threads  map[threadKey]*thread
	last     *thread
	released bool
}

type threadKey struct {
	as     *addressSpace
	tracer int32
}

var _ platform.Context = (*context)(nil)

// Switch implements platform.Context.Switch.
//
// On StopSyscall, Regs are as the host kernel leaves them at syscall entry
// under PTRACE_SYSEMU: Orig_rax holds the system call number, Rip points after
// the syscall instruction (so the thread continues after it), and Rax holds
// -ENOSYS, which means nothing: the kernel must store the call's result (or
// -errno) in Rax before the next Switch. Regs.Cs tells whether the call came
// from 64-bit code (0x33); a 32-bit int 0x80 from code that switched to a
// compatibility segment also stops with StopSyscall, with Cs 0x23, and the
// kernel must not treat it as a 64-bit call.
//
// Switch loads Regs with Cs and Ss forced to the 64-bit user selectors and
// Orig_rax to -1; a nil FP loads the initial FP state; st.FP comes back as a
// whole XSAVE area of the host's size.
func (c *context) Switch(as platform.AddressSpace, st *platform.State) (platform.Stop, error) {
	if c.interrupt.Swap(false) {
		return platform.Stop{Reason: platform.StopInterrupted}, nil
	}
	if c.released {
		return platform.Stop{}, errors.New("ptrace: Switch on a released context")
	}
	defer stats.switches.add(time.Now())
	a, ok := as.(*addressSpace)
	if !ok || a.p != c.p {
		return platform.Stop{}, fmt.Errorf("ptrace: Switch into a foreign address space %T", as)
	}
	if a.released.Load() {
		return platform.Stop{}, errReleased
	}
	tracer := int32(unix.Gettid())
	t := c.last
	if t == nil || t.as != a || t.tracer != tracer || t.dead {
		var err error
		if t, err = c.thread(a, tracer); err != nil {
			return platform.Stop{}, err
		}
		c.last = t
	}
	if !a.flushed.Load() {
		defer stats.flushes.add(time.Now())
		// The first Switch into the address space applies what
		// MapFile and Unmap queued, from this thread's own stub thread.
		t.follow()
		if err := a.flush(t); err != nil {
			return platform.Stop{}, err
		}
	}
	return t.run(c, st)
}

// thread returns the context's stub thread in a traced by tracer, creating
// it if needed.
func (c *context) thread(a *addressSpace, tracer int32) (*thread, error) {
	key := threadKey{a, tracer}
	if t := c.threads[key]; t != nil && !t.dead {
		return t, nil
	}
	// Forget threads of released address spaces (their Release reaped
	// them) and dead ones.
	for k, t := range c.threads {
		if t.dead || k.as.released.Load() {
			delete(c.threads, k)
		}
	}
	if t := a.adopted(tracer); t != nil {
		c.threads[key] = t
		return t, nil
	}
	start := time.Now()
	t, err := newThread(a, tracer)
	stats.newThreads.add(start)
	if err != nil {
		return nil, err
	}
	c.threads[key] = t
	return t, nil
}

// Interrupt implements platform.Context.Interrupt.
func (c *context) Interrupt() {
	c.interrupt.Store(true)
	if t := c.running.Load(); t != nil {
		// The thread may have stopped already and be about to be
		// reported; then the signal stays pending and is recognised as
		// stale by a later Switch.
		_ = tgkill(t.pid, t.tid, interruptSignal)
	}
}

// Release implements platform.Context.Release. It makes each of the context's
// stub threads exit; that takes their tracer, so Release must be called by
// the goroutine that used the context, still locked to its thread. Threads it
// cannot end (traced by another OS thread) die with their address space.
func (c *context) Release() {
	if c.released {
		return
	}
	c.released = true
	defer stats.ctxReleases.add(time.Now())
	tracer := int32(unix.Gettid())
	for k, t := range c.threads {
		if k.tracer == tracer && !k.as.released.Load() {
			t.exit()
		}
	}
	c.threads = nil
	c.last = nil
}
