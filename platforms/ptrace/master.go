//go:build linux && amd64

package ptrace

import (
	"errors"
	"runtime"
	"sync"
)

var errClosed = errors.New("ptrace: platform is closed")

// master is the goroutine that creates stub processes and injects system
// calls into their leader threads. It is locked to its OS thread for its whole
// life, because that thread is the parent and the tracer of every stub leader;
// NewAddressSpace, MapFile, Unmap and Release may be called from any goroutine
// and hand their work to it.
//
// The master never calls into a Context and never waits for another
// goroutine, so a function it runs must not call master.do.
type master struct {
	reqs chan func()

	// mu guards closed and the sends on reqs (read-locked by senders,
	// write-locked by stop).
	mu     sync.RWMutex
	closed bool

	// done is closed when the master's goroutine has exited.
	done chan struct{}
}

func newMaster() *master {
	m := &master{reqs: make(chan func()), done: make(chan struct{})}
	go m.run()
	return m
}

func (m *master) run() {
	// Never unlocked: when run returns, the Go runtime ends the OS thread,
	// and PTRACE_O_EXITKILL kills any stub it still traces.
	runtime.LockOSThread()
	defer close(m.done)
	for f := range m.reqs {
		f()
	}
}

// do runs f on the master's thread and returns its error.
func (m *master) do(f func() error) error {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return errClosed
	}
	errc := make(chan error, 1)
	m.reqs <- func() { errc <- f() }
	m.mu.RUnlock()
	return <-errc
}

// stop ends the master after the requests already sent, and waits for it.
func (m *master) stop() {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.reqs)
	}
	m.mu.Unlock()
	<-m.done
}
