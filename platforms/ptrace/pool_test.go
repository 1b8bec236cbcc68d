//go:build linux && amd64

package ptrace

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

func poolPIDs(p *Platform) []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int32
	for _, s := range p.pool {
		pids = append(pids, s.pid)
	}
	return pids
}

// TestPoolRefill: the pool is full after New, NewAddressSpace takes a pooled
// stub (with its spare thread), and the pool fills up again.
func TestPoolRefill(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	settle(p)
	before := poolPIDs(p)
	if len(before) != p.poolSize {
		t.Fatalf("pool after New: %v, want %d stubs", before, p.poolSize)
	}
	mem := newAppMem(t)
	as := newSpace(t, p, mem, getpidLoop)
	a := as.(*addressSpace)
	if a.stub.pid != before[0] {
		t.Errorf("NewAddressSpace got stub %d, want the pooled %d", a.stub.pid, before[0])
	}
	spare := a.stub.spare.Load()
	if spare == 0 {
		t.Fatal("pooled stub has no spare thread")
	}
	c := newContext(t, p)
	mustSwitch(t, c, as, initialState(), platform.StopSyscall)
	if got := c.(*context).last.tid; got != spare {
		t.Errorf("first Switch runs in thread %d, want the spare %d", got, spare)
	}
	settle(p)
	after := poolPIDs(p)
	if len(after) != p.poolSize {
		t.Errorf("pool after a take: %v, want %d stubs", after, p.poolSize)
	}
	for _, pid := range after {
		if pid == a.stub.pid {
			t.Errorf("stub %d is both in use and pooled", pid)
		}
	}
}

// TestPoolKilledStubDiscarded: a pooled stub killed from outside is never
// handed out; it is reaped, and the next one is used.
func TestPoolKilledStubDiscarded(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	settle(p)
	p.mu.Lock()
	vs := p.pool[0]
	p.mu.Unlock()
	victim := vs.pid
	unix.Kill(int(victim), unix.SIGKILL)
	// The leader's exit is reported once its spare thread is gone too.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if !stubAlive(vs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("killed stub %d does not die", victim)
		}
		time.Sleep(time.Millisecond)
	}
	mem := newAppMem(t)
	as := newSpace(t, p, mem, getpidLoop)
	if pid := as.(*addressSpace).stub.pid; pid == victim {
		t.Fatalf("NewAddressSpace handed out the killed stub %d", pid)
	}
	c := newContext(t, p)
	mustSwitch(t, c, as, initialState(), platform.StopSyscall)
	settle(p)
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", victim)); err == nil {
		t.Errorf("killed pooled stub %d not reaped", victim)
	}
	if kids := appChildren(p); len(kids) != 1 {
		t.Errorf("children besides the pool: %v, want the one stub in use", kids)
	}
}

// TestPoolNoLeaks: after Close, no stub is left, pooled, in use, released or
// discarded, and not even a zombie.
func TestPoolNoLeaks(t *testing.T) {
	runtime.LockOSThread()
	if kids := children(); len(kids) != 0 {
		t.Fatalf("children before the test: %v", kids)
	}
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mem := newAppMem(t)
	c, _ := p.NewContext()
	var spaces []platform.AddressSpace
	for i := 0; i < 5; i++ {
		as, err := p.NewAddressSpace()
		if err != nil {
			t.Fatal(err)
		}
		copy(mem.b, getpidLoop)
		if err := as.MapFile(codeAddr, mem.fd, 0, pageSize, platform.ProtRead|platform.ProtExec); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			mustSwitch(t, c, as, initialState(), platform.StopSyscall)
		}
		spaces = append(spaces, as)
	}
	spaces[0].Release()
	spaces[3].Release()
	// Kill a pooled one, too.
	settle(p)
	unix.Kill(int(poolPIDs(p)[0]), unix.SIGKILL)
	c.Release()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if kids := children(); len(kids) != 0 {
		t.Errorf("children after Close: %v", kids)
	}
}

// TestQueuedBeforeFirstSwitch: MapFile and Unmap before the first Switch
// are queued, adjacent mappings merged, and the first Switch applies them.
func TestQueuedBeforeFirstSwitch(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	a := as.(*addressSpace)
	copy(mem.b, getpidLoop)
	for i := uintptr(0); i < 4; i++ {
		if err := as.MapFile(codeAddr+i*pageSize, mem.fd, int64(i*pageSize), pageSize, platform.ProtRead|platform.ProtExec); err != nil {
			t.Fatal(err)
		}
	}
	if err := as.Unmap(codeAddr+3*pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	if err := as.MapFile(dataAddr, mem.fd, dataOff, pageSize, platform.ProtRead|platform.ProtWrite); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	n := len(a.pending)
	a.mu.Unlock()
	if n != 3 {
		t.Errorf("%d queued operations, want 3 (one merged mapping, an unmap, a mapping)", n)
	}
	maps := func() string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", a.stub.pid))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if strings.Contains(maps(), "00400000-") {
		t.Errorf("mapped before the first Switch:\n%s", maps())
	}
	c := newContext(t, p)
	mustSwitch(t, c, as, initialState(), platform.StopSyscall)
	if m := maps(); !strings.Contains(m, "00400000-00403000 r-xs") {
		t.Errorf("after the first Switch, no code mapping [0x400000, 0x403000):\n%s", m)
	}
}

// TestDirectInjection: a goroutine whose thread runs a stub thread of the
// address space maps memory itself, without the master.
func TestDirectInjection(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	as := newSpace(t, p, mem, getpidLoop)
	c := newContext(t, p)
	mustSwitch(t, c, as, initialState(), platform.StopSyscall)

	// Keep the master busy.
	unblock := make(chan struct{})
	busy := make(chan struct{})
	go p.m.do(func() error {
		close(busy)
		<-unblock
		return nil
	})
	<-busy
	var once sync.Once
	release := func() { once.Do(func() { close(unblock) }) }
	defer release()
	// If MapFile waited for the master, this would let it finish late.
	go func() {
		time.Sleep(5 * time.Second)
		release()
	}()
	start := time.Now()
	if err := as.MapFile(dataAddr+pageSize, mem.fd, dataOff, pageSize, platform.ProtRead); err != nil {
		t.Fatal(err)
	}
	if err := as.Unmap(dataAddr+pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("MapFile and Unmap took %v: they waited for the master", d)
	}
	release()
	st := initialState()
	mustSwitch(t, c, as, st, platform.StopSyscall)
}

// ppid returns pid's parent process id from /proc.
func ppid(t *testing.T, pid int32) int32 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	var pp int32
	fmt.Sscanf(strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[1], "%d", &pp)
	return pp
}

// TestTemplate: pooled stubs are forked from the template, run application
// code like any stub, and when the template is killed from outside the pool
// makes a new one and goes on.
func TestTemplate(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	settle(p)
	tpid := templatePID(p)
	if tpid == 0 {
		t.Fatal("no template stub after New")
	}
	mem := newAppMem(t)
	as := newSpace(t, p, mem, getpidLoop)
	if pp := ppid(t, as.(*addressSpace).stub.pid); pp != tpid {
		t.Errorf("stub's parent is %d, want the template %d", pp, tpid)
	}
	c := newContext(t, p)
	mustSwitch(t, c, as, initialState(), platform.StopSyscall)

	unix.Kill(int(tpid), unix.SIGKILL)
	// Drain the pool so that the next stubs are started after the kill.
	for i := 0; i < defaultPoolSize+2; i++ {
		as := newSpace(t, p, mem, getpidLoop)
		mustSwitch(t, c, as, initialState(), platform.StopSyscall)
		as.Release()
	}
	settle(p)
	now := templatePID(p)
	if now == 0 || now == tpid {
		t.Errorf("template after the old one was killed: %d (old %d)", now, tpid)
	}
	as.Release()
	if kids := appChildren(p); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}
