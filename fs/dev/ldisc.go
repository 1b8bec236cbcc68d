package dev

import (
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Queue limits of a terminal.
const (
	// maxCanon is the longest line canonical mode edits (N_TTY_BUF_SIZE
	// - 1); further characters other than line ends are dropped.
	maxCanon = 4095

	// inputCap bounds the input not yet read by the slave; the master's
	// writes wait for room.
	inputCap = 64 << 10

	// outputCap bounds the output not yet read by the master; the slave's
	// writes wait for room.
	outputCap = 64 << 10
)

// ldisc is the line discipline of a pseudo-terminal, Linux's N_TTY reduced
// to what programs on a pty use: the input from the master is edited
// (canonical mode: ERASE, KILL, WERASE, LNEXT, EOF, EOL) or passed raw,
// echoed, turned into signals (ISIG: INTR, QUIT, SUSP) and flow control
// (IXON: START, STOP); the output of the slave is post-processed (OPOST:
// ONLCR, OCRNL, ONOCR, ONLRET, XTABS).
//
// ldisc has no lock of its own: the pty's mu protects it.
type ldisc struct {
	t termios

	// lines are canonical mode's complete lines, oldest first; each ends
	// with its line end except a line ended by EOF, and an empty line is
	// an end of file for one read.
	lines [][]byte
	// edit is canonical mode's line being edited.
	edit []byte
	// raw is non-canonical mode's unread input.
	raw []byte
	// lnext makes the next input byte literal (VLNEXT).
	lnext bool

	// out is the output not yet read by the master.
	out []byte
	// column is the output column, for ONOCR, tabs and erasing.
	column int
	// stopped is set by VSTOP (IXON): the slave's output waits.
	stopped bool
}

func newLdisc() *ldisc { return &ldisc{t: defaultTermios()} }

// inputLen is the number of bytes of input held.
func (l *ldisc) inputLen() int {
	n := len(l.edit) + len(l.raw)
	for _, ln := range l.lines {
		n += len(ln)
	}
	return n
}

// readable reports whether a read of the slave would return at once.
func (l *ldisc) readable() bool {
	if l.t.canonical() {
		return len(l.lines) > 0
	}
	return len(l.raw) > 0
}

// inq is FIONREAD of the slave: the bytes of complete lines in canonical
// mode, else all input.
func (l *ldisc) inq() int {
	if !l.t.canonical() {
		return len(l.raw)
	}
	n := 0
	for _, ln := range l.lines {
		n += len(ln)
	}
	return n
}

// read moves input to dst: in canonical mode at most one line (an empty
// line is end of file: eof is set and nothing copied).
func (l *ldisc) read(dst []byte) (n int, eof bool) {
	if !l.t.canonical() {
		n = copy(dst, l.raw)
		l.raw = l.raw[n:]
		if len(l.raw) == 0 {
			l.raw = nil
		}
		return n, false
	}
	if len(l.lines) == 0 {
		return 0, false
	}
	ln := l.lines[0]
	if len(ln) == 0 {
		l.lines = l.lines[1:]
		return 0, true
	}
	n = copy(dst, ln)
	if n == len(ln) {
		l.lines = l.lines[1:]
	} else {
		l.lines[0] = ln[n:]
	}
	if len(l.lines) == 0 {
		l.lines = nil
	}
	return n, false
}

// setTermios installs t, moving held input between the canonical and raw
// queues when ICANON changes.
func (l *ldisc) setTermios(t termios) {
	wasCanon := l.t.canonical()
	l.t = t
	switch {
	case wasCanon && !t.canonical():
		var raw []byte
		for _, ln := range l.lines {
			raw = append(raw, ln...)
		}
		l.raw = append(raw, l.edit...)
		l.lines, l.edit = nil, nil
	case !wasCanon && t.canonical():
		if len(l.raw) > 0 {
			l.lines = [][]byte{l.raw}
		}
		l.raw = nil
	}
	if t.iflag&unix.IXON == 0 {
		l.stopped = false
	}
}

// flushInput discards the input (TCIFLUSH, signals).
func (l *ldisc) flushInput() {
	l.lines, l.edit, l.raw, l.lnext = nil, nil, nil, false
}

// flushOutput discards the output (TCOFLUSH).
func (l *ldisc) flushOutput() { l.out = nil }

// receive processes input bytes from the master while there is room for
// them. It returns how many it consumed and the signals they raise for the
// foreground process group (ISIG).
func (l *ldisc) receive(src []byte) (n int, sigs []int) {
	for n < len(src) {
		if l.inputLen() >= inputCap {
			break
		}
		if sig := l.receiveByte(src[n]); sig != 0 {
			sigs = append(sigs, sig)
		}
		n++
	}
	return n, sigs
}

// receiveByte processes one input byte; it returns the signal it raises,
// or 0.
func (l *ldisc) receiveByte(c byte) int {
	t := &l.t
	if t.iflag&unix.ISTRIP != 0 {
		c &= 0x7f
	}
	if l.lnext {
		l.lnext = false
		l.echoChar(c)
		l.put(c)
		return 0
	}
	special := func(idx int) bool { return t.cc[idx] != 0 && c == t.cc[idx] }
	if t.iflag&unix.IXON != 0 {
		switch {
		case special(vSTOP):
			l.stopped = true
			return 0
		case special(vSTART):
			l.stopped = false
			return 0
		case l.stopped && t.iflag&unix.IXANY != 0:
			l.stopped = false
		}
	}
	if t.isig() {
		sig := 0
		switch {
		case special(vINTR):
			sig = int(unix.SIGINT)
		case special(vQUIT):
			sig = int(unix.SIGQUIT)
		case special(vSUSP):
			sig = int(unix.SIGTSTP)
		}
		if sig != 0 {
			if t.lflag&unix.NOFLSH == 0 {
				l.flushInput()
			}
			l.echoChar(c)
			return sig
		}
	}
	switch {
	case c == '\r':
		if t.iflag&unix.IGNCR != 0 {
			return 0
		}
		if t.iflag&unix.ICRNL != 0 {
			c = '\n'
		}
	case c == '\n' && t.iflag&unix.INLCR != 0:
		c = '\r'
	}
	if !t.canonical() {
		l.echoChar(c)
		l.raw = append(l.raw, c)
		return 0
	}
	switch {
	case special(vERASE):
		l.erase(vERASE)
		return 0
	case special(vKILL):
		l.erase(vKILL)
		return 0
	case special(vWERASE) && t.iexten():
		l.erase(vWERASE)
		return 0
	case special(vLNEXT) && t.iexten():
		l.lnext = true
		if t.echo() && t.lflag&unix.ECHOCTL != 0 {
			l.output([]byte("^\b"))
		}
		return 0
	case special(vREPRINT) && t.iexten() && t.echo():
		l.echoChar(c)
		l.output([]byte("\n"))
		l.output(l.edit)
		return 0
	case c == '\n':
		if t.echo() || t.lflag&unix.ECHONL != 0 {
			l.output([]byte{'\n'})
		}
		l.edit = append(l.edit, c)
		l.endLine()
		return 0
	case special(vEOF):
		l.endLine()
		return 0
	case special(vEOL) || (special(vEOL2) && t.iexten()):
		l.echoChar(c)
		l.edit = append(l.edit, c)
		l.endLine()
		return 0
	}
	l.echoChar(c)
	l.put(c)
	return 0
}

// put adds an ordinary input byte.
func (l *ldisc) put(c byte) {
	if !l.t.canonical() {
		l.raw = append(l.raw, c)
		return
	}
	if len(l.edit) < maxCanon {
		l.edit = append(l.edit, c)
	}
}

// endLine makes the edited line readable (an empty one is an end of file).
func (l *ldisc) endLine() {
	l.lines = append(l.lines, l.edit)
	l.edit = nil
}

// erase implements ERASE, KILL and WERASE on the edited line.
func (l *ldisc) erase(kind int) {
	t := &l.t
	if len(l.edit) == 0 {
		return
	}
	if kind == vKILL && t.echo() && t.lflag&unix.ECHOKE == 0 {
		l.edit = nil
		l.echoChar(t.cc[vKILL])
		if t.lflag&unix.ECHOK != 0 {
			l.output([]byte{'\n'})
		}
		return
	}
	seenAlnum := false
	for len(l.edit) > 0 {
		// One character: a UTF-8 sequence with IUTF8, else a byte.
		size := 1
		if t.iflag&unix.IUTF8 != 0 {
			_, size = utf8.DecodeLastRune(l.edit)
		}
		ch := l.edit[len(l.edit)-size:]
		if kind == vWERASE {
			c := ch[0]
			if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 {
				seenAlnum = true
			} else if seenAlnum {
				break
			}
		}
		l.edit = l.edit[:len(l.edit)-size]
		if t.echo() && t.lflag&unix.ECHOE != 0 {
			cols := 1
			if c := ch[0]; (c < 0x20 || c == 0x7f) && t.lflag&unix.ECHOCTL != 0 && c != '\t' {
				cols = 2
			}
			for ; cols > 0; cols-- {
				l.output([]byte("\b \b"))
			}
		} else if t.echo() {
			l.echoChar(t.cc[kind])
		}
		if kind == vERASE {
			break
		}
	}
}

// echoChar echoes an input byte when ECHO is set, control characters as
// ^X with ECHOCTL.
func (l *ldisc) echoChar(c byte) {
	t := &l.t
	if !t.echo() {
		return
	}
	if (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n' && t.lflag&unix.ECHOCTL != 0 {
		l.output([]byte{'^', c ^ 0o100})
		return
	}
	l.output([]byte{c})
}

// room is how many more bytes of output fit.
func (l *ldisc) room() int { return outputCap - len(l.out) }

// transmit post-processes the slave's output into the master's queue while
// it fits (and output is not stopped); it returns how many bytes of src it
// consumed.
func (l *ldisc) transmit(src []byte) int {
	n := 0
	for n < len(src) && !l.stopped && l.room() >= 8 {
		l.output(src[n : n+1])
		n++
	}
	return n
}

// output appends bytes to the master's queue, post-processed as OPOST
// says.
func (l *ldisc) output(b []byte) {
	t := &l.t
	if t.oflag&unix.OPOST == 0 {
		l.out = append(l.out, b...)
		return
	}
	for _, c := range b {
		switch c {
		case '\n':
			if t.oflag&unix.ONLCR != 0 {
				l.out = append(l.out, '\r', '\n')
				l.column = 0
				continue
			}
			if t.oflag&unix.ONLRET != 0 {
				l.column = 0
			}
		case '\r':
			if t.oflag&unix.ONOCR != 0 && l.column == 0 {
				continue
			}
			if t.oflag&unix.OCRNL != 0 {
				c = '\n'
				if t.oflag&unix.ONLRET != 0 {
					l.column = 0
				}
			} else {
				l.column = 0
			}
		case '\t':
			spaces := 8 - l.column%8
			if t.oflag&unix.TABDLY == unix.XTABS {
				for i := 0; i < spaces; i++ {
					l.out = append(l.out, ' ')
				}
				l.column += spaces
				continue
			}
			l.column += spaces
		case '\b':
			if l.column > 0 {
				l.column--
			}
		default:
			if c >= 0x20 && c != 0x7f && (t.iflag&unix.IUTF8 == 0 || c&0xc0 != 0x80) {
				l.column++
			}
		}
		l.out = append(l.out, c)
	}
}

// readOutput moves output to the master's reader.
func (l *ldisc) readOutput(dst []byte) int {
	n := copy(dst, l.out)
	l.out = l.out[n:]
	if len(l.out) == 0 {
		l.out = nil
	}
	return n
}
