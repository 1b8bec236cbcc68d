//go:build linux && amd64

package ptrace

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Batched injection.
//
// Each injected system call is a ptrace round trip (set registers,
// continue, wait for the trap, get registers): about 15-25us. The first
// Switch into a forked or exec'd address space applies a queue of a dozen or
// more mmaps and munmaps, so the stub's batch slot (stub_elf.go) runs a whole
// table of calls in one round trip: Ward writes the table into the stub's
// scratch page (scratchBatch onward) with one process_vm_writev, points r12
// at it and r13 at its length, and continues the thread to the trap.

const (
	// scratchBatch is where the table starts in the scratch page, after
	// the recvmsg buffers (stub_fds.go).
	scratchBatch = 512

	// batchEntrySize is one entry: the number and six arguments.
	batchEntrySize = 7 * 8

	// maxBatch is how many entries fit in the scratch page.
	maxBatch = (pageSize - scratchBatch) / batchEntrySize
)

// call is one system call of a batch.
type call struct {
	nr   uintptr
	args [6]uintptr
}

// batchError is the failure of one call of a batch: the calls before it
// were done, it and the ones after it were not.
type batchError struct {
	index int
	nr    uintptr
	errno unix.Errno
}

func (e *batchError) Error() string {
	return fmt.Sprintf("call %d of the batch (syscall %d): %v", e.index, e.nr, e.errno)
}

func (e *batchError) Unwrap() error { return e.errno }

// encodeBatch lays calls out as the batch slot reads them.
func encodeBatch(calls []call) []byte {
	b := make([]byte, len(calls)*batchEntrySize)
	le := binary.LittleEndian
	for i, c := range calls {
		e := b[i*batchEntrySize:]
		le.PutUint64(e, uint64(c.nr))
		for j, a := range c.args {
			le.PutUint64(e[8+8*j:], uint64(a))
		}
	}
	return b
}

// injectBatch makes the stopped thread tid run calls, in order, and returns
// nil if all succeeded, a *batchError for the first that failed (a
// system-call error: the thread is fine), or another error (the thread
// is not). pid is the stub's process, whose scratch page holds the table.
//
// Preconditions: the calling OS thread is tid's tracer; tid is stopped; the
// caller owns the scratch page (holds the address space's mu).
func injectBatch(pid, tid int32, tmpl *unix.PtraceRegs, calls []call) error {
	for done := 0; done < len(calls); {
		chunk := calls[done:min(len(calls), done+maxBatch)]
		if err := writeScratch(pid, tid, scratchBatch, encodeBatch(chunk)); err != nil {
			return err
		}
		regs := *tmpl
		regs.Rip = batchSlot
		regs.R12 = stubScratch + scratchBatch
		regs.R13 = uint64(len(chunk))
		if err := runToTrap(tid, &regs, batchTrap, fmt.Sprintf("a batch of %d injected syscalls", len(chunk))); err != nil {
			return err
		}
		if left := int(regs.R13); left != 0 {
			if left > len(chunk) {
				return fmt.Errorf("ptrace: stub thread %d: batch reports %d of %d calls left", tid, left, len(chunk))
			}
			i := len(chunk) - left
			_, err := errnoResult(regs.Rax)
			errno, ok := err.(unix.Errno)
			if !ok {
				return fmt.Errorf("ptrace: stub thread %d: batch stopped at call %d with result %#x", tid, done+i, regs.Rax)
			}
			return &batchError{index: done + i, nr: chunk[i].nr, errno: errno}
		}
		done += len(chunk)
	}
	return nil
}
