//go:build linux && amd64

package ptrace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/core/platform"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"golang.org/x/sys/unix"
)

// Application layout used by the tests: code at codeAddr (r-x, file offset
// 0 of the test's memory file), data at dataAddr (rw-, file offset dataOff).
const (
	codeAddr = 0x40_0000
	dataAddr = 0x60_0000
	dataOff  = 0x1_0000
	memSize  = 0x2_0000
)

// Hand-assembled x86-64 instructions.
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func movEAX(v uint32) []byte  { return append([]byte{0xb8}, le32(v)...) }
func movEDI(v uint32) []byte  { return append([]byte{0xbf}, le32(v)...) }
func movESI(v uint32) []byte  { return append([]byte{0xbe}, le32(v)...) }
func movEDX(v uint32) []byte  { return append([]byte{0xba}, le32(v)...) }
func movR10D(v uint32) []byte { return append([]byte{0x41, 0xba}, le32(v)...) }
func movR8D(v uint32) []byte  { return append([]byte{0x41, 0xb8}, le32(v)...) }
func movR9D(v uint32) []byte  { return append([]byte{0x41, 0xb9}, le32(v)...) }

// movabs rax, [addr]
func loadAbs(addr uint64) []byte {
	return append([]byte{0x48, 0xa1}, binary.LittleEndian.AppendUint64(nil, addr)...)
}

var (
	syscallInsn = []byte{0x0f, 0x05}
	jmpSelf     = []byte{0xeb, 0xfe}                         // jmp .
	movEDIEAX   = []byte{0x89, 0xc7}                         // mov edi, eax
	storeRDI    = []byte{0xc7, 0x07, 0xef, 0xbe, 0xad, 0xde} // mov dword [rdi], 0xdeadbeef
	loadESI4    = []byte{0x8b, 0x77, 0x04}                   // mov esi, [rdi+4]
	loadESI0    = []byte{0x8b, 0x37}                         // mov esi, [rdi]
	storeEAXRDI = []byte{0x89, 0x07}                         // mov [rdi], eax
	ud2         = []byte{0x0f, 0x0b}
	int3        = []byte{0xcc}
	movRSIXMM0  = []byte{0x66, 0x48, 0x0f, 0x7e, 0xc6} // movq rsi, xmm0
	movXMM1RDI  = []byte{0x66, 0x48, 0x0f, 0x6e, 0xcf} // movq xmm1, rdi
	movRSIXMM1  = []byte{0x66, 0x48, 0x0f, 0x7e, 0xce} // movq rsi, xmm1
)

func asm(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// getpidLoop is "loop: mov eax, 39; syscall; jmp loop".
var getpidLoop = asm(movEAX(39), syscallInsn, []byte{0xeb, 0xf7})

func newPlatform(t testing.TB) *Platform {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// appMem is a memory file, mapped shared into the test too.
type appMem struct {
	fd int
	b  []byte
}

func newAppMem(t testing.TB) *appMem {
	t.Helper()
	fd, err := unix.MemfdCreate("ptrace-test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Ftruncate(fd, memSize); err != nil {
		t.Fatal(err)
	}
	b, err := unix.Mmap(fd, 0, memSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Munmap(b)
		unix.Close(fd)
	})
	return &appMem{fd: fd, b: b}
}

// newSpace returns an address space running code at codeAddr with the data
// page at dataAddr, both from mem.
func newSpace(t testing.TB, p *Platform, mem *appMem, code []byte) platform.AddressSpace {
	t.Helper()
	copy(mem.b, code)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatalf("NewAddressSpace: %v", err)
	}
	t.Cleanup(as.Release)
	if err := as.MapFile(codeAddr, mem.fd, 0, pageSize, platform.ProtRead|platform.ProtExec); err != nil {
		t.Fatalf("MapFile code: %v", err)
	}
	if err := as.MapFile(dataAddr, mem.fd, dataOff, pageSize, platform.ProtRead|platform.ProtWrite); err != nil {
		t.Fatalf("MapFile data: %v", err)
	}
	return as
}

func newContext(t testing.TB, p *Platform) platform.Context {
	t.Helper()
	c, err := p.NewContext()
	if err != nil {
		t.Fatalf("NewContext: %v", err)
	}
	t.Cleanup(c.Release)
	return c
}

// initialState starts at codeAddr with rdi pointing at the data page.
func initialState() *platform.State {
	st := &platform.State{}
	st.Regs.Rip = codeAddr
	st.Regs.Rsp = dataAddr + pageSize
	st.Regs.Rdi = dataAddr
	st.Regs.Eflags = 0x202
	return st
}

func mustSwitch(t testing.TB, c platform.Context, as platform.AddressSpace, st *platform.State, want platform.StopReason) platform.Stop {
	t.Helper()
	stop, err := c.Switch(as, st)
	if err != nil {
		t.Fatalf("Switch: %v", err)
	}
	if stop.Reason != want {
		t.Fatalf("Switch stopped with %v (%+v) at rip %#x, want %v", stop.Reason, stop, st.Regs.Rip, want)
	}
	return stop
}

// procState returns the state letter of /proc/pid/task/tid/stat, or "" if
// the thread does not exist.
func procState(pid, tid int32) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
	if err != nil {
		return ""
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

func taskCount(t testing.TB, pid int32) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// settle waits until the pool is full and every released stub has been
// reaped.
func settle(p *Platform) {
	p.refills.Wait()
	p.reapers.Wait()
}

// templatePID returns the pid of p's template stub, or 0 if it has none.
func templatePID(p *Platform) int32 {
	var pid int32
	p.m.do(func() error {
		if p.template != nil {
			pid = p.template.pid
		}
		return nil
	})
	return pid
}

// appChildren settles p and returns its children that are not pooled stubs.
func appChildren(p *Platform) []string {
	settle(p)
	p.mu.Lock()
	pooled := map[string]bool{}
	for _, s := range p.pool {
		pooled[strconv.Itoa(int(s.pid))] = true
	}
	p.mu.Unlock()
	if pid := templatePID(p); pid != 0 {
		pooled[strconv.Itoa(int(pid))] = true
	}
	var kids []string
	for _, k := range children() {
		if !pooled[strings.Fields(k)[0]] {
			kids = append(kids, k)
		}
	}
	return kids
}

// applyQueued applies what MapFile and Unmap queued before the first Switch,
// so that /proc shows it.
func applyQueued(t testing.TB, as platform.AddressSpace) {
	t.Helper()
	if err := as.(*addressSpace).flush(nil); err != nil {
		t.Fatal(err)
	}
}

// children returns the descendant processes of this test process: stubs
// it started, and stubs forked from a template stub (stub_fork.go), which
// are the template's children.
func children() []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	type proc struct{ ppid, desc string }
	procs := map[string]proc{}
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 {
			pid := strings.Fields(s)[0]
			procs[pid] = proc{fields[1], s[:strings.IndexByte(s, ')')+1] + " " + fields[0]}
		}
	}
	mine := map[string]bool{strconv.Itoa(os.Getpid()): true}
	var kids []string
	for changed := true; changed; {
		changed = false
		for pid, p := range procs {
			if mine[p.ppid] && !mine[pid] {
				mine[pid] = true
				kids = append(kids, p.desc)
				changed = true
			}
		}
	}
	sort.Strings(kids)
	return kids
}

func TestRegistered(t *testing.T) {
	f, ok := registry.Lookup(registry.KindPlatform, "ptrace")
	if !ok {
		t.Fatal(`platform "ptrace" is not registered`)
	}
	v, err := f.New(f.NewConfig())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p, ok := v.(platform.Platform)
	if !ok {
		t.Fatalf("New returned %T, not a platform.Platform", v)
	}
	if p.MinUserAddress() != 0x10000 || p.MaxUserAddress() != 0x7fff_ffef_0000 {
		t.Errorf("user range [%#x, %#x)", p.MinUserAddress(), p.MaxUserAddress())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStubLayout checks that a stub holds nothing but the host's vDSO block
// at its place and its own two pages, and then exactly what MapFile maps.
func TestStubLayout(t *testing.T) {
	p := newPlatform(t)
	vdso := ""
	if addr, regions := p.VDSO(); addr != 0 {
		if regions[0].Start != 0x7fff_ffef_0000 {
			t.Errorf("vDSO block at %#x", regions[0].Start)
		}
		for _, r := range regions {
			perm := "r--p"
			if r.Name == "[vdso]" {
				perm = "r-xp"
				if addr != r.Start {
					t.Errorf("vDSO ELF at %#x, [vdso] at %#x", addr, r.Start)
				}
			}
			vdso += fmt.Sprintf("%x-%x %s ", r.Start, r.End, perm)
		}
	} else {
		t.Log("the host has no vDSO block that fits")
	}
	mem := newAppMem(t)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	pid := as.(*addressSpace).stub.pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err != nil || string(b) != "ward-stub\n" {
		t.Errorf("stub's comm %q, %v", b, err)
	}
	maps := func() []string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
		if err != nil {
			t.Fatal(err)
		}
		var ranges []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Fields(l)
			if strings.HasSuffix(l, "[vsyscall]") {
				continue // in the kernel's half, always there
			}
			ranges = append(ranges, f[0]+" "+f[1])
		}
		return ranges
	}
	want := "[" + vdso + "7fffffff0000-7fffffff1000 r-xp 7fffffff1000-7fffffff2000 rw-p]"
	if got := fmt.Sprint(maps()); got != want {
		t.Errorf("fresh stub maps %s, want %s", got, want)
	}
	if err := as.MapFile(codeAddr, mem.fd, 0, 2*pageSize, platform.ProtRead); err != nil {
		t.Fatal(err)
	}
	applyQueued(t, as)
	want = "[00400000-00402000 r--s " + vdso + "7fffffff0000-7fffffff1000 r-xp 7fffffff1000-7fffffff2000 rw-p]"
	if got := fmt.Sprint(maps()); got != want {
		t.Errorf("after MapFile, stub maps %s, want %s", got, want)
	}
	if err := as.Unmap(codeAddr, pageSize); err != nil {
		t.Fatal(err)
	}
	if err := as.Unmap(codeAddr+pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	want = "[" + vdso + "7fffffff0000-7fffffff1000 r-xp 7fffffff1000-7fffffff2000 rw-p]"
	if got := fmt.Sprint(maps()); got != want {
		t.Errorf("after Unmap, stub maps %s, want %s", got, want)
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Errorf("stub has %d descriptors, want 2 (its socket and the memory file)", len(ents))
	}
}

func TestMapFileErrors(t *testing.T) {
	p := newPlatform(t)
	mem := newAppMem(t)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	rw := platform.ProtRead | platform.ProtWrite
	for _, tc := range []struct {
		name   string
		addr   uintptr
		fd     int
		off    int64
		length uintptr
	}{
		{"below min", 0, mem.fd, 0, pageSize},
		{"stub page", stubStart, mem.fd, 0, pageSize},
		{"overlaps stub", stubStart - pageSize, mem.fd, 0, 2 * pageSize},
		{"wraps", codeAddr, mem.fd, 0, ^uintptr(0) &^ (pageSize - 1)},
		{"unaligned addr", codeAddr + 1, mem.fd, 0, pageSize},
		{"unaligned length", codeAddr, mem.fd, 0, 100},
		{"unaligned offset", codeAddr, mem.fd, 1, pageSize},
		{"empty", codeAddr, mem.fd, 0, 0},
		{"bad fd", codeAddr, 12345, 0, pageSize},
	} {
		if err := as.MapFile(tc.addr, tc.fd, tc.off, tc.length, rw); err == nil {
			t.Errorf("%s: MapFile(%#x, %d, %#x, %#x) succeeded", tc.name, tc.addr, tc.fd, tc.off, tc.length)
		}
	}
	if err := as.Unmap(stubStart, pageSize); err == nil {
		t.Error("Unmap of the stub page succeeded")
	}
	// The address space still works.
	if err := as.MapFile(codeAddr, mem.fd, 0, pageSize, rw); err != nil {
		t.Fatal(err)
	}
}

// TestSyscallStops: two system calls stop in Ward with their number and
// arguments; the host executes neither (the thread is alive after exit).
func TestSyscallStops(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	getpid := asm(movEDI(0x11), movESI(0x22), movEDX(0x33), movR10D(0x44), movR8D(0x55), movR9D(0x66),
		movEAX(39), syscallInsn)
	code := asm(getpid,
		movEDIEAX,               // exit's argument is getpid's result as given by the kernel
		movEAX(60), syscallInsn, // exit
		jmpSelf)
	as := newSpace(t, p, mem, code)
	c := newContext(t, p)
	st := initialState()

	mustSwitch(t, c, as, st, platform.StopSyscall)
	r := st.Regs
	if r.Orig_rax != 39 || r.Rdi != 0x11 || r.Rsi != 0x22 || r.Rdx != 0x33 || r.R10 != 0x44 || r.R8 != 0x55 || r.R9 != 0x66 {
		t.Errorf("getpid stop: nr %d args %#x %#x %#x %#x %#x %#x", r.Orig_rax, r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9)
	}
	if want := uint64(codeAddr + len(getpid)); r.Rip != want {
		t.Errorf("getpid stop: rip %#x, want %#x (after the syscall)", r.Rip, want)
	}
	st.Regs.Rax = 1234

	mustSwitch(t, c, as, st, platform.StopSyscall)
	if st.Regs.Orig_rax != 60 || st.Regs.Rdi != 1234 {
		t.Errorf("exit stop: nr %d arg %d, want 60 1234", st.Regs.Orig_rax, st.Regs.Rdi)
	}
	th := c.(*context).last
	if s := procState(th.pid, th.tid); s != "t" {
		t.Errorf("stub thread %d after exit: state %q, want t (stopped by its tracer)", th.tid, s)
	}
	if s := procState(th.pid, th.pid); s != "t" {
		t.Errorf("stub leader %d: state %q, want t", th.pid, s)
	}
}

// TestFaults: synchronous faults stop with their signal, code and address,
// and are not delivered: the thread goes on.
func TestFaults(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	c := newContext(t, p)
	const resume = codeAddr + 0x100 // "mov eax, 39; syscall" there
	for _, tc := range []struct {
		name  string
		code  []byte
		signo unix.Signal
		code_ int32
		addr  uintptr
	}{
		{"unmapped load", loadAbs(0x5000_0000), unix.SIGSEGV, 1 /* SEGV_MAPERR */, 0x5000_0000},
		{"store to code", asm(movEDI(codeAddr), storeEAXRDI), unix.SIGSEGV, 2 /* SEGV_ACCERR */, codeAddr},
		{"jump to stub", asm([]byte{0x48, 0xb8}, binary.LittleEndian.AppendUint64(nil, stubScratch), []byte{0xff, 0xe0}), unix.SIGSEGV, 2, stubScratch},
		{"ud2", ud2, unix.SIGILL, 2 /* ILL_ILLOPN */, codeAddr},
		{"int3", int3, unix.SIGTRAP, 0x80 /* SI_KERNEL */, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A subtest runs on a goroutine of its own, which must stay
			// on the OS thread that traces its stub thread. The thread
			// ends with the goroutine; the stub thread dies with it.
			runtime.LockOSThread()
			code := make([]byte, 0x100)
			copy(code, tc.code)
			code = asm(code, movEAX(39), syscallInsn, jmpSelf)
			as := newSpace(t, p, mem, code)
			st := initialState()
			stop := mustSwitch(t, c, as, st, platform.StopFault)
			if stop.Signo != int(tc.signo) || stop.Code != tc.code_ || stop.Addr != tc.addr {
				t.Errorf("stop %+v, want signo %d code %d addr %#x", stop, tc.signo, tc.code_, tc.addr)
			}
			st.Regs.Rip = resume
			mustSwitch(t, c, as, st, platform.StopSyscall)
		})
	}
}

func TestInterrupt(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	as := newSpace(t, p, mem, jmpSelf)
	c := newContext(t, p)
	st := initialState()

	for i := 0; i < 20; i++ {
		go func() {
			time.Sleep(time.Millisecond)
			c.Interrupt()
		}()
		mustSwitch(t, c, as, st, platform.StopInterrupted)
		if st.Regs.Rip != codeAddr {
			t.Fatalf("interrupted at %#x, want %#x", st.Regs.Rip, codeAddr)
		}
	}

	// Interrupt before Switch: the next Switch returns at once, the one
	// after runs again.
	c.Interrupt()
	start := time.Now()
	mustSwitch(t, c, as, st, platform.StopInterrupted)
	copy(mem.b, asm(movEAX(39), syscallInsn, jmpSelf))
	mustSwitch(t, c, as, st, platform.StopSyscall)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

// TestSharedMemory: the application's writes are visible in Ward's mapping of
// the memory file, and Ward's in the application's.
func TestSharedMemory(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	as := newSpace(t, p, mem, asm(storeRDI, loadESI4, movEAX(39), syscallInsn, jmpSelf))
	c := newContext(t, p)
	binary.LittleEndian.PutUint32(mem.b[dataOff+4:], 0x12345678)
	st := initialState()
	mustSwitch(t, c, as, st, platform.StopSyscall)
	if got := binary.LittleEndian.Uint32(mem.b[dataOff:]); got != 0xdeadbeef {
		t.Errorf("Ward reads %#x, want 0xdeadbeef", got)
	}
	if st.Regs.Rsi != 0x12345678 {
		t.Errorf("application read %#x, want 0x12345678", st.Regs.Rsi)
	}
}

// TestFDReuse: a Ward descriptor number closed and reused for another file is
// installed afresh in the stub.
func TestFDReuse(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	c := newContext(t, p)
	run := func(val uint32) {
		mem := newAppMem(t)
		copy(mem.b, asm(loadESI0, movEAX(39), syscallInsn, jmpSelf))
		binary.LittleEndian.PutUint32(mem.b[dataOff:], val)
		if err := as.MapFile(codeAddr, mem.fd, 0, pageSize, platform.ProtRead|platform.ProtExec); err != nil {
			t.Fatal(err)
		}
		if err := as.MapFile(dataAddr, mem.fd, dataOff, pageSize, platform.ProtRead); err != nil {
			t.Fatal(err)
		}
		st := initialState()
		mustSwitch(t, c, as, st, platform.StopSyscall)
		if st.Regs.Rsi != uint64(val) {
			t.Errorf("read %#x, want %#x", st.Regs.Rsi, val)
		}
		unix.Munmap(mem.b)
		unix.Close(mem.fd)
	}
	run(1)
	run(2) // most likely the same descriptor number as the first
}

// TestTwoContextsOneSpace: two application threads in one address space, on
// two locked goroutines, get two stub threads.
func TestTwoContextsOneSpace(t *testing.T) {
	p := newPlatform(t)
	mem := newAppMem(t)
	as := newSpace(t, p, mem, getpidLoop)
	pid := as.(*addressSpace).stub.pid

	var wg, ran sync.WaitGroup
	release := make(chan struct{})
	errs := make(chan error, 2)
	ran.Add(2)
	for id := uint64(1); id <= 2; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			c, err := p.NewContext()
			if err != nil {
				errs <- err
				ran.Done()
				return
			}
			defer c.Release()
			st := initialState()
			st.Regs.Rdi = id
			for i := 0; i < 300; i++ {
				stop, err := c.Switch(as, st)
				if err == nil && (stop.Reason != platform.StopSyscall || st.Regs.Orig_rax != 39 || st.Regs.Rdi != id) {
					err = fmt.Errorf("context %d: stop %v nr %d rdi %d", id, stop.Reason, st.Regs.Orig_rax, st.Regs.Rdi)
				}
				if err != nil {
					errs <- err
					break
				}
			}
			ran.Done()
			<-release
		}()
	}
	ran.Wait()
	if n := taskCount(t, pid); n != 3 {
		t.Errorf("stub has %d threads, want 3 (leader and two)", n)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := taskCount(t, pid); n != 1 {
		t.Errorf("after Release of both contexts the stub has %d threads, want 1", n)
	}
}

// TestOneContextTwoSpaces: one application thread switches between two
// address spaces (as across fork or exec).
func TestOneContextTwoSpaces(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	c := newContext(t, p)
	code := asm(loadESI0, movEAX(39), syscallInsn, []byte{0xeb, 0xf5}) // loop: mov esi,[rdi]; mov eax,39; syscall; jmp loop
	var spaces []platform.AddressSpace
	for i := uint32(0); i < 2; i++ {
		mem := newAppMem(t)
		binary.LittleEndian.PutUint32(mem.b[dataOff:], 100+i)
		spaces = append(spaces, newSpace(t, p, mem, code))
	}
	st := initialState()
	for i := 0; i < 10; i++ {
		as := spaces[i%2]
		mustSwitch(t, c, as, st, platform.StopSyscall)
		if want := uint64(100 + i%2); st.Regs.Rsi != want {
			t.Fatalf("switch %d: read %d, want %d", i, st.Regs.Rsi, want)
		}
	}
	if n := len(c.(*context).threads); n != 2 {
		t.Errorf("context has %d stub threads, want 2", n)
	}
}

// TestFPState: FP registers go in through State.FP and come back out, and
// survive a move to another address space.
func TestFPState(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	c := newContext(t, p)
	mem1, mem2 := newAppMem(t), newAppMem(t)
	as1 := newSpace(t, p, mem1, asm(movRSIXMM0, movXMM1RDI, movEAX(39), syscallInsn, jmpSelf))
	as2 := newSpace(t, p, mem2, asm(movRSIXMM1, movEAX(39), syscallInsn, jmpSelf))

	// nil FP is the initial state.
	st := initialState()
	mustSwitch(t, c, as1, st, platform.StopSyscall)
	if len(st.FP) != p.xsize || len(st.FP) < 576 {
		t.Fatalf("FP is %d bytes, want %d", len(st.FP), p.xsize)
	}
	le := binary.LittleEndian
	if fcw, mxcsr := le.Uint16(st.FP[0:]), le.Uint32(st.FP[24:]); fcw != 0x37f || mxcsr != 0x1f80 {
		t.Errorf("initial fcw %#x mxcsr %#x, want 0x37f 0x1f80", fcw, mxcsr)
	}
	if st.Regs.Rsi != 0 {
		t.Errorf("initial xmm0 %#x, want 0", st.Regs.Rsi)
	}

	// xmm0 in, xmm1 out.
	const xmm0, xmm1 = 160, 176
	le.PutUint64(st.FP[xmm0:], 0x1122334455667788)
	st.Regs.Rip = codeAddr
	st.Regs.Rdi = 0x0badc0ffee
	mustSwitch(t, c, as1, st, platform.StopSyscall)
	if st.Regs.Rsi != 0x1122334455667788 {
		t.Errorf("xmm0 read as %#x", st.Regs.Rsi)
	}
	if got := le.Uint64(st.FP[xmm1:]); got != 0x0badc0ffee {
		t.Errorf("xmm1 came back as %#x", got)
	}

	// xmm1 moves to another address space (another host thread).
	st.Regs.Rip = codeAddr
	mustSwitch(t, c, as2, st, platform.StopSyscall)
	if st.Regs.Rsi != 0x0badc0ffee {
		t.Errorf("xmm1 in the second address space: %#x", st.Regs.Rsi)
	}

	// A bare 512-byte FXSAVE area is accepted.
	legacy := make([]byte, 512)
	copy(legacy, p.initFP[:512])
	le.PutUint64(legacy[xmm0:], 42)
	st.FP = legacy
	st.Regs.Rip = codeAddr
	mustSwitch(t, c, as1, st, platform.StopSyscall)
	if st.Regs.Rsi != 42 || len(st.FP) != p.xsize {
		t.Errorf("from a legacy area: xmm0 %#x, FP %d bytes", st.Regs.Rsi, len(st.FP))
	}
}

// TestStubKilled: a stub killed from outside makes Switch and MapFile fail,
// not hang.
func TestStubKilled(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	as := newSpace(t, p, mem, jmpSelf)
	c := newContext(t, p)
	pid := as.(*addressSpace).stub.pid
	go func() {
		time.Sleep(10 * time.Millisecond)
		unix.Kill(int(pid), unix.SIGKILL)
	}()
	_, err := c.Switch(as, initialState())
	if !errors.Is(err, errStubDied) {
		t.Errorf("Switch in a killed stub: %v, want a stub-died error", err)
	}
	if err := as.MapFile(codeAddr, mem.fd, 0, pageSize, platform.ProtRead); err == nil {
		t.Error("MapFile in a killed stub succeeded")
	}
	as.Release()
	if kids := appChildren(p); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}

// TestNoLeaks: releasing address spaces and closing the platform leaves no
// stub process, not even a zombie, whatever the order of releases.
func TestNoLeaks(t *testing.T) {
	runtime.LockOSThread()
	if kids := children(); len(kids) != 0 {
		t.Fatalf("children before the test: %v", kids)
	}
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mem := newAppMem(t)
	var spaces []platform.AddressSpace
	var pids []int32
	for i := 0; i < 3; i++ {
		as := newSpace(t, p, mem, getpidLoop)
		spaces = append(spaces, as)
		pids = append(pids, as.(*addressSpace).stub.pid)
	}
	c1, _ := p.NewContext()
	c2, _ := p.NewContext()
	for _, as := range spaces {
		mustSwitch(t, c1, as, initialState(), platform.StopSyscall)
		mustSwitch(t, c2, as, initialState(), platform.StopSyscall)
	}
	if kids := appChildren(p); len(kids) != 3 {
		t.Errorf("children: %v, want the 3 stubs", kids)
	}

	// Context first, then its address space.
	c1.Release()
	if n := taskCount(t, pids[0]); n != 2 {
		t.Errorf("after a Context.Release, stub has %d threads, want 2", n)
	}
	spaces[0].Release()
	// Address space first, with a context's thread in it.
	spaces[1].Release()
	settle(p)
	for _, pid := range pids[:2] {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			t.Errorf("stub %d still exists after Release", pid)
		}
	}
	c2.Release()
	// Close releases the last one.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if kids := children(); len(kids) != 0 {
		t.Errorf("children after Close: %v", kids)
	}
	if _, err := p.NewAddressSpace(); err == nil {
		t.Error("NewAddressSpace after Close succeeded")
	}
}

// BenchmarkSyscallRoundTrip measures one application system call: Switch
// returning StopSyscall, and the next Switch resuming the thread.
func BenchmarkSyscallRoundTrip(b *testing.B) {
	runtime.LockOSThread()
	p := newPlatform(b)
	mem := newAppMem(b)
	as := newSpace(b, p, mem, getpidLoop)
	c := newContext(b, p)
	st := initialState()
	mustSwitch(b, c, as, st, platform.StopSyscall)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.Regs.Rax = 1
		if stop, err := c.Switch(as, st); err != nil || stop.Reason != platform.StopSyscall {
			b.Fatalf("Switch: %v %v", stop, err)
		}
	}
}

// TestVsyscallRefused: a call into the host's [vsyscall] page, which ptrace
// does not see, is refused by the stub's seccomp filter instead of being run
// by the host.
func TestVsyscallRefused(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	const vtime = 0xffff_ffff_ff60_0400 // time(2) in the vsyscall page
	code := asm(
		[]byte{0x31, 0xff},                                               // xor edi, edi
		[]byte{0x48, 0xb8}, binary.LittleEndian.AppendUint64(nil, vtime), // mov rax, vtime
		[]byte{0xff, 0xd0}, // call rax
		movEAX(39), syscallInsn, jmpSelf)
	as := newSpace(t, p, mem, code)
	c := newContext(t, p)
	st := initialState()
	stop := mustSwitch(t, c, as, st, platform.StopSignal)
	if stop.Signo != int(unix.SIGSYS) || stop.Code != 1 /* SYS_SECCOMP */ || stop.Addr != vtime {
		t.Errorf("stop %+v, want SIGSYS, SYS_SECCOMP at %#x", stop, uint64(vtime))
	}
	if st.Regs.Rax != unix.SYS_TIME || st.Regs.Rip != codeAddr+2+10+2 {
		t.Errorf("rax %d rip %#x, want %d (the call rolled back, not a time) and the return address", st.Regs.Rax, st.Regs.Rip, unix.SYS_TIME)
	}
	// The thread goes on after the call.
	mustSwitch(t, c, as, st, platform.StopSyscall)
}

// TestStubsDieWithWard: when Ward is killed outright, its stubs die too
// (PTRACE_O_EXITKILL, PR_SET_PDEATHSIG). Ward here is this test binary run
// again as a helper.
func TestStubsDieWithWard(t *testing.T) {
	if os.Getenv("WARD_PTRACE_HELPER") == "1" {
		stubsDieHelper()
		return
	}
	// Orphaned stubs come to this process rather than to init (which on
	// some machines never reaps them), to be reaped below.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	cmd := exec.Command(os.Args[0], "-test.run=^TestStubsDieWithWard$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WARD_PTRACE_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids, pooled []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && (f[0] == "stub" || f[0] == "pooled" || f[0] == "template") {
			pid, _ := strconv.Atoi(f[1])
			if f[0] == "stub" {
				pids = append(pids, pid)
			} else {
				pooled = append(pooled, pid)
			}
		}
		if sc.Text() == "ready" {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if len(pids) != 2 {
		t.Fatalf("helper reported stubs %v, want 2", pids)
	}
	t.Logf("helper %d had stubs %v and pooled stubs %v", cmd.Process.Pid, pids, pooled)
	for _, pid := range append(pids, pooled...) {
		if err := awaitStubEnd(pid, 10*time.Second); err != nil {
			t.Error(err)
		}
	}
}

// awaitStubEnd waits until stub pid, whose Ward has been killed, is gone:
// reaped here (this process is the subreaper) with SIGKILL as its cause, or
// released by the host. A stub forked from the template is the template's
// child: if it dies while the template, which ignores SIGCHLD, is alive,
// the host releases it at once (wait4 says ECHILD and /proc has no entry);
// if it outlives the template it is reparented here, which takes a moment
// during which wait4 says ECHILD although the process still exists.
func awaitStubEnd(pid int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		switch {
		case err == nil && got == pid:
			if !ws.Signaled() || ws.Signal() != unix.SIGKILL {
				return fmt.Errorf("stub %d ended with status %#x, want killed by SIGKILL", pid, uint32(ws))
			}
			return nil
		case errors.Is(err, unix.ECHILD):
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				return nil
			}
		case err != nil:
			return fmt.Errorf("reaping stub %d: %v", pid, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stub %d still exists %v after its Ward was killed", pid, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stubsDieHelper is the Ward of TestStubsDieWithWard: two stubs, one running
// an application thread, and then it waits to be killed.
func stubsDieHelper() {
	runtime.LockOSThread()
	p, err := New()
	if err != nil {
		fmt.Println("error", err)
		return
	}
	for i := 0; i < 2; i++ {
		as, err := p.NewAddressSpace()
		if err != nil {
			fmt.Println("error", err)
			return
		}
		fmt.Println("stub", as.(*addressSpace).stub.pid)
		if i == 1 {
			c, _ := p.NewContext()
			go func() { time.Sleep(50 * time.Millisecond); c.Interrupt() }()
			c.Switch(as, &platform.State{}) // rip 0: faults at once
		}
	}
	settle(p)
	for _, s := range p.pool {
		fmt.Println("pooled", s.pid)
	}
	if pid := templatePID(p); pid != 0 {
		fmt.Println("template", pid)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
}

// TestStubKilledIdle: a stub killed during an injection while a context's
// thread in it is idle (stopped, not waited for by its tracer) makes the
// injection fail, not hang, although the host reports the leader's death
// only after the idle thread has been reaped.
func TestStubKilledIdle(t *testing.T) {
	runtime.LockOSThread()
	p := newPlatform(t)
	mem := newAppMem(t)
	as := newSpace(t, p, mem, getpidLoop)
	a := as.(*addressSpace)
	c := newContext(t, p)
	mustSwitch(t, c, as, initialState(), platform.StopSyscall)
	done := make(chan error, 1)
	go func() {
		// pause(2) in the leader blocks the master in wait4 until
		// the stub is killed.
		done <- p.m.do(func() error {
			_, err := a.stub.syscall(unix.SYS_PAUSE)
			return err
		})
	}()
	time.Sleep(20 * time.Millisecond)
	unix.Kill(int(a.stub.pid), unix.SIGKILL)
	select {
	case err := <-done:
		if !errors.Is(err, errStubDied) {
			t.Errorf("injection into a killed stub: %v, want a stub-died error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("injection into a killed stub hangs")
	}
	if err := as.MapFile(codeAddr, mem.fd, 0, pageSize, platform.ProtRead); !errors.Is(err, errStubDied) {
		t.Errorf("MapFile in a killed stub: %v, want a stub-died error", err)
	}
	if _, err := c.Switch(as, initialState()); err == nil {
		t.Error("Switch in a killed stub succeeded")
	}
	as.Release()
	if kids := appChildren(p); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}
