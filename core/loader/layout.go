package loader

import (
	"golang.org/x/sys/unix"
)

// Layout parameters of x86-64 Linux (arch/x86/mm/mmap.c, asm/elf.h).
const (
	// defaultStackLimit is the default RLIMIT_STACK (_STK_LIM).
	defaultStackLimit = 8 << 20

	// stackGuardGap is Linux's stack_guard_gap (256 pages).
	stackGuardGap = 256 * pageSize

	// minGap is the least room left between the stack top and the mmap
	// base (SIZE_128M).
	minGap = 128 << 20

	// stackRandomRange is stack_maxrandom_size: the stack top moves down
	// by up to 16 GiB.
	stackRandomRange = 0x3fffff * pageSize

	// mmapRandomRange is what arch_mmap_rnd gives with the default 28
	// bits of mmap_rnd_bits: up to 1 TiB, for the mmap base and for the
	// load address of ET_DYN executables.
	mmapRandomRange = (1 << 28) * pageSize

	// spRandomRange is arch_align_stack's: the stack pointer moves down
	// by up to 8 KiB within the stack.
	spRandomRange = 8192
)

// layout is where a new process's pieces go.
type layout struct {
	// stackTop is the end of the stack VMA.
	stackTop uint64

	// stackLimit is RLIMIT_STACK.
	stackLimit uint64

	// mmapBase is the top of top-down mmap placement, below the stack's
	// room.
	mmapBase uint64

	// dynBase is where an ET_DYN executable goes: two thirds of the way
	// up (ELF_ET_DYN_BASE), randomised, far from both the mmap area and
	// low addresses so that its heap has room to grow.
	dynBase uint64

	// randomize is Args.Randomize.
	randomize bool
}

// newLayout chooses the layout as Linux's arch_pick_mmap_layout and
// load_elf_binary do, and sets the mmap base and stack limit in m.
func newLayout(m MemoryManager, args Args) (layout, error) {
	minAddr, maxAddr := uint64(m.MinAddr()), uint64(m.MaxAddr())
	l := layout{stackLimit: args.StackLimit, randomize: args.Randomize}
	if l.stackLimit == 0 {
		l.stackLimit = defaultStackLimit
	}
	size := maxAddr - minAddr
	var stackRnd, mmapRnd, dynRnd uint64
	if args.Randomize {
		var err error
		// Small address spaces (tests) get proportionally less
		// randomisation.
		if stackRnd, err = randomPages(args.Rand, min(stackRandomRange, size/64)); err != nil {
			return l, err
		}
		if mmapRnd, err = randomPages(args.Rand, min(mmapRandomRange, size/16)); err != nil {
			return l, err
		}
		if dynRnd, err = randomPages(args.Rand, min(mmapRandomRange, size/16)); err != nil {
			return l, err
		}
	}
	l.stackTop = maxAddr - stackRnd

	// mmap_base: leave the stack limit, the guard gap and the stack's
	// randomisation range below the top, clamped to [128 MiB, 5/6 of the
	// address space].
	gap := l.stackLimit
	if l.stackLimit == unix.RLIM_INFINITY {
		gap = maxUint64
	}
	pad := stackGuardGap
	if args.Randomize {
		pad += min(stackRandomRange, size/64)
	}
	if gap+pad > gap {
		gap += pad
	}
	gap = min(max(gap, minGap), maxAddr/6*5)
	if gap+mmapRnd >= size {
		return l, errnoError(unix.ENOMEM, "address space [%#x, %#x) too small for the stack gap %#x", minAddr, maxAddr, gap)
	}
	l.mmapBase = pageDown(maxAddr - gap - mmapRnd)
	l.dynBase = pageDown(maxAddr/3*2 + dynRnd)
	if err := m.SetMmapBase(uintptr(l.mmapBase)); err != nil {
		return l, errnoError(unix.ENOMEM, "%v", err)
	}
	m.SetStackLimit(uintptr(min(l.stackLimit, uint64(^uintptr(0)))))
	return l, nil
}
