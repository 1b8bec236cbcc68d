package vfs

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Epoll event bits beyond poll's (<uapi/linux/eventpoll.h>).
const (
	EpollRdHup     = unix.EPOLLRDHUP
	EpollExclusive = unix.EPOLLEXCLUSIVE
	EpollWakeUp    = unix.EPOLLWAKEUP
	EpollOneShot   = unix.EPOLLONESHOT
	EpollET        = unix.EPOLLET

	// epollInputFlags are the flags of an epoll_event that are not
	// events.
	epollInputFlags = EpollExclusive | EpollWakeUp | EpollOneShot | EpollET

	// epollExclusiveOK are the bits EPOLLEXCLUSIVE may be combined with.
	epollExclusiveOK = EventIn | EventOut | EventErr | EventHup | EpollWakeUp | EpollET | EpollExclusive

	epollRdNorm = 0x40  // EPOLLRDNORM (POLLRDNORM)
	epollWrNorm = 0x100 // EPOLLWRNORM (POLLWRNORM)

	// epollMaxNests is EP_MAX_NESTS: how deep epolls may be nested.
	epollMaxNests = 4
)

// EpollEvent is one event epoll_wait reports: the events that are ready
// and the data the application registered.
type EpollEvent struct {
	Events uint32
	Data   uint64
}

// epollKey identifies an interest: Linux keys it by the open file and
// the descriptor number it was added under.
type epollKey struct {
	file *FileDescription
	fd   int32
}

// epollItem is one file in an epoll's interest list.
type epollItem struct {
	key epollKey
	// events and data are what epoll_ctl set; disabled is set once an
	// EPOLLONESHOT item reported. Protected by Epoll.mu.
	events   uint32
	data     uint64
	disabled bool
	// edge is registered with the file: a value in its channel means the
	// file signalled a change since the item last reported
	// (edge-triggered items report only then). Its Mask is immutable
	// once registered.
	edge *Entry
}

// Epoll is the FileImpl of an epoll instance (epoll_create(2)).
//
// The epoll holds no reference on the files it watches, as in Linux: an
// item whose file has been released (every descriptor of it closed) is
// dropped the next time the epoll looks at it.
//
// Waiting: each item's edge Entry is registered with its file. Entries
// registered with the epoll itself (epoll_wait's own, poll's, an outer
// epoll's) are forwarded: registered with every watched file, so any
// change of a watched file wakes them, and they rescan.
type Epoll struct {
	mu sync.Mutex
	// items are the interest list, by key and in insertion order; cursor
	// is where the next scan starts, so that a full result rotates
	// through ready items. Protected by mu.
	items  map[epollKey]*epollItem
	order  []*epollItem
	cursor int
	// watchers maps an Entry registered with the epoll to the Entry
	// forwarded to each watched file (same channel, every event).
	// Protected by mu.
	watchers map[*Entry]*Entry
	// released is set by Release. Protected by mu.
	released bool
}

// epollNest serialises the adding of epoll files to epolls, so that loop
// and depth checks see a stable graph (Linux's epnested_mutex).
var epollNest sync.Mutex

// NewEpoll returns the description of a new, empty epoll instance.
func NewEpoll() *FileDescription {
	ep := &Epoll{items: map[epollKey]*epollItem{}, watchers: map[*Entry]*Entry{}}
	return NewDescription(ep, DescriptionOptions{Flags: unix.O_RDWR, Stream: true})
}

// tryIncRef takes a reference on f unless it has already been released.
func tryIncRef(f *FileDescription) bool {
	for {
		n := f.refs.Load()
		if n <= 0 {
			return false
		}
		if f.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Pollable reports whether f can be watched by epoll: regular files and
// directories cannot (EPERM), as they have no poll method in Linux.
func Pollable(f *FileDescription) bool {
	if _, ok := f.impl.(Waitable); !ok {
		if st, err := f.Stat(); err == nil {
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFREG, unix.S_IFDIR:
				return false
			}
		}
		return true
	}
	if f.loc.Valid() {
		if st, err := f.Stat(); err == nil {
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFREG, unix.S_IFDIR:
				return false
			}
		}
	}
	return true
}

// Control implements epoll_ctl's EPOLL_CTL_ADD, EPOLL_CTL_MOD and
// EPOLL_CTL_DEL for file f known as descriptor fd. self is the epoll's own
// description (adding it to itself is EINVAL).
func (ep *Epoll) Control(self *FileDescription, op int, fd int32, f *FileDescription, ev EpollEvent) error {
	if f == self {
		return unix.EINVAL
	}
	if !Pollable(f) {
		return unix.EPERM
	}
	if op != unix.EPOLL_CTL_DEL && ev.Events&EpollExclusive != 0 {
		if op == unix.EPOLL_CTL_MOD || ev.Events&^epollExclusiveOK != 0 {
			return unix.EINVAL
		}
		if _, ok := f.impl.(*Epoll); ok {
			return unix.EINVAL
		}
	}
	key := epollKey{file: f, fd: fd}
	child, isEpoll := f.impl.(*Epoll)
	if op == unix.EPOLL_CTL_ADD && isEpoll {
		epollNest.Lock()
		defer epollNest.Unlock()
		if child.reaches(ep) || child.depth()+1 > epollMaxNests {
			return unix.ELOOP
		}
	}

	ep.mu.Lock()
	ep.pruneLocked()
	it := ep.items[key]
	switch op {
	case unix.EPOLL_CTL_ADD:
		if it != nil {
			ep.mu.Unlock()
			return unix.EEXIST
		}
		it = &epollItem{key: key, events: ev.Events, data: ev.Data}
		it.edge = NewEntry(interestMask(ev.Events))
		ep.items[key] = it
		ep.order = append(ep.order, it)
		f.EventRegister(it.edge)
		for _, fw := range ep.watchers {
			f.EventRegister(fw)
		}
		it.edge.C <- struct{}{} // an item that is ready now reports once
	case unix.EPOLL_CTL_MOD:
		if it == nil {
			ep.mu.Unlock()
			return unix.ENOENT
		}
		if it.events&EpollExclusive != 0 {
			ep.mu.Unlock()
			return unix.EINVAL
		}
		it.events, it.data, it.disabled = ev.Events, ev.Data, false
		// The edge Entry's mask changes: register a new one.
		f.EventUnregister(it.edge)
		it.edge = NewEntry(interestMask(ev.Events))
		f.EventRegister(it.edge)
		it.edge.C <- struct{}{}
	case unix.EPOLL_CTL_DEL:
		if it == nil {
			ep.mu.Unlock()
			return unix.ENOENT
		}
		ep.removeLocked(it)
		ep.mu.Unlock()
		return nil
	default:
		ep.mu.Unlock()
		return unix.EINVAL
	}
	ep.notifyWatchersLocked()
	ep.mu.Unlock()
	return nil
}

// interestMask is what an item's edge Entry listens for: its events, and
// the errors and hang-ups that are always reported.
func interestMask(events uint32) uint32 {
	return events&^epollInputFlags | EventErr | EventHup
}

// removeLocked drops it from the interest list.
//
// Preconditions: ep.mu is held.
func (ep *Epoll) removeLocked(it *epollItem) {
	delete(ep.items, it.key)
	for i, o := range ep.order {
		if o == it {
			ep.order = append(ep.order[:i], ep.order[i+1:]...)
			if ep.cursor > i {
				ep.cursor--
			}
			break
		}
	}
	f := it.key.file
	f.EventUnregister(it.edge)
	for _, fw := range ep.watchers {
		f.EventUnregister(fw)
	}
}

// pruneLocked drops the items whose files have been released.
//
// Preconditions: ep.mu is held.
func (ep *Epoll) pruneLocked() {
	for _, it := range append([]*epollItem(nil), ep.order...) {
		if it.key.file.refs.Load() <= 0 {
			ep.removeLocked(it)
		}
	}
}

// notifyWatchersLocked wakes the entries waiting on the epoll (after an
// item was added or changed: it may be ready).
//
// Preconditions: ep.mu is held.
func (ep *Epoll) notifyWatchersLocked() {
	for _, fw := range ep.watchers {
		select {
		case fw.C <- struct{}{}:
		default:
		}
	}
}

// readiness returns the events of it that are ready now, or 0. The caller
// holds a reference on the file.
func (it *epollItem) readiness() uint32 {
	want := interestMask(it.events)
	r := it.key.file.Readiness(want)
	// Files report POLLIN and POLLOUT; the _NORM variants go with them.
	if r&EventIn != 0 {
		r |= epollRdNorm
	}
	if r&EventOut != 0 {
		r |= epollWrNorm
	}
	return r & want
}

// ReadEvents implements the scan of epoll_wait: it returns up to max
// ready events, consuming edges (edge-triggered items) and disabling
// one-shot items that report. It never blocks.
func (ep *Epoll) ReadEvents(max int) []EpollEvent {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	var out []EpollEvent
	n := len(ep.order)
	if n == 0 || max <= 0 {
		return nil
	}
	start := ep.cursor % n
	var dead []*epollItem
	last := -1
	for k := 0; k < n && len(out) < max; k++ {
		i := (start + k) % n
		it := ep.order[i]
		if it.disabled {
			continue
		}
		f := it.key.file
		if !tryIncRef(f) {
			dead = append(dead, it)
			continue
		}
		et := it.events&EpollET != 0
		edged := false
		if et {
			select {
			case <-it.edge.C:
				edged = true
			default:
			}
		}
		var r uint32
		if !et || edged {
			r = it.readiness()
		}
		f.DecRef()
		if r == 0 {
			continue
		}
		out = append(out, EpollEvent{Events: r, Data: it.data})
		last = i
		if it.events&EpollOneShot != 0 {
			it.disabled = true
		}
	}
	if last >= 0 {
		ep.cursor = last + 1
	}
	for _, it := range dead {
		ep.removeLocked(it)
	}
	return out
}

// Readiness implements Waitable: the epoll is readable when an item would
// report (without consuming anything).
func (ep *Epoll) Readiness(mask uint32) uint32 {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for _, it := range ep.order {
		if it.disabled {
			continue
		}
		if it.events&EpollET != 0 && len(it.edge.C) == 0 {
			continue
		}
		f := it.key.file
		if !tryIncRef(f) {
			continue
		}
		r := it.readiness()
		f.DecRef()
		if r != 0 {
			return EventIn & mask
		}
	}
	return 0
}

// EventRegister implements Waitable: e is forwarded to every watched file.
func (ep *Epoll) EventRegister(e *Entry) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if _, ok := ep.watchers[e]; ok || ep.released {
		return
	}
	fw := &Entry{C: e.C, Mask: ^uint32(0)}
	ep.watchers[e] = fw
	for _, it := range ep.order {
		it.key.file.EventRegister(fw)
	}
}

// EventUnregister implements Waitable.
func (ep *Epoll) EventUnregister(e *Entry) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	fw, ok := ep.watchers[e]
	if !ok {
		return
	}
	delete(ep.watchers, e)
	for _, it := range ep.order {
		it.key.file.EventUnregister(fw)
	}
}

// reaches reports whether target is ep or is watched by ep, directly or
// through nested epolls.
//
// Preconditions: epollNest is held.
func (ep *Epoll) reaches(target *Epoll) bool {
	if ep == target {
		return true
	}
	for _, c := range ep.children() {
		if c.reaches(target) {
			return true
		}
	}
	return false
}

// depth is how many levels of epolls ep watches below itself (0: none).
//
// Preconditions: epollNest is held.
func (ep *Epoll) depth() int {
	d := 0
	for _, c := range ep.children() {
		if cd := c.depth() + 1; cd > d {
			d = cd
		}
	}
	return d
}

// children returns the epolls ep watches.
func (ep *Epoll) children() []*Epoll {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	var out []*Epoll
	for _, it := range ep.order {
		if c, ok := it.key.file.impl.(*Epoll); ok && it.key.file.refs.Load() > 0 {
			out = append(out, c)
		}
	}
	return out
}

// Len returns the number of items in the interest list (live or not yet
// pruned).
func (ep *Epoll) Len() int {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.pruneLocked()
	return len(ep.order)
}

// Read implements FileImpl.Read: epolls are not readable with read(2).
func (ep *Epoll) Read(Blocker, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Write implements FileImpl.Write.
func (ep *Epoll) Write(Blocker, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Stat implements FileImpl.Stat.
func (ep *Epoll) Stat() (Stat, error) { return anonStat(), nil }

// Release implements FileImpl.Release: every registration with the
// watched files is undone.
func (ep *Epoll) Release() {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for _, it := range append([]*epollItem(nil), ep.order...) {
		ep.removeLocked(it)
	}
	ep.watchers = map[*Entry]*Entry{}
	ep.released = true
}
