package loader

import (
	"encoding/binary"
	"io"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/mm"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// Argument limits of Linux's execve (include/uapi/linux/binfmts.h,
// fs/exec.c).
const (
	// maxArgStrlen is MAX_ARG_STRLEN: the longest argument or environment
	// string, NUL included.
	maxArgStrlen = 32 * pageSize

	// maxArgStrings is MAX_ARG_STRINGS.
	maxArgStrings = 0x7fffffff

	// argMax is ARG_MAX: the least room for arguments whatever the stack
	// limit.
	argMax = 32 * pageSize

	// stackExpand is how far below the arguments the initial stack VMA
	// reaches (Linux's stack_expand in setup_arg_pages); the rest grows
	// on demand up to the stack limit.
	stackExpand = 128 << 10
)

// platformString is AT_PLATFORM's string.
const platformString = "x86_64"

// stackBuilder lays out the initial stack (Linux's create_elf_tables). From
// the top down:
//
//	8 zero bytes
//	the AT_EXECFN string
//	envp strings, envp[0] lowest
//	argv strings, argv[0] lowest           <- Image.ArgvStart
//	(up to 8 KiB of random gap when randomising), aligned to 16
//	"x86_64\0"                             <- AT_PLATFORM
//	16 random bytes                        <- AT_RANDOM
//	padding to make the stack pointer 16-byte aligned
//	auxv pairs, AT_NULL last
//	NULL, envp pointers
//	NULL, argv pointers
//	argc                                   <- Image.StackPointer
type stackBuilder struct {
	argv, envv []string
	execfn     string
	rand       io.Reader
	randomize  bool
}

// newStackBuilder checks the arguments against Linux's limits (E2BIG).
func newStackBuilder(args Args) (*stackBuilder, error) {
	s := &stackBuilder{
		argv:      args.Argv,
		envv:      args.Envv,
		execfn:    args.Filename,
		rand:      args.Rand,
		randomize: args.Randomize,
	}
	if len(s.argv) > maxArgStrings || len(s.envv) > maxArgStrings-len(s.argv) {
		return nil, errnoError(unix.E2BIG, "%d arguments and %d environment strings", len(s.argv), len(s.envv))
	}
	stackLimit := args.StackLimit
	if stackLimit == 0 {
		stackLimit = defaultStackLimit
	}
	// bprm_stack_limits: a quarter of the stack (at most 6 MiB, at least
	// ARG_MAX) for strings and pointers.
	limit := max(min(defaultStackLimit/4*3, stackLimit/4), argMax)
	ptrs := uint64(len(s.argv)+len(s.envv)) * 8
	if ptrs >= limit {
		return nil, errnoError(unix.E2BIG, "%d argument and environment pointers exceed the limit of %d bytes", len(s.argv)+len(s.envv), limit)
	}
	total := ptrs
	for _, list := range [][]string{s.argv, s.envv, {s.execfn}} {
		for _, str := range list {
			n := uint64(len(str)) + 1
			if n > maxArgStrlen {
				return nil, errnoError(unix.E2BIG, "a string of %d bytes (the most is %d)", n, maxArgStrlen)
			}
			total += n
		}
	}
	if total > limit {
		return nil, errnoError(unix.E2BIG, "arguments and environment take %d bytes, the limit is %d (a quarter of RLIMIT_STACK)", total, limit)
	}
	return s, nil
}

// build maps the stack below lay.stackTop, writes it, fills in the auxv
// entries that point into it, and records the result in out.
func (s *stackBuilder) build(m MemoryManager, lay layout, execStack bool, auxv []linux.AuxEntry, out *Image) error {
	top := lay.stackTop
	p := top - 8

	// Strings: argv, then envp, then the file name, ending 8 bytes below
	// the top.
	var strs []byte
	for _, a := range s.argv {
		strs = append(append(strs, a...), 0)
	}
	argvLen := uint64(len(strs))
	for _, e := range s.envv {
		strs = append(append(strs, e...), 0)
	}
	envvLen := uint64(len(strs)) - argvLen
	strs = append(append(strs, s.execfn...), 0)
	p -= uint64(len(strs))
	strStart := p
	out.ArgvStart = uintptr(strStart)
	out.ArgvEnd = uintptr(strStart + argvLen)
	out.EnvvStart = out.ArgvEnd
	out.EnvvEnd = uintptr(strStart + argvLen + envvLen)
	execfnAddr := strStart + argvLen + envvLen

	if s.randomize {
		off, err := randomBelow(s.rand, spRandomRange)
		if err != nil {
			return err
		}
		p -= off
	}
	p &^= 15
	p -= uint64(len(platformString) + 1)
	platformAddr := p
	p -= 16
	randomAddr := p
	var random [16]byte
	if _, err := io.ReadFull(s.rand, random[:]); err != nil {
		return errnoError(unix.EIO, "reading AT_RANDOM bytes: %v", err)
	}

	for i := range auxv {
		switch auxv[i].Key {
		case linux.AT_RANDOM:
			auxv[i].Value = randomAddr
		case linux.AT_EXECFN:
			auxv[i].Value = execfnAddr
		case linux.AT_PLATFORM:
			auxv[i].Value = platformAddr
		}
	}

	items := uint64(1+len(s.argv)+1+len(s.envv)+1) + 2*uint64(len(auxv))
	sp := (p - items*8) &^ 15

	// Map the stack: the contents plus stackExpand, within the limit.
	need := pageUp(top - sp)
	size := max(need, min(need+stackExpand, pageDown(lay.stackLimit)))
	if size > top-uint64(m.MinAddr()) {
		return errnoError(unix.ENOMEM, "no room for a stack of %#x bytes below %#x", size, top)
	}
	prot := platform.ProtRead | platform.ProtWrite
	if execStack {
		prot |= platform.ProtExec
	}
	if _, err := m.MMap(mm.MMapOpts{
		Addr:   uintptr(top - size),
		Length: uintptr(size),
		Prot:   prot,
		Flags:  unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE | unix.MAP_GROWSDOWN,
		Name:   "[stack]",
	}); err != nil {
		return mapError(err, "mapping the stack at [%#x, %#x)", top-size, top)
	}

	// Write everything from sp to the top in one copy.
	buf := make([]byte, top-sp)
	at := func(addr uint64) []byte { return buf[addr-sp:] }
	le := binary.LittleEndian
	w := at(sp)
	put := func(v uint64) {
		le.PutUint64(w, v)
		w = w[8:]
	}
	put(uint64(len(s.argv)))
	a := strStart
	for _, arg := range s.argv {
		put(a)
		a += uint64(len(arg)) + 1
	}
	put(0)
	for _, env := range s.envv {
		put(a)
		a += uint64(len(env)) + 1
	}
	put(0)
	for _, e := range auxv {
		put(e.Key)
		put(e.Value)
	}
	copy(at(randomAddr), random[:])
	copy(at(platformAddr), platformString)
	copy(at(strStart), strs)
	if _, err := m.CopyOut(uintptr(sp), buf); err != nil {
		return mapError(err, "writing the initial stack")
	}

	out.StackPointer = uintptr(sp)
	out.StackTop = uintptr(top)
	out.Auxv = auxv
	return nil
}

// randomBelow returns a random number in [0, n).
func randomBelow(r io.Reader, n uint64) (uint64, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, errnoError(unix.EIO, "reading randomness: %v", err)
	}
	return binary.LittleEndian.Uint64(b[:]) % n, nil
}
