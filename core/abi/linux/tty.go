package linux

// Winsize is struct winsize (<asm-generic/termios.h>), for TIOCGWINSZ and
// TIOCSWINSZ: 8 bytes.
type Winsize struct {
	Row    uint16
	Col    uint16
	Xpixel uint16
	Ypixel uint16
}

// SizeofWinsize is sizeof(struct winsize).
const SizeofWinsize = 8

// SizeBytes implements Marshaler.
func (*Winsize) SizeBytes() int { return SizeofWinsize }

// MarshalBytes implements Marshaler.
func (w *Winsize) MarshalBytes(dst []byte) {
	_ = dst[7]
	le.PutUint16(dst[0:], w.Row)
	le.PutUint16(dst[2:], w.Col)
	le.PutUint16(dst[4:], w.Xpixel)
	le.PutUint16(dst[6:], w.Ypixel)
}

// UnmarshalBytes implements Unmarshaler.
func (w *Winsize) UnmarshalBytes(src []byte) {
	_ = src[7]
	w.Row = le.Uint16(src[0:])
	w.Col = le.Uint16(src[2:])
	w.Xpixel = le.Uint16(src[4:])
	w.Ypixel = le.Uint16(src[6:])
}

// NCCS is the number of control characters in the kernel's struct termios
// (<asm-generic/termbits.h>). glibc's struct termios is larger (32 control
// characters and the speeds); the ioctls use the kernel's.
const NCCS = 19

// Termios is the kernel's struct termios (<asm-generic/termbits.h>), which
// TCGETS writes and TCSETS, TCSETSW and TCSETSF read: 36 bytes. The flag
// values are unix's (unix.ICANON, unix.ECHO, ...), the indices of CC are
// unix.VINTR and friends.
type Termios struct {
	Iflag uint32
	Oflag uint32
	Cflag uint32
	Lflag uint32
	Line  uint8
	CC    [NCCS]uint8
}

// SizeofTermios is sizeof(struct termios) of the kernel.
const SizeofTermios = 36

// SizeBytes implements Marshaler.
func (*Termios) SizeBytes() int { return SizeofTermios }

// MarshalBytes implements Marshaler.
func (t *Termios) MarshalBytes(dst []byte) {
	_ = dst[SizeofTermios-1]
	le.PutUint32(dst[0:], t.Iflag)
	le.PutUint32(dst[4:], t.Oflag)
	le.PutUint32(dst[8:], t.Cflag)
	le.PutUint32(dst[12:], t.Lflag)
	dst[16] = t.Line
	copy(dst[17:SizeofTermios], t.CC[:])
}

// UnmarshalBytes implements Unmarshaler.
func (t *Termios) UnmarshalBytes(src []byte) {
	_ = src[SizeofTermios-1]
	t.Iflag = le.Uint32(src[0:])
	t.Oflag = le.Uint32(src[4:])
	t.Cflag = le.Uint32(src[8:])
	t.Lflag = le.Uint32(src[12:])
	t.Line = src[16]
	copy(t.CC[:], src[17:SizeofTermios])
}
