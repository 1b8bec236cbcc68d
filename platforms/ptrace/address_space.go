//go:build linux && amd64

package ptrace

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// errReleased is returned for an address space that has been released.
var errReleased = errors.New("ptrace: address space released")

// addressSpace is a platform.AddressSpace: one stub process.
//
// MapFile and Unmap inject mmap and munmap into the stub. Where the injection
// runs depends on the caller (see run): a task goroutine whose OS thread
// traces a stub thread of this address space (the usual case: a page fault,
// mmap or brk of the application itself) injects into its own stopped stub
// thread, with no hand-off to the master; any other caller hands the
// injection to the master, which injects into the leader. Before any
// application thread has run in the stub (a child being filled by fork, an
// image being loaded by exec), MapFile and Unmap only queue their work, and
// the first Switch into the address space applies the queue from its own new
// stub thread, merging adjacent mappings (see flush). Nothing but the stub
// reads the stub's mappings, so the deferral cannot be observed by the
// kernel, which reaches application memory through the memory file.
type addressSpace struct {
	p *Platform

	// stub is set at creation and never changes. The stub's fields are
	// owned by the master goroutine, except as stub's comment says.
	stub *stub

	// mu serialises the operations on the stub's memory, its descriptor
	// table, its socket and its scratch page, whichever thread injects
	// them. A function run by the master never takes mu (the holder of mu
	// may be waiting for the master).
	mu sync.Mutex

	// fds caches the descriptors installed in the stub, by file. Protected
	// by mu.
	fds map[fileKey]int

	// tracers maps a tracer OS thread of Ward to a stub thread of this
	// address space that it traces, for direct injection. An entry whose
	// thread is dead is ignored. Protected by mu.
	tracers map[int32]*thread

	// pending holds the operations queued before the first Switch or
	// inside a batch, and held the duplicates of Ward's descriptors for
	// the files they map that the stub does not have yet. Both protected
	// by mu.
	pending []op
	held    map[fileKey]int

	// batching is set between BeginBatch and EndBatch. Protected by mu.
	batching bool

	// inherited is the stub thread taken over from the predecessor
	// (succession.go) until a Context claims it. Protected by mu.
	inherited *thread

	// flushed is set, under mu, once pending has been applied: from then
	// on every operation is applied at once.
	flushed atomic.Bool

	// released is set, under mu, when the stub is being destroyed; it is
	// read anywhere.
	released atomic.Bool
}

var (
	_ platform.AddressSpace = (*addressSpace)(nil)
	_ platform.Batcher      = (*addressSpace)(nil)
)

// fileKey identifies a file and the access mode of a descriptor for it: a
// descriptor installed in a stub for one fileKey serves every MapFile of a
// Ward descriptor with the same key. An inode cannot be reused while the stub
// holds it open.
type fileKey struct {
	dev, ino uint64
	accmode  int
}

// op is a queued MapFile (unmap false) or Unmap.
type op struct {
	unmap  bool
	addr   uintptr
	length uintptr
	file   fileKey
	offset int64
	prot   platform.Prot
}

func newAddressSpace(p *Platform, s *stub) *addressSpace {
	a := &addressSpace{p: p, stub: s, fds: make(map[fileKey]int), tracers: make(map[int32]*thread)}
	for k, fd := range s.preinstalled {
		a.fds[k] = fd
	}
	return a
}

// keyOf returns the fileKey of Ward's descriptor fd: remembered for the
// declared stable file, asked of the host otherwise.
func (p *Platform) keyOf(fd int) (fileKey, error) {
	if s := p.stable.Load(); s != nil && s.fd == fd {
		return s.key, nil
	}
	return hostKeyOf(fd)
}

// hostKeyOf asks the host for the fileKey of fd.
func hostKeyOf(fd int) (fileKey, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileKey{}, err
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fileKey{}, err
	}
	return fileKey{dev: uint64(st.Dev), ino: st.Ino, accmode: fl & unix.O_ACCMODE}, nil
}

// stableFile is a descriptor declared stable (platform.StableFiles) and
// its key.
type stableFile struct {
	fd  int
	key fileKey
}

// DeclareStableFile implements platform.StableFiles. One file is
// remembered (the kernel's memory file); a later declaration replaces it.
func (p *Platform) DeclareStableFile(fd int) error {
	key, err := hostKeyOf(fd)
	if err != nil {
		return fmt.Errorf("ptrace: stable file %d: %w", fd, err)
	}
	p.stable.Store(&stableFile{fd: fd, key: key})
	return nil
}

// checkRange validates a page-aligned, non-empty range inside the
// application's part of the address space.
func checkRange(addr, length uintptr) error {
	switch {
	case addr%pageSize != 0 || length%pageSize != 0:
		return fmt.Errorf("ptrace: range [%#x, +%#x) is not page-aligned", addr, length)
	case length == 0:
		return fmt.Errorf("ptrace: empty range at %#x", addr)
	case addr < minUserAddress || addr > maxUserAddress || length > maxUserAddress-addr:
		return fmt.Errorf("ptrace: range [%#x, +%#x) is outside the user range [%#x, %#x)", addr, length, minUserAddress, maxUserAddress)
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
	key, err := a.p.keyOf(fd)
	if err != nil {
		return fmt.Errorf("ptrace: MapFile of fd %d: %w", fd, err)
	}
	o := op{addr: addr, length: length, file: key, offset: offset, prot: prot}

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.released.Load() {
		return errReleased
	}
	if !a.flushed.Load() || a.batching {
		if !a.flushed.Load() && !stubAlive(a.stub) {
			return fmt.Errorf("ptrace: stub %d: %w", a.stub.pid, errStubDied)
		}
		if _, ok := a.fds[key]; !ok {
			if _, ok := a.held[key]; !ok {
				dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
				if err != nil {
					return fmt.Errorf("ptrace: holding fd %d for a deferred MapFile: %w", fd, err)
				}
				if a.held == nil {
					a.held = make(map[fileKey]int)
				}
				a.held[key] = dup
			}
		}
		a.queue(o)
		return nil
	}
	return a.run(func(in injector) error { return a.apply(in, o, fd) })
}

// Unmap implements platform.AddressSpace.Unmap.
func (a *addressSpace) Unmap(addr, length uintptr) error {
	if err := checkRange(addr, length); err != nil {
		return err
	}
	o := op{unmap: true, addr: addr, length: length}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.released.Load() {
		return errReleased
	}
	if !a.flushed.Load() || a.batching {
		a.queue(o)
		return nil
	}
	return a.run(func(in injector) error { return a.apply(in, o, -1) })
}

// queue appends o to the pending operations, merging it into the last one
// when it continues it (the same file, protection and contiguous offsets, or
// two adjacent unmaps).
//
// Preconditions: a.mu is held.
func (a *addressSpace) queue(o op) {
	if n := len(a.pending); n > 0 {
		last := &a.pending[n-1]
		if last.unmap == o.unmap && last.addr+last.length == o.addr &&
			(o.unmap || (last.file == o.file && last.prot == o.prot && last.offset+int64(last.length) == o.offset)) {
			last.length += o.length
			return
		}
	}
	a.pending = append(a.pending, o)
}

// BeginBatch implements platform.Batcher: MapFile and Unmap queue until
// EndBatch.
func (a *addressSpace) BeginBatch() {
	a.mu.Lock()
	a.batching = true
	a.mu.Unlock()
}

// EndBatch implements platform.Batcher: it applies what the batch queued in
// one round trip. Before the first Switch the queue simply stays for it.
func (a *addressSpace) EndBatch() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.batching = false
	if !a.flushed.Load() || len(a.pending) == 0 {
		return nil
	}
	if a.released.Load() {
		return errReleased
	}
	defer stats.batches.add(time.Now())
	err := a.run(a.applyPending)
	a.pending = nil
	a.closeHeld()
	if err != nil {
		a.released.Store(true)
		unix.Kill(int(a.stub.pid), unix.SIGKILL)
		return fmt.Errorf("%w (the address space is now unusable)", err)
	}
	return nil
}

// flush applies the queued operations, and from then on operations are
// applied at once. The first Switch into the address space calls it with
// its new stub thread t, whose tracer is the calling OS thread; with t nil,
// the master applies them through the leader.
func (a *addressSpace) flush(t *thread) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.flushed.Load() {
		return nil
	}
	if a.released.Load() {
		return errReleased
	}
	var err error
	if t != nil {
		err = a.applyPending(&direct{t: t, tmpl: &a.stub.regs})
	} else {
		err = a.p.m.do(func() error { return a.applyPending(a.stub) })
	}
	a.pending = nil
	a.closeHeld()
	a.flushed.Store(true)
	if err != nil {
		// The stub no longer matches what the kernel mapped: never run
		// it again.
		a.released.Store(true)
		unix.Kill(int(a.stub.pid), unix.SIGKILL)
		return fmt.Errorf("%w (the address space is now unusable)", err)
	}
	return nil
}

// applyPending applies the queued operations through in.
//
// Preconditions: a.mu is held.
func (a *addressSpace) applyPending(in injector) error {
	stats.flushOps.Add(int64(len(a.pending)))
	calls := make([]call, 0, len(a.pending))
	for _, o := range a.pending {
		if o.unmap {
			calls = append(calls, call{nr: unix.SYS_MUNMAP, args: [6]uintptr{o.addr, o.length}})
			continue
		}
		sfd, err := a.stubFD(in, o.file, a.held[o.file])
		if err != nil {
			return err
		}
		calls = append(calls, call{nr: unix.SYS_MMAP, args: [6]uintptr{o.addr, o.length, uintptr(o.prot),
			unix.MAP_SHARED | unix.MAP_FIXED, uintptr(sfd), uintptr(o.offset)}})
	}
	err := in.batch(calls)
	var be *batchError
	if errors.As(err, &be) {
		o := a.pending[be.index]
		what := fmt.Sprintf("munmap(%#x, %#x)", o.addr, o.length)
		if !o.unmap {
			what = fmt.Sprintf("mmap(%#x, %#x, %#x, %#x)", o.addr, o.length, o.prot, o.offset)
		}
		return fmt.Errorf("ptrace: stub %d: queued %s: %w", a.stub.pid, what, be.errno)
	}
	if err != nil {
		return fmt.Errorf("ptrace: stub %d: applying %d queued mappings: %w", a.stub.pid, len(calls), err)
	}
	return nil
}

// closeHeld closes the descriptors held for deferred operations.
//
// Preconditions: a.mu is held.
func (a *addressSpace) closeHeld() {
	for _, fd := range a.held {
		unix.Close(fd)
	}
	a.held = nil
}

// run calls f with an injector for a stopped stub thread that the calling OS
// thread traces: the caller's own stub thread in a if it has one, else the
// leader, on the master goroutine.
//
// Preconditions: a.mu is held.
func (a *addressSpace) run(f func(injector) error) error {
	if t := a.tracers[int32(unix.Gettid())]; t != nil && !t.dead {
		defer stats.directInject.add(time.Now())
		return f(&direct{t: t, tmpl: &a.stub.regs})
	}
	defer stats.masterInject.add(time.Now())
	return a.p.m.do(func() error {
		if a.released.Load() {
			return errReleased
		}
		if a.stub.dead {
			return fmt.Errorf("ptrace: stub %d: %w", a.stub.pid, errStubDied)
		}
		return f(a.stub)
	})
}

// apply performs o through in. fd is a descriptor of Ward's for o's file,
// used if the stub has none for it yet.
//
// Preconditions: a.mu is held.
func (a *addressSpace) apply(in injector, o op, fd int) error {
	if o.unmap {
		if _, err := in.inject(unix.SYS_MUNMAP, o.addr, o.length); err != nil {
			return fmt.Errorf("ptrace: stub %d: munmap(%#x, %#x): %w", a.stub.pid, o.addr, o.length, err)
		}
		return nil
	}
	sfd, err := a.stubFD(in, o.file, fd)
	if err != nil {
		return err
	}
	got, err := in.inject(unix.SYS_MMAP, o.addr, o.length, uintptr(o.prot), unix.MAP_SHARED|unix.MAP_FIXED, uintptr(sfd), uintptr(o.offset))
	if err != nil {
		return fmt.Errorf("ptrace: stub %d: mmap(%#x, %#x, %#x, fd %d (Ward's %d), %#x): %w", a.stub.pid, o.addr, o.length, o.prot, sfd, fd, o.offset, err)
	}
	if got != o.addr {
		return fmt.Errorf("ptrace: stub %d: MAP_FIXED mmap at %#x returned %#x", a.stub.pid, o.addr, got)
	}
	return nil
}

// stubFD returns the stub's descriptor for the file key, installing Ward's fd
// for it if the stub has none yet.
//
// Preconditions: a.mu is held.
func (a *addressSpace) stubFD(in injector, key fileKey, fd int) (int, error) {
	if sfd, ok := a.fds[key]; ok {
		return sfd, nil
	}
	sfd, err := a.stub.installFD(in, fd)
	if err != nil {
		// The socket may hold a message the stub never received; the
		// stub cannot be trusted with another descriptor.
		a.released.Store(true)
		unix.Kill(int(a.stub.pid), unix.SIGKILL)
		return -1, fmt.Errorf("%w (the address space is now unusable)", err)
	}
	a.fds[key] = sfd
	a.p.noteHot(key, fd)
	return sfd, nil
}

// addTracer records t, a new stub thread of a, for direct injection by its
// tracer.
func (a *addressSpace) addTracer(t *thread) {
	a.mu.Lock()
	a.tracers[t.tracer] = t
	a.mu.Unlock()
}

// Release implements platform.AddressSpace.Release. It kills the stub; its
// threads, including those traced by task goroutines, are reaped in the
// background (Platform.Close waits for that).
func (a *addressSpace) Release() {
	a.p.forget(a)
	a.release()
}

// release marks the address space released and has its stub killed and
// reaped (once, whoever calls it first).
func (a *addressSpace) release() {
	a.mu.Lock()
	a.released.Store(true)
	a.closeHeld()
	a.pending = nil
	s := a.stub // nil if a successor took it over
	a.mu.Unlock()
	if s != nil && !s.reaping.Swap(true) {
		a.p.reap(s)
	}
}

// cloneThread returns a new thread in the stub, idle in pause(2) and not
// traced: the stub's spare thread if it has one, else one cloned now. The
// caller's OS thread must then seize it.
func (a *addressSpace) cloneThread() (int32, error) {
	if tid := a.stub.spare.Swap(0); tid != 0 {
		return tid, nil
	}
	var tid int32
	err := a.p.m.do(func() error {
		if a.released.Load() {
			return errReleased
		}
		var err error
		tid, err = a.stub.cloneIdle()
		return err
	})
	return tid, err
}
