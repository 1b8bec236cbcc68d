package linux

// Auxiliary vector keys (<linux/auxvec.h>, <asm/auxvec.h>): the a_type of
// each (a_type, a_val) pair the loader puts on the initial stack after envp.
const (
	AT_NULL          = 0  // end of vector
	AT_IGNORE        = 1  // entry should be ignored
	AT_EXECFD        = 2  // file descriptor of program
	AT_PHDR          = 3  // program headers for program
	AT_PHENT         = 4  // size of program header entry
	AT_PHNUM         = 5  // number of program headers
	AT_PAGESZ        = 6  // system page size
	AT_BASE          = 7  // base address of interpreter
	AT_FLAGS         = 8  // flags
	AT_ENTRY         = 9  // entry point of program
	AT_NOTELF        = 10 // program is not ELF
	AT_UID           = 11 // real uid
	AT_EUID          = 12 // effective uid
	AT_GID           = 13 // real gid
	AT_EGID          = 14 // effective gid
	AT_PLATFORM      = 15 // string identifying CPU for optimizations
	AT_HWCAP         = 16 // arch dependent hints at CPU capabilities
	AT_CLKTCK        = 17 // frequency at which times() increments
	AT_SECURE        = 23 // secure mode boolean
	AT_BASE_PLATFORM = 24 // string identifying real platform
	AT_RANDOM        = 25 // address of 16 random bytes
	AT_HWCAP2        = 26 // extension of AT_HWCAP
	AT_EXECFN        = 31 // filename of program
	AT_SYSINFO       = 32 // x86: entry of the 32-bit vsyscall page
	AT_SYSINFO_EHDR  = 33 // x86: address of the vDSO
	AT_MINSIGSTKSZ   = 51 // minimal stack size for signal delivery
)

// AuxEntry is one auxiliary vector entry.
type AuxEntry struct {
	Key   uint64
	Value uint64
}

// SizeofAuxEntry is the size of one entry on the stack and in
// /proc/[pid]/auxv.
const SizeofAuxEntry = 16

// AuxvBytes encodes an auxiliary vector as /proc/[pid]/auxv shows it. The
// vector should end with AT_NULL; AuxvBytes does not add one.
func AuxvBytes(auxv []AuxEntry) []byte {
	b := make([]byte, len(auxv)*SizeofAuxEntry)
	for i, e := range auxv {
		le.PutUint64(b[i*SizeofAuxEntry:], e.Key)
		le.PutUint64(b[i*SizeofAuxEntry+8:], e.Value)
	}
	return b
}
