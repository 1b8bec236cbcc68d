package hostfs

import (
	"time"

	"github.com/seed-a9fb2a21/ward/core/vfs"
)

// cacheTTL is how long an attribute, a lookup or a symlink target learnt
// from the host is trusted, unless the FS's generation moves first (see the
// package comment). It is the longest that a change made on the host by
// another process stays unseen.
//
// 100 ms is shorter than FUSE's default timeouts (1 s) and NFS's attribute
// cache (3 s and more), short enough that a person or a script acting on
// the host never notices, and long enough to cover the bursts the cache is
// for: an exec with its dynamic loading walks the same few dozen paths
// within a millisecond or two, and a build or test run repeats them for
// every process it starts.
const cacheTTL = 100 * time.Millisecond

// maxCachedNames bounds the lookups a directory remembers. A walk over a
// huge directory would otherwise keep an inode per name; when the cache is
// full it is emptied (the names in use come back at the next lookup), which
// costs nothing per insertion, unlike finding the oldest.
const maxCachedNames = 256

// clockBase is the origin of now.
var clockBase = time.Now()

// now reads the monotonic clock, for cache ages.
func now() time.Duration { return time.Since(clockBase) }

// fresh reports whether something learnt from the host at time at and
// generation gen may still be used.
func (fs *FS) fresh(at time.Duration, gen uint64) bool {
	return gen == fs.gen.Load() && now()-at < fs.ttl
}

// changed records a change made through fs: it invalidates every cached
// attribute, lookup and symlink target. It is called after the host
// operation (successful or not), so that nothing learnt from the host
// before the change can be stored with the new generation.
func (fs *FS) changed() { fs.gen.Add(1) }

// attrs are an inode's attributes as the host reported them.
type attrs struct {
	st  vfs.Stat
	at  time.Duration // when the host was asked
	gen uint64        // fs.gen before the host was asked
}

// symlinkTarget is a symbolic link's target as the host reported it.
type symlinkTarget struct {
	target string
	at     time.Duration
	gen    uint64
}

// dentry is one remembered lookup.
type dentry struct {
	child *inode
	at    time.Duration // when the host was asked
}

// dentries are the lookups a directory remembers. Every entry was learnt
// at generation gen: the map is emptied when the generation moves. A stale
// entry is replaced by a new inode, never refreshed, so that what the old
// one remembered below it is freed: what stays in memory is what was
// walked within about a TTL, at most maxCachedNames per directory.
type dentries struct {
	gen uint64
	m   map[string]dentry
}

// cachedChild returns the child called name that in remembers, or nil.
func (in *inode) cachedChild(name string) *inode {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.dents.m == nil {
		return nil
	}
	d, ok := in.dents.m[name]
	if !ok {
		return nil
	}
	if !in.fs.fresh(d.at, in.dents.gen) {
		delete(in.dents.m, name)
		return nil
	}
	return d.child
}

// rememberChild records that name was child when the host was asked at
// time at and generation gen.
func (in *inode) rememberChild(name string, child *inode, at time.Duration, gen uint64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case gen < in.dents.gen:
		return // the host answered before a change that emptied the map
	case gen > in.dents.gen || len(in.dents.m) >= maxCachedNames:
		clear(in.dents.m)
		in.dents.gen = gen
	}
	if in.dents.m == nil {
		in.dents.m = make(map[string]dentry)
	}
	in.dents.m[name] = dentry{child: child, at: at}
}
