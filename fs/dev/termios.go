package dev

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Terminal ioctls that are not in vfs's host-terminal set.
const (
	tcgets2     = 0x802c542a // TCGETS2: struct termios2
	tcsets2     = 0x402c542b
	tcsetsw2    = 0x402c542c
	tcsetsf2    = 0x402c542d
	tcsbrk      = 0x5409
	tcxonc      = 0x540a
	tcflsh      = 0x540b
	tiocexcl    = 0x540c
	tiocnxcl    = 0x540d
	tiocoutq    = 0x5411
	tiocnotty   = 0x5422
	tiocgetd    = 0x5424
	tiocsetd    = 0x5423
	tcsbrkp     = 0x5425
	tiocgsid    = 0x5429
	tiocgptn    = 0x80045430
	tiocsptlck  = 0x40045431
	tiocgdev    = 0x80045432
	tiocgptlck  = 0x80045439
	tiocgptpeer = 0x5441
)

// Control character indices of c_cc (the kernel's, NCCS = 19).
const (
	vINTR    = 0
	vQUIT    = 1
	vERASE   = 2
	vKILL    = 3
	vEOF     = 4
	vTIME    = 5
	vMIN     = 6
	vSTART   = 8
	vSTOP    = 9
	vSUSP    = 10
	vEOL     = 11
	vREPRINT = 12
	vWERASE  = 14
	vLNEXT   = 15
	vEOL2    = 16
	nccs     = 19
)

// termiosSize and termios2Size are the sizes of the kernel's struct termios
// and struct termios2.
const (
	termiosSize  = 36
	termios2Size = 44
)

// termios is the kernel's struct termios2 (struct termios plus the
// speeds).
type termios struct {
	iflag, oflag, cflag, lflag uint32
	line                       uint8
	cc                         [nccs]uint8
	ispeed, ospeed             uint32
}

// defaultTermios is the pty slave's initial setting (tty_std_termios with
// the pty driver's c_cflag): canonical, echoing, signals on, CR to NL on
// input, NL to CR NL on output.
func defaultTermios() termios {
	return termios{
		iflag:  unix.ICRNL | unix.IXON,
		oflag:  unix.OPOST | unix.ONLCR,
		cflag:  unix.B38400 | unix.CS8 | unix.CREAD,
		lflag:  unix.ISIG | unix.ICANON | unix.ECHO | unix.ECHOE | unix.ECHOK | unix.ECHOCTL | unix.ECHOKE | unix.IEXTEN,
		cc:     [nccs]uint8{3, 034, 0177, 025, 4, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0},
		ispeed: 38400,
		ospeed: 38400,
	}
}

// marshal encodes t as struct termios (n == termiosSize) or struct
// termios2 (n == termios2Size).
func (t *termios) marshal(n int) []byte {
	b := make([]byte, termios2Size)
	le := binary.LittleEndian
	le.PutUint32(b[0:], t.iflag)
	le.PutUint32(b[4:], t.oflag)
	le.PutUint32(b[8:], t.cflag)
	le.PutUint32(b[12:], t.lflag)
	b[16] = t.line
	copy(b[17:36], t.cc[:])
	le.PutUint32(b[36:], t.ispeed)
	le.PutUint32(b[40:], t.ospeed)
	return b[:n]
}

// unmarshal decodes struct termios or termios2 (by len(b)); with struct
// termios the speeds follow the baud bits of c_cflag.
func (t *termios) unmarshal(b []byte) {
	le := binary.LittleEndian
	t.iflag = le.Uint32(b[0:])
	t.oflag = le.Uint32(b[4:])
	t.cflag = le.Uint32(b[8:])
	t.lflag = le.Uint32(b[12:])
	t.line = b[16]
	copy(t.cc[:], b[17:36])
	if len(b) >= termios2Size {
		t.ispeed = le.Uint32(b[36:])
		t.ospeed = le.Uint32(b[40:])
	} else {
		t.ispeed = baudOf(t.cflag)
		t.ospeed = t.ispeed
	}
}

// baudOf returns the speed the CBAUD bits of cflag encode.
func baudOf(cflag uint32) uint32 {
	speeds := map[uint32]uint32{
		unix.B0: 0, unix.B50: 50, unix.B75: 75, unix.B110: 110, unix.B134: 134, unix.B150: 150,
		unix.B200: 200, unix.B300: 300, unix.B600: 600, unix.B1200: 1200, unix.B1800: 1800,
		unix.B2400: 2400, unix.B4800: 4800, unix.B9600: 9600, unix.B19200: 19200,
		unix.B38400: 38400, unix.B57600: 57600, unix.B115200: 115200, unix.B230400: 230400,
		unix.B460800: 460800, unix.B500000: 500000, unix.B576000: 576000, unix.B921600: 921600,
		unix.B1000000: 1000000, unix.B1152000: 1152000, unix.B1500000: 1500000,
		unix.B2000000: 2000000, unix.B2500000: 2500000, unix.B3000000: 3000000,
		unix.B3500000: 3500000, unix.B4000000: 4000000,
	}
	if s, ok := speeds[cflag&unix.CBAUD]; ok {
		return s
	}
	return 38400
}

func (t *termios) canonical() bool { return t.lflag&unix.ICANON != 0 }
func (t *termios) echo() bool      { return t.lflag&unix.ECHO != 0 }
func (t *termios) isig() bool      { return t.lflag&unix.ISIG != 0 }
func (t *termios) iexten() bool    { return t.lflag&unix.IEXTEN != 0 }

// winsize is struct winsize.
type winsize struct {
	row, col, xpixel, ypixel uint16
}

func (w winsize) marshal() []byte {
	b := make([]byte, 8)
	le := binary.LittleEndian
	le.PutUint16(b[0:], w.row)
	le.PutUint16(b[2:], w.col)
	le.PutUint16(b[4:], w.xpixel)
	le.PutUint16(b[6:], w.ypixel)
	return b
}

func (w *winsize) unmarshal(b []byte) {
	le := binary.LittleEndian
	w.row, w.col, w.xpixel, w.ypixel = le.Uint16(b[0:]), le.Uint16(b[2:]), le.Uint16(b[4:]), le.Uint16(b[6:])
}
