//go:build linux && amd64

package ptrace

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The scratch page (stubScratch) holds the memory arguments of injected
// system calls: recvmsg's buffers (stub_fds.go) and batch tables
// (stub_batch.go). Ward reaches it with one process_vm_writev or
// process_vm_readv, and falls back to PTRACE_POKEDATA and PTRACE_PEEKDATA,
// a word per system call, where those are refused.

// writeScratch copies b to offset off of the stub's scratch page: one
// process_vm_writev, or word by word with PTRACE_POKEDATA where that is
// refused.
func writeScratch(pid, tid int32, off uintptr, b []byte) error {
	local := []unix.Iovec{{Base: unsafe.SliceData(b), Len: uint64(len(b))}}
	remote := []unix.RemoteIovec{{Base: stubScratch + off, Len: len(b)}}
	if n, err := unix.ProcessVMWritev(int(pid), local, remote, 0); err == nil && n == len(b) {
		return nil
	}
	if _, err := unix.PtracePokeData(int(tid), stubScratch+off, b); err != nil {
		return threadError(tid, "PTRACE_POKEDATA", err)
	}
	return nil
}

// readScratch copies len(b) bytes from offset off of the stub's scratch
// page into b.
func readScratch(pid, tid int32, off uintptr, b []byte) error {
	local := []unix.Iovec{{Base: unsafe.SliceData(b), Len: uint64(len(b))}}
	remote := []unix.RemoteIovec{{Base: stubScratch + off, Len: len(b)}}
	if n, err := unix.ProcessVMReadv(int(pid), local, remote, 0); err == nil && n == len(b) {
		return nil
	}
	if _, err := unix.PtracePeekData(int(tid), stubScratch+off, b); err != nil {
		return threadError(tid, "PTRACE_PEEKDATA", err)
	}
	return nil
}
