//go:build linux && amd64

package ptrace

import "encoding/binary"

// The stub's memory layout. Every stub process holds exactly these two pages
// of its own; everything else in it is a window of a kernel file mapped by
// MapFile inside [MinUserAddress, MaxUserAddress).
//
//	0x0000_0000_0000 .. 0x0000_0001_0000   never mapped (below MinUserAddress)
//	0x0000_0001_0000 .. 0x7fff_ffef_0000   application: [MinUserAddress, MaxUserAddress)
//	0x7fff_ffef_0000 .. 0x7fff_ffff_0000   the host's vDSO and vvar, moved here (vdso.go)
//	0x7fff_ffff_0000 .. 0x7fff_ffff_1000   stub code page, r-x, from the stub ELF image
//	0x7fff_ffff_1000 .. 0x7fff_ffff_2000   stub scratch page, rw-, anonymous private (mmap injected)
//	0x7fff_ffff_2000 .. 0x7fff_ffff_f000   never mapped (the top of the x86-64 user half)
//
// The stack that exec gave the stub is unmapped when it starts, and its
// vDSO and vvar are moved (see prepare).
const (
	// minUserAddress is the lowest application address (the usual
	// vm.mmap_min_addr).
	minUserAddress = 0x1_0000

	// stubStart is the stub's code page.
	stubStart = 0x7fff_ffff_0000

	// maxUserAddress is the end of the application's range: the host's
	// vDSO block starts there (vdso.go).
	maxUserAddress = vdsoBase

	// stubScratch is a read-write page for the arguments of injected
	// system calls that take pointers (recvmsg, prctl, seccomp).
	stubScratch = stubStart + pageSize

	// stubEnd is the end of the stub's own pages.
	stubEnd = stubScratch + pageSize

	// taskSize is the end of the x86-64 user address space with 4-level
	// page tables (and the default 47-bit limit with 5-level ones).
	taskSize = 0x7fff_ffff_f000

	pageSize = 0x1000
)

// Offsets of the stub's code inside the code page. The ELF header and program
// headers occupy the start of the page; the code follows them.
const (
	codeOffset = 0x100
	codeBase   = stubStart + codeOffset

	// idleLoop is the entry point, and where a thread made by the clone
	// slot goes: it sleeps in pause(2) forever until a tracer seizes it.
	idleLoop = codeBase + 0x00

	// syscallSlot is a syscall instruction followed by int3; a tracer
	// injects a system call by pointing rip here and continuing, and the
	// thread traps (SIGTRAP) at syscallTrap with the result in rax.
	syscallSlot = codeBase + 0x09
	syscallTrap = codeBase + 0x0c

	// cloneSlot is a syscall instruction for clone(2): the parent traps at
	// cloneTrap with the new thread's id in rax, the child (rax == 0)
	// jumps to idleLoop.
	cloneSlot = codeBase + 0x0c
	cloneTrap = codeBase + 0x14

	// batchSlot runs a table of system calls (stub_batch.go): r12 points
	// at the first entry, r13 holds how many there are. Each entry is
	// the number and six arguments; the result replaces the number. The
	// loop stops after the last entry or the first error, and traps at
	// batchTrap with r13 the entries not done (the failed one included)
	// and rax the last result.
	batchSlot = codeBase + 0x14
	batchTrap = codeBase + 0x53
)

// stubCode is the whole program the stub runs, hand-assembled. It uses no
// stack and no memory, so it needs nothing mapped but its own page.
var stubCode = []byte{
	// idleLoop:
	0xb8, 0x22, 0x00, 0x00, 0x00, // 0x00 mov eax, 34 (pause)
	0x0f, 0x05, //                   0x05 syscall
	0xeb, 0xf7, //                   0x07 jmp idleLoop
	// syscallSlot:
	0x0f, 0x05, //                   0x09 syscall
	0xcc, //                         0x0b int3
	// cloneSlot:
	0x0f, 0x05, //                   0x0c syscall
	0x48, 0x85, 0xc0, //             0x0e test rax, rax
	0x74, 0xed, //                   0x11 jz idleLoop (child)
	0xcc, //                         0x13 int3 (parent)
	// batchSlot:
	0x4d, 0x85, 0xed, //             0x14 test r13, r13
	0x74, 0x39, //                   0x17 jz done
	0x49, 0x8b, 0x04, 0x24, //       0x19 mov rax, [r12]
	0x49, 0x8b, 0x7c, 0x24, 0x08, // 0x1d mov rdi, [r12+8]
	0x49, 0x8b, 0x74, 0x24, 0x10, // 0x22 mov rsi, [r12+16]
	0x49, 0x8b, 0x54, 0x24, 0x18, // 0x27 mov rdx, [r12+24]
	0x4d, 0x8b, 0x54, 0x24, 0x20, // 0x2c mov r10, [r12+32]
	0x4d, 0x8b, 0x44, 0x24, 0x28, // 0x31 mov r8, [r12+40]
	0x4d, 0x8b, 0x4c, 0x24, 0x30, // 0x36 mov r9, [r12+48]
	0x0f, 0x05, //                   0x3b syscall
	0x49, 0x89, 0x04, 0x24, //       0x3d mov [r12], rax
	0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, // 0x41 cmp rax, -4095
	0x73, 0x09, //                   0x47 jae done (an errno)
	0x49, 0x83, 0xc4, 0x38, //       0x49 add r12, 56
	0x49, 0xff, 0xcd, //             0x4d dec r13
	0xeb, 0xc2, //                   0x50 jmp batchSlot
	// done:
	0xcc, //                         0x52 int3
}

// stubImage returns the stub program as a static ELF executable: an ELF
// header, a PT_LOAD of the first page (headers and code) at stubStart, r-x,
// and a PT_GNU_STACK that asks for a non-executable stack (so the kernel never
// applies READ_IMPLIES_EXEC to the stub). There is no interpreter, no libc and
// no Go runtime.
func stubImage() []byte {
	const (
		ehdrSize = 64
		phdrSize = 56
		phnum    = 2
	)
	img := make([]byte, codeOffset+len(stubCode))
	le := binary.LittleEndian

	// ELF header (Elf64_Ehdr).
	copy(img[0:], []byte{0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LE */, 1 /* version */, 0 /* SYSV */})
	le.PutUint16(img[16:], 2)        // e_type = ET_EXEC
	le.PutUint16(img[18:], 62)       // e_machine = EM_X86_64
	le.PutUint32(img[20:], 1)        // e_version
	le.PutUint64(img[24:], idleLoop) // e_entry
	le.PutUint64(img[32:], ehdrSize) // e_phoff
	le.PutUint64(img[40:], 0)        // e_shoff
	le.PutUint32(img[48:], 0)        // e_flags
	le.PutUint16(img[52:], ehdrSize) // e_ehsize
	le.PutUint16(img[54:], phdrSize) // e_phentsize
	le.PutUint16(img[56:], phnum)    // e_phnum
	le.PutUint16(img[58:], 64)       // e_shentsize
	le.PutUint16(img[60:], 0)        // e_shnum
	le.PutUint16(img[62:], 0)        // e_shstrndx

	// PT_LOAD: the whole file at stubStart, read and execute.
	ph := img[ehdrSize:]
	le.PutUint32(ph[0:], 1)                 // p_type = PT_LOAD
	le.PutUint32(ph[4:], 0x5)               // p_flags = PF_R|PF_X
	le.PutUint64(ph[8:], 0)                 // p_offset
	le.PutUint64(ph[16:], stubStart)        // p_vaddr
	le.PutUint64(ph[24:], stubStart)        // p_paddr
	le.PutUint64(ph[32:], uint64(len(img))) // p_filesz
	le.PutUint64(ph[40:], uint64(len(img))) // p_memsz
	le.PutUint64(ph[48:], pageSize)         // p_align

	// PT_GNU_STACK: read-write, not executable.
	ph = img[ehdrSize+phdrSize:]
	le.PutUint32(ph[0:], 0x6474e551) // p_type = PT_GNU_STACK
	le.PutUint32(ph[4:], 0x6)        // p_flags = PF_R|PF_W
	le.PutUint64(ph[48:], 16)        // p_align

	copy(img[codeOffset:], stubCode)
	return img
}
