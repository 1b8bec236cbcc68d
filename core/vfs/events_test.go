package vfs_test

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b
}

func readU64(t *testing.T, f *vfs.FileDescription, b vfs.Blocker) (uint64, error) {
	t.Helper()
	buf := make([]byte, 8)
	n, err := f.Read(b, buf)
	if err != nil {
		return 0, err
	}
	if n != 8 {
		t.Fatalf("read %d bytes, want 8", n)
	}
	return binary.LittleEndian.Uint64(buf), nil
}

func TestEventFDCounter(t *testing.T) {
	f := vfs.NewEventFD(3, unix.O_NONBLOCK)
	defer f.DecRef()
	if v, err := readU64(t, f, nil); v != 3 || err != nil {
		t.Fatalf("read = %d, %v; want 3", v, err)
	}
	if _, err := readU64(t, f, nil); err != unix.EAGAIN {
		t.Fatalf("read of zero counter = %v, want EAGAIN", err)
	}
	if f.Readiness(vfs.EventIn|vfs.EventOut) != vfs.EventOut {
		t.Errorf("readiness of zero counter = %#x", f.Readiness(vfs.EventIn|vfs.EventOut))
	}
	for _, v := range []uint64{5, 2} {
		if _, err := f.Write(nil, u64(v)); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := readU64(t, f, nil); v != 7 {
		t.Errorf("read = %d, want 7", v)
	}
	if _, err := f.Write(nil, u64(^uint64(0))); err != unix.EINVAL {
		t.Errorf("write of all ones = %v, want EINVAL", err)
	}
	if _, err := f.Read(nil, make([]byte, 4)); err != unix.EINVAL {
		t.Errorf("short read = %v, want EINVAL", err)
	}
	// Overflow: the counter saturates below all ones; a write that
	// would pass it fails with EAGAIN when non-blocking.
	if _, err := f.Write(nil, u64(^uint64(0)-1)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(nil, u64(1)); err != unix.EAGAIN {
		t.Errorf("overflowing write = %v, want EAGAIN", err)
	}
}

func TestEventFDSemaphoreBlocking(t *testing.T) {
	f := vfs.NewEventFD(0, unix.EFD_SEMAPHORE)
	defer f.DecRef()
	got := make(chan uint64)
	go func() {
		v, _ := readU64(t, f, nil)
		got <- v
	}()
	time.Sleep(10 * time.Millisecond)
	f.Write(nil, u64(2))
	if v := <-got; v != 1 {
		t.Errorf("semaphore read = %d, want 1", v)
	}
	if v, _ := readU64(t, f, nil); v != 1 {
		t.Errorf("second semaphore read = %d, want 1", v)
	}
	// A blocked read is interrupted with ERESTARTSYS.
	intr := make(interrupter, 1)
	intr <- struct{}{}
	if _, err := readU64(t, f, intr); err != vfs.ErrInterrupted {
		t.Errorf("interrupted read = %v, want ERESTARTSYS", err)
	}
}

// fakeClock is a settable Clock.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() int64 { return c.ns.Load() }

func TestTimerFDExpirations(t *testing.T) {
	var c fakeClock
	c.ns.Store(1e9)
	f := vfs.NewTimerFD(c.now, unix.O_NONBLOCK)
	defer f.DecRef()
	tf := f.Impl().(*vfs.TimerFD)
	if _, err := readU64(t, f, nil); err != unix.EAGAIN {
		t.Fatalf("read of disarmed timer = %v, want EAGAIN", err)
	}
	tf.SetTime(time.Hour, time.Hour, false)
	if v, i := tf.GetTime(); v != time.Hour || i != time.Hour {
		t.Errorf("gettime = %v, %v", v, i)
	}
	c.ns.Add(int64(3*time.Hour + time.Minute))
	if f.Readiness(vfs.EventIn) != vfs.EventIn {
		t.Error("expired timer is not readable")
	}
	if v, _ := readU64(t, f, nil); v != 3 {
		t.Errorf("expirations = %d, want 3", v)
	}
	if v, _ := tf.GetTime(); v != 59*time.Minute {
		t.Errorf("time left = %v, want 59m", v)
	}
	// Absolute, in the past: one expiration at once.
	tf.SetTime(time.Second, 0, true)
	if v, _ := readU64(t, f, nil); v != 1 {
		t.Errorf("past absolute expirations = %d, want 1", v)
	}
	if v, i := tf.GetTime(); v != 0 || i != 0 {
		t.Errorf("one-shot after expiry: %v, %v", v, i)
	}
}

func TestTimerFDRealClockWakes(t *testing.T) {
	clock := func() int64 { return time.Now().UnixNano() }
	f := vfs.NewTimerFD(clock, 0)
	defer f.DecRef()
	f.Impl().(*vfs.TimerFD).SetTime(5*time.Millisecond, 5*time.Millisecond, false)
	total := uint64(0)
	start := time.Now()
	for total < 5 {
		v, err := readU64(t, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		total += v
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Errorf("5 ticks of 5ms took %v", el)
	}
}

func waitEvents(ep *vfs.Epoll) []vfs.EpollEvent { return ep.ReadEvents(16) }

func TestEpollLevelEdgeOneShot(t *testing.T) {
	epf := vfs.NewEpoll()
	defer epf.DecRef()
	ep := epf.Impl().(*vfs.Epoll)
	r, w := vfs.NewPipe(0)
	defer w.DecRef()
	defer r.DecRef()
	if err := ep.Control(epf, unix.EPOLL_CTL_ADD, 3, r, vfs.EpollEvent{Events: unix.EPOLLIN, Data: 42}); err != nil {
		t.Fatal(err)
	}
	if err := ep.Control(epf, unix.EPOLL_CTL_ADD, 3, r, vfs.EpollEvent{Events: unix.EPOLLIN}); err != unix.EEXIST {
		t.Errorf("second ADD = %v, want EEXIST", err)
	}
	if err := ep.Control(epf, unix.EPOLL_CTL_MOD, 4, w, vfs.EpollEvent{}); err != unix.ENOENT {
		t.Errorf("MOD of absent = %v, want ENOENT", err)
	}
	if evs := waitEvents(ep); len(evs) != 0 {
		t.Fatalf("empty pipe reported %v", evs)
	}
	w.Write(nil, []byte("x"))
	for i := 0; i < 2; i++ {
		if evs := waitEvents(ep); len(evs) != 1 || evs[0].Data != 42 || evs[0].Events&unix.EPOLLIN == 0 {
			t.Fatalf("level-triggered wait %d = %v", i, evs)
		}
	}
	// Edge-triggered: one report per change.
	ep.Control(epf, unix.EPOLL_CTL_MOD, 3, r, vfs.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Data: 7})
	if evs := waitEvents(ep); len(evs) != 1 {
		t.Fatalf("edge after MOD = %v", evs)
	}
	if evs := waitEvents(ep); len(evs) != 0 {
		t.Fatalf("edge without change = %v", evs)
	}
	w.Write(nil, []byte("y"))
	if evs := waitEvents(ep); len(evs) != 1 || evs[0].Data != 7 {
		t.Fatalf("edge after write = %v", evs)
	}
	// One-shot: disabled after one report, until MOD.
	ep.Control(epf, unix.EPOLL_CTL_MOD, 3, r, vfs.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT})
	if evs := waitEvents(ep); len(evs) != 1 {
		t.Fatalf("one-shot = %v", evs)
	}
	if evs := waitEvents(ep); len(evs) != 0 {
		t.Fatalf("one-shot again = %v", evs)
	}
	if err := ep.Control(epf, unix.EPOLL_CTL_DEL, 3, r, vfs.EpollEvent{}); err != nil {
		t.Fatal(err)
	}
	if ep.Len() != 0 {
		t.Errorf("Len after DEL = %d", ep.Len())
	}
}

func TestEpollDropsReleasedFiles(t *testing.T) {
	epf := vfs.NewEpoll()
	defer epf.DecRef()
	ep := epf.Impl().(*vfs.Epoll)
	r, w := vfs.NewPipe(0)
	defer w.DecRef()
	ep.Control(epf, unix.EPOLL_CTL_ADD, 3, r, vfs.EpollEvent{Events: unix.EPOLLIN})
	w.Write(nil, []byte("x"))
	r.DecRef() // the last descriptor of the read end is closed
	if evs := waitEvents(ep); len(evs) != 0 {
		t.Errorf("released file reported %v", evs)
	}
	if ep.Len() != 0 {
		t.Errorf("released file still registered")
	}
}

func TestEpollNestingAndWake(t *testing.T) {
	inner, outer := vfs.NewEpoll(), vfs.NewEpoll()
	defer inner.DecRef()
	defer outer.DecRef()
	iep, oep := inner.Impl().(*vfs.Epoll), outer.Impl().(*vfs.Epoll)
	ev := vfs.EpollEvent{Events: unix.EPOLLIN, Data: 1}
	if err := oep.Control(outer, unix.EPOLL_CTL_ADD, 5, inner, ev); err != nil {
		t.Fatal(err)
	}
	if err := iep.Control(inner, unix.EPOLL_CTL_ADD, 6, outer, ev); err != unix.ELOOP {
		t.Errorf("loop = %v, want ELOOP", err)
	}
	if err := iep.Control(inner, unix.EPOLL_CTL_ADD, 5, inner, ev); err != unix.EINVAL {
		t.Errorf("self = %v, want EINVAL", err)
	}
	e := vfs.NewEventFD(0, 0)
	defer e.DecRef()
	iep.Control(inner, unix.EPOLL_CTL_ADD, 7, e, ev)
	// A waiter on the outer epoll is woken by a write to the eventfd.
	entry := vfs.NewEntry(^uint32(0))
	oep.EventRegister(entry)
	defer oep.EventUnregister(entry)
	for len(entry.C) > 0 {
		<-entry.C
	}
	go func() {
		time.Sleep(5 * time.Millisecond)
		e.Write(nil, u64(1))
	}()
	select {
	case <-entry.C:
	case <-time.After(2 * time.Second):
		t.Fatal("outer epoll waiter not woken")
	}
	if evs := oep.ReadEvents(4); len(evs) != 1 || evs[0].Data != 1 {
		t.Errorf("outer events = %v", evs)
	}
	if outer.Readiness(vfs.EventIn) != vfs.EventIn {
		t.Error("outer epoll not readable for poll")
	}
}

// regularFile is a FileImpl without readiness that stats as a regular
// file.
type regularFile struct{}

func (regularFile) Read(vfs.Blocker, []byte, int64) (int, error)  { return 0, nil }
func (regularFile) Write(vfs.Blocker, []byte, int64) (int, error) { return 0, nil }
func (regularFile) Stat() (vfs.Stat, error)                       { return linux.Stat{Mode: unix.S_IFREG | 0o644}, nil }
func (regularFile) Release()                                      {}

func TestEpollRejectsRegularFiles(t *testing.T) {
	epf := vfs.NewEpoll()
	defer epf.DecRef()
	f := vfs.NewDescription(regularFile{}, vfs.DescriptionOptions{Flags: unix.O_RDONLY})
	defer f.DecRef()
	err := epf.Impl().(*vfs.Epoll).Control(epf, unix.EPOLL_CTL_ADD, 3, f, vfs.EpollEvent{Events: unix.EPOLLIN})
	if err != unix.EPERM {
		t.Errorf("ADD of a regular file = %v, want EPERM", err)
	}
}
