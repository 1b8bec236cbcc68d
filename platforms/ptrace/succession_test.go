//go:build linux && amd64

package ptrace

import (
	"runtime"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// TestSuccession: an exec-like replacement takes over the old address
// space's stub and thread; nothing the old one mapped survives; the new
// one's own pooled stub goes back to the pool; releasing the old one
// kills nothing.
func TestSuccession(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	old := newSpace(t, p, mem, getpidLoop)
	c := newContext(t, p)
	mustSwitch(t, c, old, initialState(), platform.StopSyscall)
	oldPid := old.(*addressSpace).stub.pid
	tid := c.(*context).last.tid

	// The new program, at file offset pageSize: read the old data page.
	copy(mem.b[pageSize:], asm(loadAbs(dataAddr), jmpSelf))
	settle(p)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	a := as.(*addressSpace)
	fresh := a.stub
	if err := as.MapFile(codeAddr, mem.fd, pageSize, pageSize, platform.ProtRead|platform.ProtExec); err != nil {
		t.Fatal(err)
	}
	if !a.Succeed(old) {
		t.Fatal("Succeed refused a single-threaded predecessor")
	}
	old.Release()
	if a.stub.pid != oldPid {
		t.Errorf("successor's stub %d, want the predecessor's %d", a.stub.pid, oldPid)
	}
	p.mu.Lock()
	back := len(p.pool) > 0 && p.pool[0] == fresh
	p.mu.Unlock()
	if !back {
		t.Error("the successor's unused stub did not go back to the pool")
	}
	st := initialState()
	stop := mustSwitch(t, c, as, st, platform.StopFault)
	if stop.Signo != int(unix.SIGSEGV) || stop.Addr != dataAddr {
		t.Errorf("stop %+v, want SIGSEGV at the predecessor's data page %#x", stop, uint64(dataAddr))
	}
	if got := c.(*context).last.tid; got != tid {
		t.Errorf("the successor runs in stub thread %d, want the inherited %d", got, tid)
	}
	if procState(oldPid, tid) == "" {
		t.Error("the inherited thread is gone")
	}
}

// TestSuccessionRefused: a predecessor with another context's thread in it,
// or one that never ran, is not taken over.
func TestSuccessionRefused(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	old := newSpace(t, p, mem, getpidLoop)
	c := newContext(t, p)
	mustSwitch(t, c, old, initialState(), platform.StopSyscall)
	done, ran := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		c2, err := p.NewContext()
		if err != nil {
			t.Error(err)
			return
		}
		defer c2.Release()
		if _, err := c2.Switch(old, initialState()); err != nil {
			t.Error(err)
		}
		close(ran)
		// Keep the thread until the checks below are done.
		<-done
	}()
	<-ran
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	if as.(*addressSpace).Succeed(old) {
		t.Error("Succeed took over a stub with another context's thread in it")
	}
	never, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer never.Release()
	if as.(*addressSpace).Succeed(never) {
		t.Error("Succeed took over an address space that never ran")
	}
	done <- struct{}{}
	<-done
}
