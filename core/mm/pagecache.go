package mm

import (
	"bytes"
	"container/list"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/google/btree"
	"github.com/seed-a9fb2a21/ward/core/mm/memfile"
	"github.com/seed-a9fb2a21/ward/core/platform"
	"golang.org/x/sys/unix"
)

// The page cache: file contents in memory-file pages, so that files of any
// filesystem (host files, tmpfs, overlays, out-of-process plugins) can be
// mapped, and so that every process mapping the same file (the C library,
// the dynamic loader) shares one copy that was read once.
//
// # Model
//
// A PageCache belongs to one memory file (PageCacheFor). It holds one entry
// per file version, keyed by FileKey (the device and inode numbers the VFS
// reports) and checked against a FileVersion (size, mtime, ctime) each time
// the file is mapped again: an entry whose file changed is detached from the
// index (mappings that use it keep their pages) and a fresh one is read.
// This is weaker than Linux's coherence, where write(2) and mappings share
// the same pages: a mapping made before a write(2) does not see it.
//
// An entry is the Mappable of every VMA that maps its file. Translate reads
// the pages it is asked for lazily, through the CachedFile that made the
// first live mapping (the entry holds a reference on it while it is mapped),
// into zero-filled memory-file pages, so the tail of the last page beyond
// the end of the file reads as zero. Pages wholly beyond the end of the file
// are EFAULT, which the fault handler turns into SIGBUS (BUS_ADRERR), as
// Linux does. The size is the file's size when the entry was created.
//
// MAP_PRIVATE mappings never write the cache's pages (see populateHole).
// One without PROT_WRITE (program text, read-only data) maps them directly,
// copy-on-write, so every process running a program shares the cache's
// copy of it; a write after mprotect(PROT_WRITE), or a forced write of the
// kernel's (CopyOutForce), copies the page first (breakCOW), and until
// then the mapping sees what MAP_SHARED mappings of the file write, as on
// Linux. A writable MAP_PRIVATE mapping copies the pages on their first
// fault.
//
// MAP_SHARED mappings map the cache's pages themselves: writes are shared
// by every process mapping the file, and are written back to the file by
// Sync (msync(2)) and when the last mapping goes away, through the
// CachedFile of a writable shared mapping. There is no dirty tracking (the
// platform does not report writes): write-back compares each cached page,
// clipped to the file's size, with the file and writes those that differ.
//
// When the last mapping of an entry goes away, the entry drops its file
// reference but keeps its pages, so that the next exec of the same program
// finds the C library in memory. Unused entries are evicted oldest first
// when their pages exceed the cache's limit (an eighth of the memory file,
// at most 256 MiB), and all of them when the memory file is full.
//
// # Locking
//
// PageCache.mu protects the index, the list of unused entries and every
// entry's reference count and files; cacheEntry.mu protects an entry's pages
// (and its files too: they are written with both locks held). The order is
//
//	MemoryManager.mu
//	  PageCache.mu
//	    cacheEntry.mu
//	      the CachedFile's own locks
//	      memfile.File.mu
//
// File I/O happens under these locks (Translate reads with the
// MemoryManager's mu held, as Linux's fault path reads under mmap_lock), so
// a CachedFile must never call back into the address space.

// FileKey identifies a file for the page cache.
type FileKey struct {
	// Dev and Ino are the device and inode numbers from stat(2).
	Dev, Ino uint64
}

// FileVersion is what says that a file's contents may have changed since
// its pages were cached.
type FileVersion struct {
	Size         int64
	Mtime, Ctime int64 // nanoseconds
}

// FileStat is what the page cache needs to know of a file.
type FileStat struct {
	Key     FileKey
	Version FileVersion
}

// CachedFile is an open file whose contents the page cache reads, and
// writes back to. ReadAt and WriteAt have io.ReaderAt's and io.WriterAt's
// contracts (a short read at the end of the file is not an error).
type CachedFile interface {
	ReadAt(dst []byte, off int64) (int, error)
	WriteAt(src []byte, off int64) (int, error)
	Stat() (FileStat, error)
	IncRef()
	DecRef()
}

// maxUnusedCache bounds the pages that unused entries keep.
const maxUnusedCache = 256 << 20

// PageCache holds the contents of mapped files in one memory file.
type PageCache struct {
	// mf is the memory file. It is weak so that a PageCache, which lives in
	// the registry of PageCacheFor, does not keep its memory file alive;
	// whoever calls into the cache holds a strong reference to it.
	mf weak.Pointer[memfile.File]

	// limit is how many bytes unused entries may keep. Immutable.
	limit uint64

	mu sync.Mutex

	// index maps a file to its current entry. Protected by mu.
	index map[FileKey]*cacheEntry

	// unused holds the indexed entries without references, least recently
	// used first, and unusedBytes their pages. Protected by mu.
	unused      *list.List
	unusedBytes uint64
}

var (
	cachesMu sync.Mutex
	caches   = map[weak.Pointer[memfile.File]]*PageCache{}
)

// PageCacheFor returns the page cache of mf, creating it on first use. There
// is one per memory file (that is, per sandbox); it goes away with mf.
func PageCacheFor(mf *memfile.File) *PageCache {
	key := weak.Make(mf)
	cachesMu.Lock()
	defer cachesMu.Unlock()
	if c, ok := caches[key]; ok {
		return c
	}
	c := newPageCache(mf)
	caches[key] = c
	runtime.AddCleanup(mf, func(k weak.Pointer[memfile.File]) {
		cachesMu.Lock()
		delete(caches, k)
		cachesMu.Unlock()
	}, key)
	return c
}

// PageCache returns the page cache of mm's memory file.
func (mm *MemoryManager) PageCache() *PageCache { return PageCacheFor(mm.mf) }

func newPageCache(mf *memfile.File) *PageCache {
	return &PageCache{
		mf:     weak.Make(mf),
		limit:  min(maxUnusedCache, mf.Limit()/8),
		index:  map[FileKey]*cacheEntry{},
		unused: list.New(),
	}
}

// Get returns the Mappable and the MappingIdentity of a mapping of f, with
// one reference on each for the caller (MMap takes its own for each VMA, so
// the caller drops these once it has mapped). name is the path shown in
// /proc/[pid]/maps. writable says the mapping is shared and may be written:
// f is then kept as the file to write the pages back to, so it must be open
// for writing.
func (c *PageCache) Get(f CachedFile, name string, writable bool) (Mappable, MappingIdentity, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.index[st.Key]
	if e != nil && e.version != st.Version {
		c.detachLocked(e)
		e = nil
	}
	if e == nil {
		e = &cacheEntry{
			cache:   c,
			key:     st.Key,
			version: st.Version,
			size:    uint64(max(st.Version.Size, 0)),
			pages:   btree.NewG(8, func(a, b *objSeg) bool { return a.start < b.start }),
			indexed: true,
		}
		c.index[st.Key] = e
	}
	c.incRefLocked(e)
	e.mu.Lock()
	if e.file == nil {
		f.IncRef()
		e.file = f
	}
	if writable && e.writer == nil {
		f.IncRef()
		e.writer = f
	}
	e.mu.Unlock()
	id := &fileIdentity{entry: e, name: name, dev: st.Key.Dev, ino: st.Key.Ino}
	id.refs.Store(1)
	return e, id, nil
}

// Drop detaches every entry: unused ones free their pages now, those still
// mapped when their last mapping goes away. The next Get reads files again.
func (c *PageCache) Drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.index {
		c.detachLocked(e)
	}
}

// Reclaim frees every unused entry (files no mapping uses any more, kept
// for the next exec) and returns how many bytes they held. The kernel calls
// it when memory runs out, before it kills anything.
func (c *PageCache) Reclaim() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.unusedBytes
	c.evictLocked(0)
	return before - c.unusedBytes
}

// PageCacheUsage is a snapshot of a PageCache's accounting.
type PageCacheUsage struct {
	// Entries is the number of files in the index, Unused how many of
	// them no mapping uses.
	Entries, Unused int

	// UnusedBytes is the memory the unused entries keep.
	UnusedBytes uint64
}

// Usage returns the cache's accounting.
func (c *PageCache) Usage() PageCacheUsage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return PageCacheUsage{Entries: len(c.index), Unused: c.unused.Len(), UnusedBytes: c.unusedBytes}
}

// incRefLocked adds a reference to e, taking it off the unused list.
//
// Preconditions: c.mu is locked.
func (c *PageCache) incRefLocked(e *cacheEntry) {
	if e.lru != nil {
		c.unused.Remove(e.lru)
		c.unusedBytes -= e.lruBytes
		e.lru = nil
	}
	e.refs++
}

// detachLocked removes e from the index. An unused entry is freed now.
//
// Preconditions: c.mu is locked; e is indexed.
func (c *PageCache) detachLocked(e *cacheEntry) {
	delete(c.index, e.key)
	e.indexed = false
	if e.lru != nil {
		c.unused.Remove(e.lru)
		c.unusedBytes -= e.lruBytes
		e.lru = nil
	}
	if e.refs == 0 {
		e.freePages()
	}
}

// evictLocked frees unused entries, oldest first, until they keep no more
// than keep bytes.
//
// Preconditions: c.mu is locked.
func (c *PageCache) evictLocked(keep uint64) {
	for c.unusedBytes > keep && c.unused.Len() > 0 {
		c.detachLocked(c.unused.Front().Value.(*cacheEntry))
	}
}

// cacheEntry is one version of one file in the cache, and the Mappable of
// every VMA that maps it.
type cacheEntry struct {
	// cache, key, version and size are immutable.
	cache   *PageCache
	key     FileKey
	version FileVersion
	size    uint64

	// refs counts the VMAs mapping the entry (and Get's caller's
	// reference). indexed says the entry is in cache.index; lru is its
	// element of cache.unused while refs is zero and it is indexed, and
	// lruBytes its pages then. Protected by cache.mu.
	refs     int64
	indexed  bool
	lru      *list.Element
	lruBytes uint64

	mu sync.Mutex

	// file is what Translate reads from and writer what Sync writes to
	// (nil if no writable shared mapping was made); the entry holds a
	// reference on each while refs > 0. Written with cache.mu and mu
	// held.
	file, writer CachedFile

	// pages maps file offsets to memory-file ranges; the entry holds one
	// reference on each, and bytes is their total. Protected by mu.
	pages *btree.BTreeG[*objSeg]
	bytes uint64
}

// IncRef implements Mappable.IncRef.
func (e *cacheEntry) IncRef() {
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	if e.refs <= 0 {
		panic("mm: cacheEntry.IncRef of an unused entry")
	}
	e.refs++
}

// DecRef implements Mappable.DecRef. When the last mapping goes away the
// pages are written back (if a writable shared mapping was made) and the
// files released; the pages stay cached unless the entry was detached.
func (e *cacheEntry) DecRef() {
	c := e.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.refs--; {
	case e.refs < 0:
		panic("mm: cacheEntry.DecRef below zero")
	case e.refs > 0:
		return
	}
	e.mu.Lock()
	if e.writer != nil {
		// Nobody can report the error: Linux loses it too (it would
		// surface in a later fsync).
		_ = e.writebackLocked()
		e.writer.DecRef()
		e.writer = nil
	}
	if e.file != nil {
		e.file.DecRef()
		e.file = nil
	}
	cached := e.bytes
	e.mu.Unlock()
	if !e.indexed {
		e.freePages()
		return
	}
	e.lru = c.unused.PushBack(e)
	e.lruBytes = cached
	c.unusedBytes += cached
	c.evictLocked(c.limit)
}

// freePages returns e's pages to the memory file.
func (e *cacheEntry) freePages() {
	e.mu.Lock()
	defer e.mu.Unlock()
	mf := e.cache.mf.Value()
	e.pages.Ascend(func(s *objSeg) bool {
		if mf != nil {
			mf.DecRef(memfile.Range{Start: s.off, End: s.off + s.end - s.start})
		}
		return true
	})
	e.pages.Clear(false)
	e.bytes = 0
}

// Translate implements Mappable.Translate: it returns the pages holding
// [off, off+length) of the file, reading those not cached yet. Pages
// beyond the end of the file are EFAULT (SIGBUS); an I/O error reading the
// file is EFAULT too, as Linux's fault path turns it into SIGBUS.
func (e *cacheEntry) Translate(off, length uint64, at platform.Prot) ([]memfile.Range, error) {
	var err error
	end := off + length
	if objEnd := (e.size + PageSize - 1) &^ (PageSize - 1); end > objEnd || end < off {
		end = objEnd
		err = unix.EFAULT
	}
	if off >= end {
		return nil, unix.EFAULT
	}
	mf := e.cache.mf.Value()
	if mf == nil {
		return nil, unix.EFAULT
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []memfile.Range
	add := func(fr memfile.Range) {
		mf.IncRef(fr)
		if n := len(out); n > 0 && out[n-1].End == fr.Start {
			out[n-1].End = fr.End
		} else {
			out = append(out, fr)
		}
	}
	for cur := off; cur < end; {
		var seg *objSeg
		e.pages.DescendLessOrEqual(&objSeg{start: cur}, func(s *objSeg) bool {
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
		holeEnd := end
		e.pages.AscendGreaterOrEqual(&objSeg{start: cur}, func(s *objSeg) bool {
			holeEnd = min(holeEnd, s.start)
			return false
		})
		fr, ferr := e.fillLocked(mf, cur, holeEnd)
		if ferr != nil {
			return out, ferr
		}
		add(fr)
		cur += fr.Length()
	}
	return out, err
}

// fillLocked reads [start, end) of the file (clipped to its size) into new
// pages, caches them and returns them. If the memory file is full it evicts
// the unused entries of the cache and tries once more, a page at a time.
//
// Preconditions: e.mu is locked; [start, end) is page-aligned, not cached
// and within the entry's pages.
func (e *cacheEntry) fillLocked(mf *memfile.File, start, end uint64) (memfile.Range, error) {
	fr, err := mf.Allocate(end - start)
	if err != nil {
		// Eviction takes cache.mu, which comes before e.mu; entries on
		// the unused list are not e, so their locks are free, but
		// cache.mu may be held by a DecRef waiting for e.mu. Try it
		// without blocking.
		if e.cache.mu.TryLock() {
			e.cache.evictLocked(0)
			e.cache.mu.Unlock()
		}
		end = start + PageSize
		if fr, err = mf.Allocate(PageSize); err != nil {
			return fr, err
		}
	}
	if e.file == nil {
		mf.DecRef(fr)
		return memfile.Range{}, unix.EFAULT
	}
	buf := mf.Slice(fr)
	if avail := e.size - min(e.size, start); uint64(len(buf)) > avail {
		buf = buf[:avail]
	}
	for done := 0; done < len(buf); {
		n, rerr := e.file.ReadAt(buf[done:], int64(start)+int64(done))
		done += n
		if rerr != nil || n == 0 {
			if rerr == nil || errors.Is(rerr, io.EOF) {
				// The file shrank: what is missing reads as zero,
				// as the entry's version is the size it had.
				break
			}
			mf.DecRef(fr)
			return memfile.Range{}, unix.EFAULT
		}
	}
	e.pages.ReplaceOrInsert(&objSeg{start: start, end: end, off: fr.Start})
	e.bytes += end - start
	return fr, nil
}

// Sync writes the cached pages back to the file if a writable shared mapping
// of it was made (msync(2)).
func (e *cacheEntry) Sync() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.writebackLocked()
}

// writebackLocked writes every cached page to e.writer, clipped to the
// file's current size. It writes nothing if there is no writer.
//
// Preconditions: e.mu is locked.
func (e *cacheEntry) writebackLocked() error {
	if e.writer == nil {
		return nil
	}
	mf := e.cache.mf.Value()
	if mf == nil {
		return nil
	}
	st, err := e.writer.Stat()
	if err != nil {
		return unix.EIO
	}
	size := uint64(max(st.Version.Size, 0))
	var werr error
	old := make([]byte, PageSize)
	e.pages.Ascend(func(s *objSeg) bool {
		if s.start >= size {
			return false
		}
		buf := mf.Slice(memfile.Range{Start: s.off, End: s.off + s.end - s.start})
		buf = buf[:min(uint64(len(buf)), size-s.start)]
		// Without dirty bits, write only the pages that differ from
		// the file, so that a writable mapping that was only read
		// leaves the file (and its mtime) alone.
		for off := 0; off < len(buf); off += int(PageSize) {
			page := buf[off:min(len(buf), off+int(PageSize))]
			n, _ := e.writer.ReadAt(old[:len(page)], int64(s.start)+int64(off))
			if n == len(page) && bytes.Equal(old[:n], page) {
				continue
			}
			if _, err := e.writer.WriteAt(page, int64(s.start)+int64(off)); err != nil {
				werr = unix.EIO
				return false
			}
		}
		return true
	})
	return werr
}

// fileIdentity is the MappingIdentity of a mapping made with Get.
type fileIdentity struct {
	// All fields but refs are immutable.
	entry    *cacheEntry
	name     string
	dev, ino uint64

	refs atomic.Int64
}

// IncRef implements MappingIdentity.IncRef.
func (id *fileIdentity) IncRef() { id.refs.Add(1) }

// DecRef implements MappingIdentity.DecRef.
func (id *fileIdentity) DecRef() {
	if id.refs.Add(-1) < 0 {
		panic("mm: fileIdentity.DecRef below zero")
	}
}

// MappedName implements MappingIdentity.MappedName.
func (id *fileIdentity) MappedName() string { return id.name }

// DeviceID implements MappingIdentity.DeviceID.
func (id *fileIdentity) DeviceID() uint64 { return id.dev }

// InodeID implements MappingIdentity.InodeID.
func (id *fileIdentity) InodeID() uint64 { return id.ino }

// Sync writes back the file's shared pages (msync(2)); a no-op for files
// without a writable shared mapping.
func (id *fileIdentity) Sync() error { return id.entry.Sync() }
