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
//     Mappable (a shared anonymous object, or a file's entry in the page
//     cache, pagecache.go) and an offset into it, plus an optional
//     MappingIdentity for /proc/[pid]/maps.
//   - PMAs (pma.go, "populated mapping areas"): which parts of the VMAs have
//     memory-file pages behind them, and where. Writes to a private PMA's
//     pages are seen by no one else (pages it shares are copied first; see
//     Copy-on-write below); a shared PMA maps pages of a Mappable, and
//     writes to them are shared. Every PMA holds one memory-file reference
//     on each of its pages.
//
// The platform.AddressSpace always holds exactly the PMAs, clipped to the
// VMAs that are not PROT_NONE, mapped with their VMA's permissions. Nothing
// else is ever mapped, so the application sees precisely the VMA tree.
//
// # Lazy population
//
// Pages are allocated lazily. mmap records a VMA (a 64 GiB PROT_NONE
// reservation costs a btree node and no pages) and, for a file mapping,
// populates its first window (below); the first access to a page
// faults in the application, the platform reports the fault, and the kernel
// calls HandleFault, which allocates (or, for a file or shared mapping,
// looks up) the pages of an aligned window around the address, maps them,
// and lets the thread retry. The window is 64 KiB (faultAround), or 1 MiB
// (fileFaultAround) in a file mapping without PROT_WRITE, whose pages are
// the page cache's and cost no copy; it is clipped to the VMA and to what
// is already populated, and the faulting page and those above it come
// first, so a nearly full memory file still serves the fault. The window
// trades a little over-allocation for fewer platform round trips; the
// memory file is sparse, so the host commits only what is written.
// MAP_POPULATE, MAP_LOCKED and MADV_POPULATE_* populate eagerly. mmap
// itself populates ("prefaults") the first window of a file mapping: the
// first 1 MiB of one without PROT_WRITE (the page cache's pages, read from
// the file if not cached yet, never beyond its end) and the first 64 KiB
// of a writable private one (copied); writable shared, anonymous and
// PROT_NONE mappings stay lazy. A fault costs a platform round trip (~100
// µs on ptrace), while the prefault rides in the mmap's own batch, and in
// exec, whose mappings are queued until the first Switch, costs almost
// nothing (see prefaultLength in mmap.go). The
// kernel's own writes (CopyOut, ZeroOut) populate exactly the pages they
// touch; its reads of never-touched private anonymous memory return zeros
// without allocating anything. madvise(MADV_DONTNEED) drops PMAs, so
// private anonymous memory reads as zero again and private file mappings
// read the file again. mprotect only remaps the PMAs already there.
//
// Mappings into the platform are made with the VMA's full permissions,
// except that pages shared copy-on-write lose ProtWrite; a protection fault
// (SEGV_ACCERR) on a present page is therefore either a write to a cow page,
// which HandleFault resolves, or a genuine violation; see HandleFault for
// the contract with platforms.
//
// # Copy-on-write
//
// A private PMA whose pages may be held by someone else too is marked cow
// (pma.cow) and mapped without ProtWrite. There are two ways to get there.
// Fork shares private pages copy-on-write (and shares the pages of shared
// mappings; MADV_DONTFORK and MADV_WIPEONFORK are honoured), marking the
// PMAs cow in parent and child, except in small writable VMAs (at most
// 64 KiB populated, 1 MiB per fork; see eagerForkCopy), which it copies
// into the child at once: the stack, .data and .bss that both sides write
// right after fork would otherwise cost a fault each. And a private mapping of a Mappable without
// PROT_WRITE (program text, read-only data) maps the Mappable's own pages
// in cow PMAs instead of copying them (populateHole), so every process
// running a program shares the page cache's one copy of its text. (A
// writable private mapping copies the pages on its first fault instead.)
//
// Every holder keeps one memory-file reference per page, so the memory
// file's reference count says whether a page is still shared. The first
// write breaks the sharing (breakCOW, cow.go): an application write faults
// (SEGV_ACCERR) into HandleFault, which does it for the 64 KiB window
// around the fault; the kernel's writes (CopyOut, ZeroOut, CopyOutForce)
// do it for the pages they touch. Breaking copies the pages still shared
// into new ones and merely takes over those whose count has dropped to one
// (the other holders copied or let go), then remaps them writable; the old
// pages are unreferenced only after the AddressSpace maps the new ones. A
// Mappable holds a reference on each of its pages for as long as it has
// them, so a page of the page cache is always copied, never written.
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
// and only that address space's Fork, under its mu, can share it again (a
// Mappable hands out only pages it holds, and never takes back one it let
// go); so breakCOW may take it over without a copy. Pages are removed from
// the AddressSpace before their references are dropped, so an application
// thread never sees a page that went back to the allocator. A copy that
// finds unpopulated pages drops the read lock, populates with the write
// lock, and retries.
package mm
