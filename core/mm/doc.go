// Package mm is the kernel's memory management: application address spaces
// built from the kernel's memory file (core/mm/memfile), with Linux's mmap,
// munmap, mprotect, brk, mremap and madvise semantics, copy-in/copy-out for
// system calls, page-fault handling and fork.
//
// # Model
//
// A MemoryManager is one application address space. It keeps two sets, both
// github.com/google/btree trees keyed by start address:
//
//   - VMAs (vma.go): what the application asked for — ranges with
//     permissions, max permissions, private/shared, growsdown, and a backing
//     object. A private anonymous VMA has no object; every other VMA has a
//     Mappable (a shared anonymous object today; a tmpfs file or a page-cache
//     entry later) and an offset into it, plus an optional MappingIdentity
//     for /proc/[pid]/maps.
//   - PMAs (pma.go, "populated mapping areas"): which parts of the VMAs have
//     memory-file pages behind them, and where. A private PMA owns its pages
//     (they are copied on fork); a shared PMA maps pages of a Mappable. Every
//     PMA holds one memory-file reference on each of its pages.
//
// The platform.AddressSpace always holds exactly the PMAs, clipped to the
// VMAs that are not PROT_NONE, mapped with their VMA's permissions. Nothing
// else is ever mapped, so the application sees precisely the VMA tree.
//
// # Lazy population
//
// Pages are allocated lazily. mmap only records a VMA (a 64 GiB PROT_NONE
// reservation costs a btree node and no pages); the first access to a page
// faults in the application, the platform reports the fault, and the kernel
// calls HandleFault, which allocates (or, for a shared mapping, looks up)
// the pages of an aligned window around the address (faultAround, 64 KiB,
// clipped to the VMA and to what is already populated; the faulting page and
// those above it first, so a nearly full memory file still serves the
// fault), maps them, and lets the thread retry. The window trades a little
// over-allocation for fewer platform round trips; the memory file is sparse,
// so the host commits only what is written. MAP_POPULATE, MAP_LOCKED and MADV_POPULATE_* populate
// eagerly. The kernel's own writes (CopyOut, ZeroOut) populate exactly the
// pages they touch; its reads of never-touched private anonymous memory
// return zeros without allocating anything. madvise(MADV_DONTNEED) drops
// PMAs, so private anonymous memory reads as zero again. mprotect only
// remaps the PMAs already there.
//
// Mappings into the platform are made with the VMA's full permissions,
// except that pages shared copy-on-write lose ProtWrite; a protection fault
// (SEGV_ACCERR) on a present page is therefore either a write to a cow page,
// which HandleFault resolves, or a genuine violation; see HandleFault for
// the contract with platforms.
//
// # Fork
//
// Fork shares private pages copy-on-write and shares the pages of shared
// mappings; MADV_DONTFORK and MADV_WIPEONFORK are honoured. A private PMA
// whose pages may be held by another address space too is marked cow
// (pma.cow) in both, and mapped without ProtWrite. Every holder keeps one
// memory-file reference per page, so the memory file's reference count
// says whether a page is still shared. The first write breaks the sharing
// (breakCOW, cow.go): an application write faults (SEGV_ACCERR) into
// HandleFault, which does it for the fault-around window; the kernel's
// writes (CopyOut, ZeroOut, CopyOutForce) do it for the pages they touch.
// Breaking copies the pages still shared into new ones and merely takes
// over those whose count has dropped to one (the other holder copied or
// let go), then remaps them writable; the old pages are unreferenced only
// after the AddressSpace maps the new ones.
//
// # Copy in/out
//
// CopyIn, CopyOut, ZeroOut and CopyInString translate addresses through the
// VMA and PMA trees and copy through the kernel's mapping of the memory
// file. Permissions are checked as Linux does (a readable-not-writable
// mapping is EFAULT for the kernel's writes too); a range that is not fully
// accessible copies what it can and returns the count with unix.EFAULT; a
// range that overflows or ends above the maximum user address is EFAULT
// with nothing copied. CopyOutForce is the loader's (and later ptrace's)
// path that ignores permissions.
//
// # Errors
//
// Errors the application should see are unix.Errno values, as Linux returns
// them. Any other error means the platform or the host failed; the address
// space can then no longer be trusted to match the VMA tree and the kernel
// should kill the processes using it.
//
// # Lock order
//
//	MemoryManager.mu
//	  Mappable and MappingIdentity implementations' locks (anonObject.mu)
//	    platform.AddressSpace implementation locks
//	    memfile.File.mu
//
// MemoryManager.mu is a sync.RWMutex. Readers (copies that need no new
// pages, VMA queries) hold it for reading; every
// change to a MemoryManager's VMA or PMA trees and every call into its
// AddressSpace is made with its mu held for writing. (Fork holds the parent's
// mu for writing, since it marks the parent's private PMAs cow and remaps
// them, and then the new child's; nothing else can see the child yet.)
// A page whose count is one is held by one PMA of one address space only,
// and only that address space's Fork, under its mu, can share it again; so
// breakCOW may take it over without a copy. Pages are removed from the AddressSpace before their
// references are dropped, so an application thread never sees a page that
// went back to the allocator. A copy that finds unpopulated pages drops
// the read lock, populates with the write lock, and retries.
package mm
