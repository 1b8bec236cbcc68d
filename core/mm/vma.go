package mm

import (
	"github.com/seed-a9fb2a21/ward/core/platform"
)

// vma is a virtual memory area: a range of the address space the application
// mapped, with uniform attributes.
//
// A vma in MemoryManager.vmas is protected by MemoryManager.mu; its start is
// the tree key and changes only by deleting and reinserting it.
type vma struct {
	start, end uintptr

	// prot is the current permissions; maxProt bounds what mprotect may
	// grant.
	prot, maxProt platform.Prot

	// private is MAP_PRIVATE: writes are not visible through mappable.
	private bool

	// anonymous is true for MAP_ANONYMOUS mappings (private or shared).
	anonymous bool

	// growsDown is MAP_GROWSDOWN: faults just below extend the VMA.
	growsDown bool

	// dontFork (MADV_DONTFORK) leaves the VMA out of a forked child;
	// wipeOnFork (MADV_WIPEONFORK) gives the child zero pages instead of a
	// copy.
	dontFork, wipeOnFork bool

	// mappable backs the VMA from offset (the offset of start); nil for
	// private anonymous memory. The VMA holds a reference on it.
	mappable Mappable
	offset   uint64

	// id names the mapping for /proc/[pid]/maps; may be nil. The VMA holds a
	// reference on it.
	id MappingIdentity

	// name is a special name: "[heap]", "[stack]", "[vdso]"; or empty.
	name string
}

func vmaLess(a, b *vma) bool { return a.start < b.start }

// length returns the size of v.
func (v *vma) length() uintptr { return v.end - v.start }

// incRefs takes the references a new copy of v needs.
func (v *vma) incRefs() {
	if v.mappable != nil {
		v.mappable.IncRef()
	}
	if v.id != nil {
		v.id.IncRef()
	}
}

// decRefs drops the references of a VMA that is being discarded.
func (v *vma) decRefs() {
	if v.mappable != nil {
		v.mappable.DecRef()
	}
	if v.id != nil {
		v.id.DecRef()
	}
}

// canMergeWith reports whether next, which starts where v ends, can be
// merged into v.
func (v *vma) canMergeWith(next *vma) bool {
	if v.end != next.start || v.prot != next.prot || v.maxProt != next.maxProt ||
		v.private != next.private || v.anonymous != next.anonymous ||
		v.growsDown != next.growsDown || v.dontFork != next.dontFork ||
		v.wipeOnFork != next.wipeOnFork || v.mappable != next.mappable ||
		v.id != next.id || v.name != next.name {
		return false
	}
	return v.mappable == nil || v.offset+uint64(v.length()) == next.offset
}

// effectiveProt returns the access p really grants on x86-64, where every
// mapped page is readable.
func effectiveProt(p platform.Prot) platform.Prot {
	if p&(platform.ProtWrite|platform.ProtExec) != 0 {
		p |= platform.ProtRead
	}
	return p
}

// VMA describes one mapping, for /proc/[pid]/maps and for tests.
type VMA struct {
	Start, End uintptr
	Prot       platform.Prot
	MaxProt    platform.Prot
	Shared     bool
	Anonymous  bool
	GrowsDown  bool
	DontFork   bool
	WipeOnFork bool

	// Offset is the offset of Start in the mapped object.
	Offset uint64

	// Name is the special name ("[heap]", "[stack]") if any, otherwise the
	// identity's name, otherwise "".
	Name string

	// Identity is the mapped object's identity, or nil.
	Identity MappingIdentity
}

// VMAs returns the address space's mappings in address order.
func (mm *MemoryManager) VMAs() []VMA {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	out := make([]VMA, 0, mm.vmas.Len())
	mm.vmas.Ascend(func(v *vma) bool {
		name := v.name
		if name == "" && v.id != nil {
			name = v.id.MappedName()
		}
		out = append(out, VMA{
			Start: v.start, End: v.end, Prot: v.prot, MaxProt: v.maxProt,
			Shared: !v.private, Anonymous: v.anonymous, GrowsDown: v.growsDown,
			DontFork: v.dontFork, WipeOnFork: v.wipeOnFork,
			Offset: v.offset, Name: name, Identity: v.id,
		})
		return true
	})
	return out
}

// vmaAt returns the VMA containing addr, or nil.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) vmaAt(addr uintptr) *vma {
	var found *vma
	mm.vmas.DescendLessOrEqual(&vma{start: addr}, func(v *vma) bool {
		if addr < v.end {
			found = v
		}
		return false
	})
	return found
}

// vmaAtOrAfter returns the VMA containing addr or, if none does, the first
// VMA above addr; or nil.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) vmaAtOrAfter(addr uintptr) *vma {
	if v := mm.vmaAt(addr); v != nil {
		return v
	}
	var found *vma
	mm.vmas.AscendGreaterOrEqual(&vma{start: addr}, func(v *vma) bool {
		found = v
		return false
	})
	return found
}

// vmaBefore returns the last VMA that starts below addr, or nil.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) vmaBefore(addr uintptr) *vma {
	var found *vma
	mm.vmas.DescendLessOrEqual(&vma{start: addr}, func(v *vma) bool {
		if v.start < addr {
			found = v
			return false
		}
		return true
	})
	return found
}

// vmasIn returns the VMAs that intersect [start, end), in order.
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) vmasIn(start, end uintptr) []*vma {
	var out []*vma
	if v := mm.vmaAt(start); v != nil && v.start < start {
		out = append(out, v)
	}
	mm.vmas.AscendRange(&vma{start: start}, &vma{start: end}, func(v *vma) bool {
		out = append(out, v)
		return true
	})
	return out
}

// rangeFree reports whether no VMA intersects [start, end).
//
// Preconditions: mm.mu is locked (for reading at least).
func (mm *MemoryManager) rangeFree(start, end uintptr) bool {
	v := mm.vmaAtOrAfter(start)
	return v == nil || v.start >= end
}

// splitVMA splits v at addr, which must lie strictly inside it, and returns
// the upper half.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) splitVMA(v *vma, addr uintptr) *vma {
	nv := *v
	nv.start = addr
	if nv.mappable != nil {
		nv.offset += uint64(addr - v.start)
	}
	nv.incRefs()
	v.end = addr
	mm.vmas.ReplaceOrInsert(&nv)
	return &nv
}

// isolateVMAs splits VMAs so that none crosses start or end, and returns the
// VMAs inside [start, end).
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) isolateVMAs(start, end uintptr) []*vma {
	if v := mm.vmaAt(start); v != nil && v.start < start {
		mm.splitVMA(v, start)
	}
	if v := mm.vmaAt(end); v != nil && v.start < end {
		mm.splitVMA(v, end)
	}
	return mm.vmasIn(start, end)
}

// insertVMA adds v, which must not overlap any VMA, and merges it with
// compatible neighbours.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) insertVMA(v *vma) {
	mm.vmas.ReplaceOrInsert(v)
	mm.mergeVMAs(v.start, v.end)
}

// removeVMA deletes v from the tree and drops its references.
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) removeVMA(v *vma) {
	mm.vmas.Delete(v)
	v.decRefs()
}

// mergeVMAs merges compatible adjacent VMAs in and around [start, end).
//
// Preconditions: mm.mu is locked for writing.
func (mm *MemoryManager) mergeVMAs(start, end uintptr) {
	var vs []*vma
	if p := mm.vmaBefore(start); p != nil {
		vs = append(vs, p)
	}
	mm.vmas.AscendGreaterOrEqual(&vma{start: start}, func(v *vma) bool {
		if v.start > end {
			return false
		}
		vs = append(vs, v)
		return true
	})
	for i := 1; i < len(vs); i++ {
		a, b := vs[i-1], vs[i]
		if a.canMergeWith(b) {
			mm.vmas.Delete(b)
			a.end = b.end
			b.decRefs()
			vs[i] = a
		}
	}
}
