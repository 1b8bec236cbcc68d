package kernel

import (
	"sync"
	"time"

	"github.com/seed-a9fb2a21/ward/core/mm"
	"golang.org/x/sys/unix"
)

// Running out of memory.
//
// The sandbox's memory is the memory file, bounded by its limit (the memory
// cgroup's, or the host's memory). mmap refuses a mapping larger than all of
// memory (core/mm's overcommit check), so memory runs out in a page fault:
// some process touches a page and there is none to give it. Instead of
// failing that process, which may be a bystander (the shell, init), the
// kernel does what Linux's OOM killer does:
//
//  1. it frees what can be freed without hurting anyone: the page cache's
//     unused files (core/mm PageCache.Reclaim);
//  2. otherwise it kills the process with the most resident memory (the
//     "victim") with SIGKILL, logs it, and waits until the victim's address
//     space has been released;
//  3. the faulting task then returns to the application without a signal,
//     the instruction faults again and, memory now free, succeeds.
//
// One victim at a time: a task that runs out while a victim is dying waits
// for it rather than choosing another. A task that is itself chosen (or
// killed meanwhile) just returns; its kill ends it. Memory held by tmpfs
// files is not freed by killing anyone; then, as on Linux, the OOM killer
// goes on killing until the faulting process is the biggest and dies.
//
// Locking: oomState.mu serializes the choice and is taken before
// Kernel.mu; the wait happens without either lock held.

// oomState is the kernel's out-of-memory state.
type oomState struct {
	mu sync.Mutex
	// victim is the process being killed, nil when none is.
	victim *ThreadGroup
	// kills counts the processes killed for memory.
	kills int
}

// oomWaitLimit bounds how long a task waits for a victim to release its
// memory before it tries again (and picks another victim if it must).
const oomWaitLimit = 5 * time.Second

// outOfMemory handles a page fault of t that found no memory; see above.
// On return t should retry the fault (or die, if it was killed).
func (t *Task) outOfMemory() {
	k := t.k
	if n := mm.PageCacheFor(k.memfile).Reclaim(); n > 0 {
		k.log.Debug("out of memory: reclaimed the page cache", "bytes", n)
		return
	}
	k.oom.mu.Lock()
	victim := k.oom.victim
	if victim == nil || victimDone(victim) {
		victim = k.chooseOOMVictim()
		if victim == nil {
			k.oom.mu.Unlock()
			return
		}
		rss := uintptr(0)
		if m := victim.MM(); m != nil {
			rss = m.ResidentSize()
		}
		k.mu.Lock()
		leader := victim.leader
		k.killGroupLocked(victim, ExitStatus{Signo: int(unix.SIGKILL)})
		k.mu.Unlock()
		k.log.Warn("out of memory: killed process", "pid", victim.tgid, "comm", leader.Comm(),
			"resident_kib", rss/1024, "limit_kib", k.memfile.Limit()/1024, "faulting_pid", t.tg.tgid)
		k.oom.victim = victim
		k.oom.kills++
	}
	k.oom.mu.Unlock()
	if victim == t.tg {
		return
	}
	deadline := time.Now().Add(oomWaitLimit)
	for !victimDone(victim) && !t.killed.Load() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
}

// victimDone reports whether an OOM victim has given its memory back.
func victimDone(tg *ThreadGroup) bool {
	m := tg.MM()
	return m == nil || m.Released()
}

// chooseOOMVictim returns the live process with the most resident memory,
// or nil if there is none.
func (k *Kernel) chooseOOMVictim() *ThreadGroup {
	k.mu.Lock()
	var groups []*ThreadGroup
	for _, g := range k.pids.groups {
		if !g.zombie && !g.exiting {
			groups = append(groups, g)
		}
	}
	k.mu.Unlock()
	// Sizes are read without Kernel.mu: ResidentSize takes the address
	// space's lock, which comes before it.
	var best *ThreadGroup
	var bestRSS uintptr
	for _, g := range groups {
		m := g.MM()
		if m == nil {
			continue
		}
		if rss := m.ResidentSize(); best == nil || rss > bestRSS || (rss == bestRSS && g.tgid > best.tgid) {
			best, bestRSS = g, rss
		}
	}
	return best
}

// OOMKills returns how many processes the kernel has killed for memory.
func (k *Kernel) OOMKills() int {
	k.oom.mu.Lock()
	defer k.oom.mu.Unlock()
	return k.oom.kills
}
