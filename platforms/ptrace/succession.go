//go:build linux && amd64

package ptrace

import (
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// Succession: exec reuses the old address space's stub.
//
// fork+exec+wait needs a new address space at fork and another at exec. At
// exec the old one is released right after the new one is loaded, and its
// stub holds what the new one would have to make: a stub thread that the
// exec'ing task's OS thread already traces, and the memory file installed.
// If that thread is the stub's only application thread, the new address
// space takes the stub over (Succeed): the queue it built while exec loaded
// the image gets a leading munmap of the whole application range, the
// thread moves to it, and its own, unused pooled stub goes back to the
// pool. The old address space is marked released at once, with no stub to
// kill. Nothing runs in the stub between Succeed and the first Switch,
// which applies the queue before the thread runs: the old program's pages,
// which the old memory manager frees meanwhile, are never touched again.

var _ platform.Successor = (*addressSpace)(nil)

// Succeed implements platform.Successor.
func (a *addressSpace) Succeed(oldAS platform.AddressSpace) bool {
	old, ok := oldAS.(*addressSpace)
	if !ok || old == a || old.p != a.p {
		return false
	}
	tracer := int32(unix.Gettid())
	// Lock order: a successor's mu before its predecessor's.
	a.mu.Lock()
	defer a.mu.Unlock()
	old.mu.Lock()
	defer old.mu.Unlock()
	if a.flushed.Load() || a.released.Load() || a.batching || len(a.tracers) != 0 ||
		!old.flushed.Load() || old.released.Load() || old.batching {
		return false
	}
	t := old.tracers[tracer]
	if t == nil || t.dead {
		return false
	}
	// Another thread in the old stub (another task's, or one being
	// reaped) would be left in a stub that now runs another program.
	for _, tid := range old.stub.threadList() {
		if tid != t.tid && tid != old.stub.spare.Load() {
			return false
		}
	}
	if !stubAlive(old.stub) {
		return false
	}
	// Every file the queue maps must be in the old stub already or held.
	for _, o := range a.pending {
		if o.unmap {
			continue
		}
		if _, ok := old.fds[o.file]; !ok {
			if _, ok := a.held[o.file]; !ok {
				return false
			}
		}
	}

	fresh := a.stub
	a.stub, old.stub = old.stub, nil
	a.fds, old.fds = old.fds, nil
	a.pending = append([]op{{unmap: true, addr: minUserAddress, length: maxUserAddress - minUserAddress}}, a.pending...)
	t.as = a
	a.tracers[tracer] = t
	a.inherited = t
	delete(old.tracers, tracer)
	old.released.Store(true)
	old.closeHeld()
	old.pending = nil
	a.p.giveBack(fresh)
	stats.successions.Add(1)
	return true
}

// adopted returns, once, the thread that a took over from its predecessor
// if tracer traces it (see Succeed): the next Context to run a from that
// OS thread, the exec'ing task's, gets it.
func (a *addressSpace) adopted(tracer int32) *thread {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.inherited
	if t == nil || t.tracer != tracer {
		return nil
	}
	a.inherited = nil
	if t.dead {
		return nil
	}
	return t
}

// giveBack returns s, a pooled stub that was taken but never used, to the
// pool, or reaps it if the pool is full.
func (p *Platform) giveBack(s *stub) {
	p.mu.Lock()
	if !p.closed && len(p.pool) < p.poolSize {
		p.pool = append([]*stub{s}, p.pool...)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	if !s.reaping.Swap(true) {
		p.reap(s)
	}
}
