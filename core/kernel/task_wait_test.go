package kernel

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"

	"golang.org/x/sys/unix"
)

func TestWaitResultStatus(t *testing.T) {
	for _, tc := range []struct {
		name         string
		r            WaitResult
		word         uint32
		code, status int32
	}{
		{"exited", WaitResult{Event: WaitExited, Status: ExitStatus{Code: 3}}, 0x300, 1, 3},
		{"killed", WaitResult{Event: WaitExited, Status: ExitStatus{Signo: 9}}, 9, 2, 9},
		{"dumped", WaitResult{Event: WaitExited, Status: ExitStatus{Signo: 11, Core: true}}, 0x8b, 3, 11},
		{"stopped", WaitResult{Event: WaitStopped, StopSignal: int(unix.SIGTSTP)}, 0x147f, 5, int32(unix.SIGTSTP)},
		{"continued", WaitResult{Event: WaitContinued}, 0xffff, 6, int32(unix.SIGCONT)},
	} {
		if w := tc.r.WaitStatus(); w != tc.word {
			t.Errorf("%s: status word %#x, want %#x", tc.name, w, tc.word)
		}
		if c, s := tc.r.SiginfoCode(); c != tc.code || s != tc.status {
			t.Errorf("%s: si_code %d si_status %d, want %d %d", tc.name, c, s, tc.code, tc.status)
		}
	}
}

func TestFutexRequeue(t *testing.T) {
	var f futexTable
	f.init()
	a, b := futexKey{off: 0x1000}, futexKey{off: 0x2000}
	var ws []*futexWaiter
	for i := 0; i < 5; i++ {
		w := &futexWaiter{bitset: ^uint32(0), key: a, woken: make(chan struct{})}
		f.waiters[a] = append(f.waiters[a], w)
		ws = append(ws, w)
	}
	f.mu.Lock()
	n := f.requeueLocked(a, b, 1, 2)
	f.mu.Unlock()
	if n != 3 {
		t.Fatalf("requeue returned %d, want 3", n)
	}
	select {
	case <-ws[0].woken:
	default:
		t.Error("the first waiter was not woken")
	}
	if len(f.waiters[a]) != 2 || len(f.waiters[b]) != 2 || ws[1].key != b || ws[3].key != a {
		t.Errorf("after requeue: %d on a, %d on b", len(f.waiters[a]), len(f.waiters[b]))
	}
	if got := f.wakeKey(b, 10); got != 2 {
		t.Errorf("woke %d on b, want 2", got)
	}
}

// TestOrphanedPgrp checks POSIX's orphaned process groups, which decide
// whether SIGTSTP, SIGTTIN and SIGTTOU stop a process or are discarded.
func TestOrphanedPgrp(t *testing.T) {
	k := &Kernel{pids: newPIDNamespace()}
	add := func(tgid, pgid, sid int32, parent *ThreadGroup) *ThreadGroup {
		tg := &ThreadGroup{tgid: tgid, pgid: pgid, sid: sid, parent: parent}
		k.pids.groups[tgid] = tg
		return tg
	}
	init := add(1, 1, 1, nil)
	shell := add(2, 2, 1, init) // its own group, parent in group 1
	job := add(3, 3, 1, shell)  // a job of the shell
	add(4, 3, 1, job)           // the job's child, same group
	other := add(5, 5, 5, init) // a new session: parent in another session
	for _, tc := range []struct {
		pgid int32
		want bool
	}{
		{1, true},  // init alone: no parent
		{2, false}, // parent (init) in another group of the session
		{3, false}, // the shell can continue the job
		{5, true},  // parent in another session
	} {
		if got := k.orphanedPgrpLocked(tc.pgid); got != tc.want {
			t.Errorf("group %d orphaned = %v, want %v", tc.pgid, got, tc.want)
		}
	}
	if !k.discardStopLocked(other, int(unix.SIGTSTP)) || k.discardStopLocked(other, int(unix.SIGSTOP)) {
		t.Error("in an orphaned group SIGTSTP must be discarded and SIGSTOP not")
	}
	if k.discardStopLocked(job, int(unix.SIGTTIN)) {
		t.Error("SIGTTIN discarded in a group the shell can continue")
	}
}

// TestSigPending checks that standard signals coalesce and real-time ones
// queue in order, that drop discards every instance, and that find sees
// queued instances.
func TestSigPending(t *testing.T) {
	var p sigPending
	info := func(sig, v int32) *linux.Siginfo {
		i := linux.Siginfo{Signo: sig, Code: v}
		return &i
	}
	p.add(10, info(10, 1))
	p.add(10, info(10, 2))
	p.add(34, info(34, 1))
	p.add(34, info(34, 2))
	p.add(34, info(34, 3))
	if got := p.take(10); got.Code != 1 || p.has(10) {
		t.Errorf("standard signal: took code %d, still pending %v; want 1 and gone", got.Code, p.has(10))
	}
	if p.find(34, func(i *linux.Siginfo) bool { return i.Code == 3 }) == nil {
		t.Error("find missed a queued instance")
	}
	for want := int32(1); want <= 2; want++ {
		if got := p.take(34); got.Code != want || !p.has(34) {
			t.Fatalf("real-time signal: took code %d, want %d, still pending", got.Code, want)
		}
	}
	p.add(34, info(34, 4))
	p.drop(sigBit(34))
	if p.has(34) || len(p.more) != 0 {
		t.Error("drop left instances behind")
	}
	for i := 0; i < maxQueuedRT+10; i++ {
		p.add(40, info(40, int32(i)))
	}
	if n := len(p.more[40]); n != maxQueuedRT {
		t.Errorf("%d instances queued beyond the first, want the bound %d", n, maxQueuedRT)
	}
}
