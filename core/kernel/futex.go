package kernel

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"golang.org/x/sys/unix"
)

// futexKey identifies a futex word.
//
//   - A private futex (FUTEX_PRIVATE_FLAG, or any futex in private memory)
//     is keyed by its address space and address.
//   - A shared futex in a MAP_SHARED file mapping is keyed by the file's
//     device and inode and the word's offset in the file, so processes that
//     map the same file at different addresses meet on the same word.
//   - A shared futex in MAP_SHARED|MAP_ANONYMOUS memory is keyed by its
//     address alone (dev = sharedAnonDev): such memory is shared only by
//     inheritance across fork, which keeps addresses. Two unrelated
//     processes that use the same address may wake each other spuriously,
//     which futex users must tolerate anyway; core/mm does not yet name the
//     anonymous object behind a VMA (see docs/kernel.md).
type futexKey struct {
	mm       *mm.MemoryManager
	dev, ino uint64
	off      uint64
}

// sharedAnonDev marks a key of shared anonymous memory.
const sharedAnonDev = ^uint64(0)

type futexWaiter struct {
	bitset uint32
	// key is the word the waiter waits on; requeue changes it. Guarded
	// by futexTable.mu.
	key   futexKey
	woken chan struct{}
}

// futexTable holds the tasks waiting on futex words.
type futexTable struct {
	mu      sync.Mutex
	waiters map[futexKey][]*futexWaiter
}

func (f *futexTable) init() { f.waiters = map[futexKey][]*futexWaiter{} }

// futexKeyFor returns the key of the word at addr of m.
func futexKeyFor(m *mm.MemoryManager, addr uintptr, private bool) futexKey {
	if private {
		return futexKey{mm: m, off: uint64(addr)}
	}
	// VMAs copies the map; shared (non-private) futex operations are rare
	// (process-shared mutexes and semaphores).
	for _, v := range m.VMAs() {
		if addr < v.Start || addr >= v.End {
			continue
		}
		if !v.Shared {
			break
		}
		if v.Identity != nil && !v.Anonymous {
			return futexKey{dev: v.Identity.DeviceID(), ino: v.Identity.InodeID(), off: v.Offset + uint64(addr-v.Start)}
		}
		return futexKey{dev: sharedAnonDev, off: uint64(addr)}
	}
	return futexKey{mm: m, off: uint64(addr)}
}

// wakeLocked wakes up to n waiters of key whose bitset intersects mask.
//
// Preconditions: f.mu is held.
func (f *futexTable) wakeLocked(key futexKey, n int, mask uint32) int {
	ws := f.waiters[key]
	woken := 0
	kept := ws[:0]
	for _, w := range ws {
		if woken < n && w.bitset&mask != 0 {
			close(w.woken)
			woken++
			continue
		}
		kept = append(kept, w)
	}
	if len(kept) == 0 {
		delete(f.waiters, key)
	} else {
		f.waiters[key] = kept
	}
	return woken
}

// wake wakes up to n waiters of the private word (m, addr) whose bitset
// intersects mask.
func (f *futexTable) wake(m *mm.MemoryManager, addr uintptr, n int, mask uint32) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wakeLocked(futexKey{mm: m, off: uint64(addr)}, n, mask)
}

// wakeKey wakes up to n waiters of key.
func (f *futexTable) wakeKey(key futexKey, n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wakeLocked(key, n, ^uint32(0))
}

// requeueLocked wakes up to nWake waiters of from and moves up to nMove
// of the rest to to; it returns how many it woke plus moved.
//
// Preconditions: f.mu is held.
func (f *futexTable) requeueLocked(from, to futexKey, nWake, nMove int) int {
	done := f.wakeLocked(from, nWake, ^uint32(0))
	if from == to || nMove <= 0 {
		return done
	}
	ws := f.waiters[from]
	moved := 0
	for moved < len(ws) && moved < nMove {
		w := ws[moved]
		w.key = to
		f.waiters[to] = append(f.waiters[to], w)
		moved++
	}
	if moved == len(ws) {
		delete(f.waiters, from)
	} else {
		f.waiters[from] = ws[moved:]
	}
	return done + moved
}

// loadWord reads the 32-bit futex word at addr.
func loadWord(m *mm.MemoryManager, addr uintptr) (uint32, error) {
	var buf [4]byte
	if _, err := m.CopyIn(addr, buf[:]); err != nil {
		return 0, unix.EFAULT
	}
	return binary.LittleEndian.Uint32(buf[:]), nil
}

// storeWord writes the 32-bit futex word at addr.
func storeWord(m *mm.MemoryManager, addr uintptr, v uint32) error {
	var buf [4]byte
	binary.LittleEndian.PutUint32(buf[:], v)
	if _, err := m.CopyOut(addr, buf[:]); err != nil {
		return unix.EFAULT
	}
	return nil
}

// FutexWait implements FUTEX_WAIT and FUTEX_WAIT_BITSET: it sleeps while
// the word at addr holds val, until woken, the deadline passes (zero
// deadline: none) or the task is interrupted.
func (t *Task) FutexWait(addr uintptr, val, bitset uint32, deadline time.Time, private bool) error {
	if addr%4 != 0 {
		return unix.EINVAL
	}
	if bitset == 0 {
		return unix.EINVAL
	}
	m := t.MM()
	f := &t.k.futexes
	w := &futexWaiter{bitset: bitset, key: futexKeyFor(m, addr, private), woken: make(chan struct{})}
	f.mu.Lock()
	cur, err := loadWord(m, addr)
	if err != nil {
		f.mu.Unlock()
		return err
	}
	if cur != val {
		f.mu.Unlock()
		return unix.EAGAIN
	}
	f.waiters[w.key] = append(f.waiters[w.key], w)
	f.mu.Unlock()

	remove := func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		ws := f.waiters[w.key]
		for i, o := range ws {
			if o == w {
				f.waiters[w.key] = append(ws[:i], ws[i+1:]...)
				if len(f.waiters[w.key]) == 0 {
					delete(f.waiters, w.key)
				}
				return true
			}
		}
		return false // already woken
	}
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		select {
		case <-w.woken:
			return nil
		case <-timeout:
			if remove() {
				return unix.ETIMEDOUT
			}
			return nil
		case <-t.intr:
			if t.CheckInterrupt() {
				if remove() {
					// As Linux: an untimed wait restarts after a
					// SA_RESTART handler; a timed one fails with
					// EINTR.
					if deadline.IsZero() {
						return errRestartSys
					}
					return unix.EINTR
				}
				return nil
			}
		}
	}
}

// FutexWake implements FUTEX_WAKE and FUTEX_WAKE_BITSET.
func (t *Task) FutexWake(addr uintptr, n int, bitset uint32, private bool) (int, error) {
	if addr%4 != 0 || bitset == 0 {
		return 0, unix.EINVAL
	}
	f := &t.k.futexes
	key := futexKeyFor(t.MM(), addr, private)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wakeLocked(key, n, bitset), nil
}

// FutexRequeue implements FUTEX_REQUEUE and, with cmp set, FUTEX_CMP_REQUEUE
// (which fails with EAGAIN unless the word at addr holds val): it wakes up
// to nWake waiters of addr and moves up to nMove others to addr2.
func (t *Task) FutexRequeue(addr, addr2 uintptr, nWake, nMove int, cmp bool, val uint32, private bool) (int, error) {
	if addr%4 != 0 || addr2%4 != 0 || nWake < 0 || nMove < 0 {
		return 0, unix.EINVAL
	}
	m := t.MM()
	from, to := futexKeyFor(m, addr, private), futexKeyFor(m, addr2, private)
	f := &t.k.futexes
	f.mu.Lock()
	defer f.mu.Unlock()
	if cmp {
		cur, err := loadWord(m, addr)
		if err != nil {
			return 0, err
		}
		if cur != val {
			return 0, unix.EAGAIN
		}
	}
	return f.requeueLocked(from, to, nWake, nMove), nil
}

// FutexWakeOp implements FUTEX_WAKE_OP: it applies the operation encoded in
// op to the word at addr2, wakes up to n waiters of addr, and, if the
// word's old value passes op's comparison, up to n2 waiters of addr2.
//
// The read-modify-write is atomic with respect to other futex operations
// (it runs under the futex table's lock) but not with respect to
// application code running on another thread at that instant: core/mm
// offers no atomic access to application memory yet (docs/kernel.md).
func (t *Task) FutexWakeOp(addr, addr2 uintptr, n, n2 int, op uint32, private bool) (int, error) {
	if addr%4 != 0 || addr2%4 != 0 {
		return 0, unix.EINVAL
	}
	kind := (op >> 28) & 7
	shift := op&(linux.FUTEX_OP_OPARG_SHIFT<<28) != 0
	cmp := (op >> 24) & 15
	oparg := int32(op<<8) >> 20 // sign-extended 12 bits
	cmparg := int32(op<<20) >> 20
	if shift {
		if oparg < 0 || oparg > 31 {
			oparg &= 31 // Linux warns and masks
		}
		oparg = 1 << uint(oparg)
	}
	m := t.MM()
	k1, k2 := futexKeyFor(m, addr, private), futexKeyFor(m, addr2, private)
	f := &t.k.futexes
	f.mu.Lock()
	defer f.mu.Unlock()
	old, err := loadWord(m, addr2)
	if err != nil {
		return 0, err
	}
	var nv uint32
	switch kind {
	case linux.FUTEX_OP_SET:
		nv = uint32(oparg)
	case linux.FUTEX_OP_ADD:
		nv = old + uint32(oparg)
	case linux.FUTEX_OP_OR:
		nv = old | uint32(oparg)
	case linux.FUTEX_OP_ANDN:
		nv = old &^ uint32(oparg)
	case linux.FUTEX_OP_XOR:
		nv = old ^ uint32(oparg)
	default:
		return 0, unix.ENOSYS
	}
	var pass bool
	switch o := int32(old); cmp {
	case linux.FUTEX_OP_CMP_EQ:
		pass = o == cmparg
	case linux.FUTEX_OP_CMP_NE:
		pass = o != cmparg
	case linux.FUTEX_OP_CMP_LT:
		pass = o < cmparg
	case linux.FUTEX_OP_CMP_LE:
		pass = o <= cmparg
	case linux.FUTEX_OP_CMP_GT:
		pass = o > cmparg
	case linux.FUTEX_OP_CMP_GE:
		pass = o >= cmparg
	default:
		return 0, unix.ENOSYS
	}
	if err := storeWord(m, addr2, nv); err != nil {
		return 0, err
	}
	woken := f.wakeLocked(k1, n, ^uint32(0))
	if pass {
		woken += f.wakeLocked(k2, n2, ^uint32(0))
	}
	return woken, nil
}

// Robust futex list (<linux/futex.h>): struct robust_list_head is
// {list.next, futex_offset, list_op_pending}; each entry's low bit marks
// a PI futex.
const (
	robustListLimit = 2048 // ROBUST_LIST_LIMIT
)

// exitRobustList walks the task's robust futex list as it dies (Linux's
// exit_robust_list): every futex the task still owns gets
// FUTEX_OWNER_DIED, and one waiter is woken, so the next locker sees
// EOWNERDIED.
//
// Preconditions: called on the task's goroutine, with the address space
// the list lives in still installed.
func (t *Task) exitRobustList() {
	t.mu.Lock()
	head := t.robustList
	t.robustList = 0
	t.mu.Unlock()
	m := t.MM()
	if head == 0 || m == nil {
		return
	}
	var hb [24]byte
	if _, err := m.CopyIn(head, hb[:]); err != nil {
		return
	}
	le := binary.LittleEndian
	next := uintptr(le.Uint64(hb[0:]))
	offset := int64(le.Uint64(hb[8:]))
	pending := uintptr(le.Uint64(hb[16:]))
	for i := 0; next != head && next != 0 && i < robustListLimit; i++ {
		entry := next &^ 1
		var nb [8]byte
		if _, err := m.CopyIn(entry, nb[:]); err != nil {
			return
		}
		next = uintptr(le.Uint64(nb[:]))
		if entry != pending&^1 {
			t.futexDeath(m, uintptr(int64(entry)+offset))
		}
	}
	if pending != 0 {
		t.futexDeath(m, uintptr(int64(pending&^1)+offset))
	}
}

// futexDeath marks the futex at addr as owned by a dead thread if t owns
// it, and wakes a waiter (Linux's handle_futex_death).
func (t *Task) futexDeath(m *mm.MemoryManager, addr uintptr) {
	if addr%4 != 0 {
		return
	}
	f := &t.k.futexes
	f.mu.Lock()
	cur, err := loadWord(m, addr)
	if err != nil || cur&linux.FUTEX_TID_MASK != uint32(t.tid) {
		f.mu.Unlock()
		return
	}
	nv := cur&linux.FUTEX_WAITERS | linux.FUTEX_OWNER_DIED
	if storeWord(m, addr, nv) != nil {
		f.mu.Unlock()
		return
	}
	// Robust mutexes may be process-shared: wake both a private and a
	// shared waiter key (the word has only one kind of waiter).
	f.wakeLocked(futexKey{mm: m, off: uint64(addr)}, 1, ^uint32(0))
	f.mu.Unlock()
	if k := futexKeyFor(m, addr, false); k.mm == nil {
		f.wakeKey(k, 1)
	}
}
