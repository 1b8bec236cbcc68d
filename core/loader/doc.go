// Package loader loads a program into a fresh address space, as Linux's
// execve does after it has opened the file: it recognises "#!" scripts
// (script.go) and ELF executables, static or dynamic (elf.go), maps the ELF image
// (image.go), chooses the address-space layout (layout.go) and builds the
// initial stack with argv, envp and the auxiliary vector (stack.go), so that
// the kernel can start the first thread at Image.Entry with its stack pointer
// at Image.StackPointer.
//
// # Division of labour
//
// The kernel opens files through the VFS (permission and noexec checks are
// its business) and hands the loader an io.ReaderAt and a size; Exec does
// the "#!" resolution loop through an Opener callback, Load loads one ELF
// file. The address space is a core/mm MemoryManager, reached through the
// small MemoryManager interface below so that the loader depends on nothing
// else in it.
//
// The loader validates the whole file before it changes the address space,
// so an invalid executable fails with ENOEXEC (or E2BIG, ELOOP) and a clear
// message while the address space is still empty. Failures after mapping has
// begun (ENOMEM, a platform error) leave a half-built address space: like
// Linux, the kernel must build the new image in a new MemoryManager and
// discard it on error, so that the calling process survives a failed exec.
//
// # Dynamic executables
//
// A PT_INTERP executable is loaded as Linux does: the program at its usual
// place, then its interpreter (opened through the Opener, with the same
// checks) wherever top-down mmap placement puts it; the thread starts at
// the interpreter's entry with AT_BASE its load address and AT_ENTRY,
// AT_PHDR the program's. When the Opener's reader is a MappableFile, the
// segments are private mappings of the file through core/mm's page cache
// rather than copies, so the C library's pages are read once per sandbox.
//
// The loader maps no vDSO: the kernel passes the platform's (if it has
// one) as AT_SYSINFO_EHDR in Args.ExtraAuxv.
//
// The loader holds no locks and keeps no state between calls.
package loader
