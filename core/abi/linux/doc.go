// Package linux holds facts about the x86-64 Linux system-call ABI that Ward
// implements: system call numbers, errno names, the binary layout of the
// structures the kernel reads from and writes to application memory, and the
// constants golang.org/x/sys/unix does not define.
//
// Everything here is taken from the UAPI headers of the build machine
// (/usr/include/x86_64-linux-gnu/asm, /usr/include/linux,
// /usr/include/asm-generic) and the man pages. The system call and errno
// tables are generated from the headers by tools/gensyscalls; the structure
// layouts are written by hand and each has a size test against the header's
// size (and, where x/sys/unix has the same structure, a field-offset test
// against it).
//
// # Encoding
//
// Structures are Go values with explicit little-endian encoders: a type T
// has SizeBytes, the size of the C structure, and MarshalBytes(dst), which
// writes exactly SizeBytes bytes into dst (every padding byte is written as
// zero, so nothing of the kernel's memory leaks to the application). Types
// the kernel reads from the application also have UnmarshalBytes(src). No
// encoding depends on the layout the Go compiler chooses for a struct.
//
// The package imports only the standard library and x/sys/unix, and nothing
// in core/ or elsewhere in Ward.
package linux

//go:generate go run ../../../tools/gensyscalls -kind sysno -o sysno_amd64.go /usr/include/x86_64-linux-gnu/asm/unistd_64.h
//go:generate go run ../../../tools/gensyscalls -kind errno -o errno_names.go /usr/include/asm-generic/errno-base.h /usr/include/asm-generic/errno.h
