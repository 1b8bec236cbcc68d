package mm

import (
	"sync"
	"sync/atomic"

	"github.com/google/btree"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// Mappable is an object whose contents can be mapped: a shared anonymous
// region today; a tmpfs file or a host file's page cache later. Its pages
// live in the memory file.
//
// Every VMA that maps a Mappable holds one reference on it (IncRef/DecRef).
type Mappable interface {
	IncRef()
	DecRef()

	// Translate returns the memory-file pages holding [off, off+length) of
	// the object, in order, allocating them if necessary. The ranges
	// returned cover a prefix of the request; the caller receives one
	// reference on each and must DecRef it. If they do not cover it all,
	// err says why: unix.EFAULT when the rest lies beyond the end of the
	// object (the application gets SIGBUS), unix.ENOMEM when memory ran
	// out.
	//
	// at is the access the mapping needs; a private mapping asks only for
	// ProtRead, because it never writes the pages: it copies them, or maps
	// them copy-on-write.
	//
	// Preconditions: off and length are page-aligned, length > 0. Called
	// with MemoryManager.mu held for writing.
	Translate(off, length uint64, at platform.Prot) ([]memfile.Range, error)
}

// MappingIdentity names what a VMA maps, for /proc/[pid]/maps and friends.
// A VMA holds one reference on its identity.
type MappingIdentity interface {
	IncRef()
	DecRef()

	// MappedName is the path shown in /proc/[pid]/maps.
	MappedName() string

	// DeviceID and InodeID are the device and inode numbers shown there.
	DeviceID() uint64
	InodeID() uint64
}

// anonObject is the object behind a MAP_SHARED|MAP_ANONYMOUS mapping, like
// Linux's shmem file from shmem_zero_setup: a fixed-size, zero-filled object
// shared by every VMA that maps it (including those of forked children).
type anonObject struct {
	mf *memfile.File

	// size is the object's size in bytes; immutable.
	size uint64

	refs atomic.Int64

	mu sync.Mutex

	// pages maps object offsets to memory-file ranges; the object holds one
	// reference on each. Protected by mu.
	pages *btree.BTreeG[*objSeg]
}

// objSeg is a run of an object's pages: [start, end) of the object is held
// by memory-file range [off, off+end-start).
type objSeg struct {
	start, end uint64
	off        uint64
}

func newAnonObject(mf *memfile.File, size uint64) *anonObject {
	o := &anonObject{
		mf:    mf,
		size:  size,
		pages: btree.NewG(8, func(a, b *objSeg) bool { return a.start < b.start }),
	}
	o.refs.Store(1)
	return o
}

// IncRef implements Mappable.IncRef.
func (o *anonObject) IncRef() {
	if o.refs.Add(1) <= 1 {
		panic("mm: anonObject.IncRef on a dead object")
	}
}

// DecRef implements Mappable.DecRef.
func (o *anonObject) DecRef() {
	switch n := o.refs.Add(-1); {
	case n < 0:
		panic("mm: anonObject.DecRef below zero")
	case n > 0:
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pages.Ascend(func(s *objSeg) bool {
		o.mf.DecRef(memfile.Range{Start: s.off, End: s.off + s.end - s.start})
		return true
	})
	o.pages.Clear(false)
}

// Translate implements Mappable.Translate.
func (o *anonObject) Translate(off, length uint64, at platform.Prot) ([]memfile.Range, error) {
	var err error
	end := off + length
	if end > o.size || end < off {
		end = o.size
		err = unix.EFAULT
	}
	if off >= end {
		return nil, unix.EFAULT
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []memfile.Range
	cur := off
	add := func(fr memfile.Range) {
		o.mf.IncRef(fr)
		if n := len(out); n > 0 && out[n-1].End == fr.Start {
			out[n-1].End = fr.End
		} else {
			out = append(out, fr)
		}
	}
	for cur < end {
		var seg *objSeg
		o.pages.DescendLessOrEqual(&objSeg{start: cur}, func(s *objSeg) bool {
			if s.end > cur {
				seg = s
			}
			return false
		})
		if seg != nil {
			stop := min(seg.end, end)
			add(memfile.Range{Start: seg.off + cur - seg.start, End: seg.off + stop - seg.start})
			cur = stop
			continue
		}
		// A hole: fill it up to the next populated run.
		holeEnd := end
		o.pages.AscendGreaterOrEqual(&objSeg{start: cur}, func(s *objSeg) bool {
			holeEnd = min(holeEnd, s.start)
			return false
		})
		fr, aerr := o.mf.Allocate(holeEnd - cur)
		if aerr != nil {
			return out, aerr
		}
		o.pages.ReplaceOrInsert(&objSeg{start: cur, end: holeEnd, off: fr.Start})
		add(fr)
		cur = holeEnd
	}
	return out, err
}
