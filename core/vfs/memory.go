package vfs

// MemoryCharger accounts memory that a filesystem keeps for the sandbox
// (tmpfs data held in Ward's own memory) against the sandbox's memory
// limit. The kernel's memory file (core/mm/memfile.File) is the one core
// implementation: the limit covers its pages and what is charged here.
type MemoryCharger interface {
	// Charge takes n bytes from the limit; false means there are not
	// that many left, and nothing was taken.
	Charge(n uint64) bool
	// Uncharge gives back n bytes a Charge took.
	Uncharge(n uint64)
}

// MemoryAccounted is a filesystem whose data counts as the sandbox's
// memory (tmpfs, an overlay's upper layer). The sandbox hands it the
// charger at boot, before any task runs; until then (and in tests that
// never call it) its data is not charged.
type MemoryAccounted interface {
	SetMemoryCharger(c MemoryCharger)
}
