package dev

import (
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// Device numbers of the pseudo-terminals.
const (
	ptmxMajor  = 5   // TTYAUX_MAJOR; /dev/ptmx is 5:2
	ptsMajor   = 136 // UNIX98_PTY_SLAVE_MAJOR: glibc's ptsname checks it
	ttyGroup   = 5   // the "tty" group that owns /dev/pts/N
	ptsMode    = 0o620
	maxPtys    = 4096
	ptsInoBase = 1 << 32
)

// pty is a pseudo-terminal pair: the master (an open /dev/ptmx) and the
// slave (/dev/pts/N), joined by a line discipline. Data written to the
// master is the slave's input; what the slave writes is the master's
// input, after output processing.
type pty struct {
	fs    *FS    // immutable
	index uint32 // immutable: N of /dev/pts/N

	mu sync.Mutex

	// ld holds the queues and the termios. Protected by mu.
	ld *ldisc
	// ws is the window size. Protected by mu.
	ws winsize
	// locked is TIOCSPTLCK's lock: the slave cannot be opened while
	// set. Protected by mu.
	locked bool
	// masterOpen is cleared when the master is closed: the slave is then
	// hung up. Protected by mu.
	masterOpen bool
	// slaves counts the open slave files; slaveOpened is set by the
	// first. A master with slaveOpened and no slaves reads EIO.
	// Protected by mu.
	slaves      int
	slaveOpened bool
	// sid is the session whose controlling terminal this is (0: none);
	// fg is the foreground process group. Protected by mu.
	sid, fg int32

	// Attributes of /dev/pts/N. Protected by mu.
	mode                uint32
	uid, gid            uint32
	atime, mtime, ctime vfs.Timespec

	// mq and sq wake the master's and the slave's waiters.
	mq, sq vfs.Queue
}

// slaveGone reports whether the master has lost its slave (reads EIO).
//
// Preconditions: p.mu is held.
func (p *pty) slaveGone() bool { return p.slaveOpened && p.slaves == 0 }

// errTimeout ends a wait whose VTIME expired.
var errTimeout = errors.New("timeout")

// wait blocks until e is notified, b is interrupted (ErrInterrupted) or
// timer fires (errTimeout). NonBlocking is EAGAIN.
func wait(b vfs.Blocker, e *vfs.Entry, timer <-chan time.Time) error {
	if b == vfs.NonBlocking {
		return unix.EAGAIN
	}
	var intr <-chan struct{}
	if b != nil {
		intr = b.Interrupted()
	}
	select {
	case <-e.C:
		return nil
	case <-intr:
		return vfs.ErrInterrupted
	case <-timer:
		return errTimeout
	}
}

// masterRead reads the slave's output.
func (p *pty) masterRead(b vfs.Blocker, dst []byte) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	var e *vfs.Entry
	defer func() {
		if e != nil {
			p.mq.Unregister(e)
		}
	}()
	for {
		p.mu.Lock()
		if len(p.ld.out) > 0 {
			n := p.ld.readOutput(dst)
			p.mu.Unlock()
			p.sq.Notify(vfs.EventOut)
			return n, nil
		}
		if p.slaveGone() {
			p.mu.Unlock()
			return 0, unix.EIO
		}
		if e == nil {
			e = vfs.NewEntry(vfs.EventIn | vfs.EventHup)
			p.mq.Register(e)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		if err := wait(b, e, nil); err != nil {
			return 0, err
		}
	}
}

// masterWrite feeds the slave's input through the line discipline.
func (p *pty) masterWrite(b vfs.Blocker, src []byte) (int, error) {
	done := 0
	var e *vfs.Entry
	defer func() {
		if e != nil {
			p.mq.Unregister(e)
		}
	}()
	for {
		p.mu.Lock()
		n, sigs := p.ld.receive(src[done:])
		done += n
		fg := p.fg
		p.mu.Unlock()
		if n > 0 {
			p.sq.Notify(vfs.EventIn | vfs.EventOut)
			p.mq.Notify(vfs.EventIn)
		}
		p.raise(fg, sigs)
		if done == len(src) {
			return done, nil
		}
		if n > 0 {
			continue
		}
		if e == nil {
			e = vfs.NewEntry(vfs.EventOut)
			p.mq.Register(e)
			continue
		}
		if err := wait(b, e, nil); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// raise sends the line discipline's signals to the foreground process
// group.
func (p *pty) raise(fg int32, sigs []int) {
	if len(sigs) == 0 || fg <= 0 {
		return
	}
	if h := p.fs.hook(); h != nil {
		for _, s := range sigs {
			h.SignalGroup(fg, s)
		}
	}
}

// jobControl applies job control to the task b reading (SIGTTIN) or
// writing (SIGTTOU) the slave, if the pty is its controlling terminal: a
// process in a background group is stopped (core/kernel
// Task.TerminalAccess). A write is checked only under TOSTOP; a change of
// the terminal's settings (settingsChange) always.
func (p *pty) jobControl(b vfs.Blocker, sig unix.Signal) error {
	return p.checkAccess(b, sig, sig == unix.SIGTTOU)
}

// settingsChange applies job control to a change of the terminal's
// settings (tcsetattr, tcsetpgrp, tcflush, tcflow) by b: SIGTTOU whatever
// TOSTOP says, as Linux's tty_check_change.
func (p *pty) settingsChange(b vfs.Blocker) error {
	return p.checkAccess(b, unix.SIGTTOU, false)
}

func (p *pty) checkAccess(b vfs.Blocker, sig unix.Signal, needTostop bool) error {
	tu, ok := b.(vfs.TerminalUser)
	if !ok {
		return nil
	}
	p.mu.Lock()
	sid, fg := p.sid, p.fg
	tostop := p.ld.t.lflag&unix.TOSTOP != 0
	p.mu.Unlock()
	if sid == 0 || fg <= 0 || (needTostop && !tostop) || tu.SessionID() != sid || tu.ProcessGroupID() == fg {
		return nil // not its terminal, or in the foreground
	}
	return tu.TerminalAccess(fg, int(sig))
}

// slaveRead reads the slave's input: a line in canonical mode; otherwise
// as VMIN and VTIME say.
func (p *pty) slaveRead(b vfs.Blocker, dst []byte) (int, error) {
	if err := p.jobControl(b, unix.SIGTTIN); err != nil {
		return 0, err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	var (
		e       *vfs.Entry
		timer   *time.Timer
		timerC  <-chan time.Time
		expired bool
		seen    = -1
	)
	defer func() {
		if e != nil {
			p.sq.Unregister(e)
		}
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		p.mu.Lock()
		if !p.masterOpen {
			p.mu.Unlock()
			return 0, nil // hung up
		}
		ld := p.ld
		if ld.t.canonical() {
			if len(ld.lines) > 0 {
				n, _ := ld.read(dst)
				p.mu.Unlock()
				p.mq.Notify(vfs.EventOut)
				return n, nil
			}
		} else {
			vmin, vtime := int(ld.t.cc[vMIN]), int(ld.t.cc[vTIME])
			avail := len(ld.raw)
			want := max(min(vmin, len(dst)), 1)
			if avail >= want || (avail > 0 && (vmin == 0 || expired)) {
				n, _ := ld.read(dst)
				p.mu.Unlock()
				p.mq.Notify(vfs.EventOut)
				return n, nil
			}
			if vmin == 0 && (vtime == 0 || expired) {
				p.mu.Unlock()
				return 0, nil
			}
			// VTIME is an overall timeout with VMIN 0, an inter-byte
			// one (started by the first byte) otherwise.
			if vtime > 0 && b != vfs.NonBlocking && avail != seen && (vmin == 0 && timer == nil || vmin > 0 && avail > 0) {
				if timer != nil {
					timer.Stop()
				}
				timer = time.NewTimer(time.Duration(vtime) * 100 * time.Millisecond)
				timerC = timer.C
			}
			seen = avail
		}
		if e == nil {
			e = vfs.NewEntry(vfs.EventIn | vfs.EventHup)
			p.sq.Register(e)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		switch err := wait(b, e, timerC); err {
		case nil:
		case errTimeout:
			expired = true
		default:
			return 0, err
		}
	}
}

// slaveWrite writes the slave's output, post-processed, to the master.
func (p *pty) slaveWrite(b vfs.Blocker, src []byte) (int, error) {
	if err := p.jobControl(b, unix.SIGTTOU); err != nil {
		return 0, err
	}
	done := 0
	var e *vfs.Entry
	defer func() {
		if e != nil {
			p.sq.Unregister(e)
		}
	}()
	for {
		p.mu.Lock()
		if !p.masterOpen {
			p.mu.Unlock()
			if done > 0 {
				return done, nil
			}
			return 0, unix.EIO
		}
		n := p.ld.transmit(src[done:])
		done += n
		p.mu.Unlock()
		if n > 0 {
			p.mq.Notify(vfs.EventIn)
		}
		if done == len(src) {
			return done, nil
		}
		if n > 0 {
			continue
		}
		if e == nil {
			e = vfs.NewEntry(vfs.EventOut)
			p.sq.Register(e)
			continue
		}
		if err := wait(b, e, nil); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// masterReadiness is poll of the master.
func (p *pty) masterReadiness(mask uint32) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var r uint32
	if len(p.ld.out) > 0 {
		r |= vfs.EventIn
	}
	if p.ld.inputLen() < inputCap {
		r |= vfs.EventOut
	}
	if p.slaveGone() {
		r |= vfs.EventHup
	}
	return r & (mask | vfs.EventErr | vfs.EventHup)
}

// slaveReadiness is poll of the slave.
func (p *pty) slaveReadiness(mask uint32) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.masterOpen {
		return (vfs.EventIn | vfs.EventOut | vfs.EventErr | vfs.EventHup) & (mask | vfs.EventErr | vfs.EventHup)
	}
	var r uint32
	if p.ld.readable() {
		r |= vfs.EventIn
	}
	if !p.ld.stopped && p.ld.room() >= 8 {
		r |= vfs.EventOut
	}
	return r & (mask | vfs.EventErr | vfs.EventHup)
}

// openSlave counts a new slave file; noctty is O_NOCTTY.
func (p *pty) openSlave(noctty bool) error {
	p.mu.Lock()
	if p.locked || !p.masterOpen {
		p.mu.Unlock()
		return unix.EIO
	}
	p.slaves++
	p.slaveOpened = true
	p.mu.Unlock()
	p.mq.Notify(vfs.EventOut)
	if !noctty {
		// A session leader without a controlling terminal acquires
		// this one, as on Linux.
		if c, ok := p.fs.caller(); ok && c.PID == c.SID {
			p.fs.ptsMu.Lock()
			_, has := p.fs.cttys[c.SID]
			p.fs.ptsMu.Unlock()
			if !has {
				p.setControlling(c, false, false)
			}
		}
	}
	return nil
}

// releaseSlave drops a slave file.
func (p *pty) releaseSlave() {
	p.mu.Lock()
	p.slaves--
	p.mu.Unlock()
	p.mq.Notify(vfs.EventIn | vfs.EventHup)
}

// releaseMaster closes the master: the slave is hung up, /dev/pts/N goes
// away, and the session it controlled gets SIGHUP.
func (p *pty) releaseMaster() {
	p.mu.Lock()
	p.masterOpen = false
	sid, fg := p.sid, p.fg
	p.sid, p.fg = 0, 0
	p.mu.Unlock()
	p.sq.Notify(vfs.EventAll)
	p.fs.removePty(p)
	if h := p.fs.hook(); h != nil && sid > 0 {
		if fg > 0 {
			h.SignalGroup(fg, int(unix.SIGHUP))
			h.SignalGroup(fg, int(unix.SIGCONT))
		}
		h.SignalProcess(sid, int(unix.SIGHUP))
		h.SignalProcess(sid, int(unix.SIGCONT))
	}
}

// setControlling makes p the controlling terminal of c's session
// (TIOCSCTTY). steal (arg 1 from a privileged caller) takes it from
// another session.
func (p *pty) setControlling(c Caller, steal, check bool) error {
	if c.PID != c.SID {
		return unix.EPERM
	}
	p.mu.Lock()
	owner := p.sid
	p.mu.Unlock()
	if owner == c.SID {
		return nil
	}
	if owner != 0 && !(steal && c.Privileged) {
		if h := p.fs.hook(); h != nil && h.SessionAlive(owner) {
			return unix.EPERM
		}
	}
	fs := p.fs
	fs.ptsMu.Lock()
	defer fs.ptsMu.Unlock()
	if cur, ok := fs.cttys[c.SID]; ok && cur != p {
		if check {
			return unix.EPERM
		}
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.masterOpen {
		return unix.EIO
	}
	if p.sid != 0 {
		delete(fs.cttys, p.sid)
	}
	p.sid, p.fg = c.SID, c.PGID
	fs.cttys[c.SID] = p
	return nil
}

// dropControlling detaches p from its session (TIOCNOTTY by the session
// leader); the foreground process group gets SIGHUP and SIGCONT.
func (p *pty) dropControlling() {
	fs := p.fs
	fs.ptsMu.Lock()
	p.mu.Lock()
	sid, fg := p.sid, p.fg
	p.sid, p.fg = 0, 0
	if sid != 0 && fs.cttys[sid] == p {
		delete(fs.cttys, sid)
	}
	p.mu.Unlock()
	fs.ptsMu.Unlock()
	if h := fs.hook(); h != nil && fg > 0 {
		h.SignalGroup(fg, int(unix.SIGHUP))
		h.SignalGroup(fg, int(unix.SIGCONT))
	}
}

// ioctl implements the terminal ioctls of either side. Most act on the
// pair (Linux's tty_pair_get_tty): the termios, the window size and the
// job-control state are the slave's.
func (p *pty) ioctl(master bool, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	p.mu.Lock()
	hungUp := !master && !p.masterOpen
	p.mu.Unlock()
	if hungUp {
		if cmd == vfs.TIOCSPGRP {
			return 0, unix.ENOTTY
		}
		return 0, unix.EIO
	}
	switch cmd {
	case vfs.TCGETS, tcgets2:
		size := termiosSize
		if cmd == tcgets2 {
			size = termios2Size
		}
		p.mu.Lock()
		b := p.ld.t.marshal(size)
		p.mu.Unlock()
		_, err := mem.CopyOut(arg, b)
		return 0, err
	case vfs.TCSETS, vfs.TCSETSW, vfs.TCSETSF, tcsets2, tcsetsw2, tcsetsf2:
		size := termiosSize
		if cmd == tcsets2 || cmd == tcsetsw2 || cmd == tcsetsf2 {
			size = termios2Size
		}
		b := make([]byte, size)
		if _, err := mem.CopyIn(arg, b); err != nil {
			return 0, err
		}
		p.mu.Lock()
		t := p.ld.t
		t.unmarshal(b)
		if cmd == vfs.TCSETSF || cmd == tcsetsf2 {
			p.ld.flushInput()
		}
		p.ld.setTermios(t)
		p.mu.Unlock()
		p.sq.Notify(vfs.EventIn | vfs.EventOut)
		p.mq.Notify(vfs.EventOut)
		return 0, nil
	case vfs.TIOCGWINSZ:
		p.mu.Lock()
		b := p.ws.marshal()
		p.mu.Unlock()
		_, err := mem.CopyOut(arg, b)
		return 0, err
	case vfs.TIOCSWINSZ:
		b := make([]byte, 8)
		if _, err := mem.CopyIn(arg, b); err != nil {
			return 0, err
		}
		var ws winsize
		ws.unmarshal(b)
		p.mu.Lock()
		changed := ws != p.ws
		p.ws = ws
		fg := p.fg
		p.mu.Unlock()
		if changed {
			p.raise(fg, []int{int(unix.SIGWINCH)})
		}
		return 0, nil
	case vfs.FIONREAD:
		p.mu.Lock()
		n := p.ld.inq()
		if master {
			n = len(p.ld.out)
		}
		p.mu.Unlock()
		return 0, putUint32(mem, arg, uint32(n))
	case tiocoutq:
		p.mu.Lock()
		n := len(p.ld.out)
		if master {
			n = 0
		}
		p.mu.Unlock()
		return 0, putUint32(mem, arg, uint32(n))
	case tcflsh:
		p.mu.Lock()
		defer p.mu.Unlock()
		in, out := false, false
		switch arg {
		case unix.TCIFLUSH:
			in = true
		case unix.TCOFLUSH:
			out = true
		case unix.TCIOFLUSH:
			in, out = true, true
		default:
			return 0, unix.EINVAL
		}
		if master {
			in, out = out, in // the master's input is the slave's output
		}
		if in {
			p.ld.flushInput()
		}
		if out {
			p.ld.flushOutput()
		}
		return 0, nil
	case tcxonc:
		p.mu.Lock()
		switch arg {
		case unix.TCOOFF:
			p.ld.stopped = true
		case unix.TCOON:
			p.ld.stopped = false
		case unix.TCIOFF, unix.TCION:
		default:
			p.mu.Unlock()
			return 0, unix.EINVAL
		}
		p.mu.Unlock()
		p.sq.Notify(vfs.EventOut)
		return 0, nil
	case tcsbrk, tcsbrkp, tiocexcl, tiocnxcl:
		return 0, nil
	case tiocgetd:
		return 0, putUint32(mem, arg, 0) // N_TTY
	case tiocsetd:
		var b [4]byte
		if _, err := mem.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		if binary.LittleEndian.Uint32(b[:]) != 0 {
			return 0, unix.EINVAL
		}
		return 0, nil
	case tiocgptn:
		if !master {
			return 0, unix.ENOTTY
		}
		return 0, putUint32(mem, arg, p.index)
	case tiocsptlck:
		if !master {
			return 0, unix.ENOTTY
		}
		var b [4]byte
		if _, err := mem.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		p.mu.Lock()
		p.locked = binary.LittleEndian.Uint32(b[:]) != 0
		p.mu.Unlock()
		return 0, nil
	case tiocgptlck:
		if !master {
			return 0, unix.ENOTTY
		}
		p.mu.Lock()
		v := uint32(0)
		if p.locked {
			v = 1
		}
		p.mu.Unlock()
		return 0, putUint32(mem, arg, v)
	case tiocgdev:
		if !master {
			return 0, unix.ENOTTY
		}
		return 0, putUint32(mem, arg, uint32(linux.MakeDev(ptsMajor, p.index)))
	case vfs.TIOCSCTTY:
		c, ok := p.fs.caller()
		if !ok {
			return 0, unix.ENOTTY
		}
		return 0, p.setControlling(c, arg == 1, true)
	case tiocnotty:
		c, ok := p.fs.caller()
		if !ok {
			return 0, unix.ENOTTY
		}
		p.mu.Lock()
		mine := p.sid != 0 && p.sid == c.SID
		p.mu.Unlock()
		if !mine {
			return 0, unix.ENOTTY
		}
		if c.PID == c.SID {
			p.dropControlling()
		}
		return 0, nil
	case vfs.TIOCGPGRP, tiocgsid:
		c, ok := p.fs.caller()
		if !ok {
			return 0, unix.ENOTTY
		}
		p.mu.Lock()
		sid, fg := p.sid, p.fg
		p.mu.Unlock()
		if !master && (sid == 0 || sid != c.SID) {
			return 0, unix.ENOTTY
		}
		if cmd == tiocgsid {
			if sid == 0 {
				return 0, unix.ENOTTY
			}
			return 0, putUint32(mem, arg, uint32(sid))
		}
		return 0, putUint32(mem, arg, uint32(fg))
	case vfs.TIOCSPGRP:
		c, ok := p.fs.caller()
		if !ok {
			return 0, unix.ENOTTY
		}
		var b [4]byte
		if _, err := mem.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		pgid := int32(binary.LittleEndian.Uint32(b[:]))
		p.mu.Lock()
		sid := p.sid
		p.mu.Unlock()
		if sid == 0 || sid != c.SID {
			return 0, unix.ENOTTY
		}
		if pgid < 0 {
			return 0, unix.EINVAL
		}
		gs, ok := p.fs.hook().GroupSession(pgid)
		if !ok {
			return 0, unix.ESRCH
		}
		if gs != sid {
			return 0, unix.EPERM
		}
		p.mu.Lock()
		p.fg = pgid
		p.mu.Unlock()
		return 0, nil
	}
	return 0, unix.ENOTTY
}

func putUint32(mem vfs.UserMemory, addr uintptr, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	_, err := mem.CopyOut(addr, b[:])
	return err
}

// masterFile is an open master (what opening /dev/ptmx returns).
type masterFile struct {
	p    *pty
	node *node // the ptmx node opened
}

// Read implements vfs.FileImpl.
func (f *masterFile) Read(b vfs.Blocker, dst []byte, _ int64) (int, error) {
	return f.p.masterRead(b, dst)
}

// Write implements vfs.FileImpl.
func (f *masterFile) Write(b vfs.Blocker, src []byte, _ int64) (int, error) {
	return f.p.masterWrite(b, src)
}

// Stat implements vfs.FileImpl.
func (f *masterFile) Stat() (vfs.Stat, error) { return f.node.Stat() }

// Release implements vfs.FileImpl.
func (f *masterFile) Release() { f.p.releaseMaster() }

// Stream tells the VFS that a terminal has no offset.
func (f *masterFile) Stream() bool { return true }

// Ioctl implements vfs.Ioctler.
func (f *masterFile) Ioctl(_ vfs.Blocker, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	return f.p.ioctl(true, mem, cmd, arg)
}

// Readiness implements vfs.Waitable.
func (f *masterFile) Readiness(mask uint32) uint32 { return f.p.masterReadiness(mask) }

// EventRegister implements vfs.Waitable.
func (f *masterFile) EventRegister(e *vfs.Entry) { f.p.mq.Register(e) }

// EventUnregister implements vfs.Waitable.
func (f *masterFile) EventUnregister(e *vfs.Entry) { f.p.mq.Unregister(e) }

// slaveFile is an open slave (/dev/pts/N, or /dev/tty naming it).
type slaveFile struct {
	p *pty
}

// Read implements vfs.FileImpl.
func (f *slaveFile) Read(b vfs.Blocker, dst []byte, _ int64) (int, error) {
	return f.p.slaveRead(b, dst)
}

// Write implements vfs.FileImpl.
func (f *slaveFile) Write(b vfs.Blocker, src []byte, _ int64) (int, error) {
	return f.p.slaveWrite(b, src)
}

// Stat implements vfs.FileImpl.
func (f *slaveFile) Stat() (vfs.Stat, error) { return (&ptsNode{p: f.p}).Stat() }

// Release implements vfs.FileImpl.
func (f *slaveFile) Release() { f.p.releaseSlave() }

// Stream tells the VFS that a terminal has no offset.
func (f *slaveFile) Stream() bool { return true }

// Ioctl implements vfs.Ioctler.
func (f *slaveFile) Ioctl(b vfs.Blocker, mem vfs.UserMemory, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case vfs.TCSETS, vfs.TCSETSW, vfs.TCSETSF, tcsets2, tcsetsw2, tcsetsf2, vfs.TIOCSPGRP, tcflsh, tcxonc:
		if err := f.p.settingsChange(b); err != nil {
			return 0, err
		}
	}
	return f.p.ioctl(false, mem, cmd, arg)
}

// Readiness implements vfs.Waitable.
func (f *slaveFile) Readiness(mask uint32) uint32 { return f.p.slaveReadiness(mask) }

// EventRegister implements vfs.Waitable.
func (f *slaveFile) EventRegister(e *vfs.Entry) { f.p.sq.Register(e) }

// EventUnregister implements vfs.Waitable.
func (f *slaveFile) EventUnregister(e *vfs.Entry) { f.p.sq.Unregister(e) }
