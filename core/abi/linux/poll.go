package linux

// Pollfd is struct pollfd (<asm-generic/poll.h>): 8 bytes. Events and
// Revents are POLL* bits (unix.POLLIN, ...).
type Pollfd struct {
	FD      int32
	Events  int16
	Revents int16
}

// SizeofPollfd is sizeof(struct pollfd).
const SizeofPollfd = 8

// SizeBytes implements Marshaler.
func (*Pollfd) SizeBytes() int { return SizeofPollfd }

// MarshalBytes implements Marshaler.
func (p *Pollfd) MarshalBytes(dst []byte) {
	_ = dst[7]
	le.PutUint32(dst[0:], uint32(p.FD))
	le.PutUint16(dst[4:], uint16(p.Events))
	le.PutUint16(dst[6:], uint16(p.Revents))
}

// UnmarshalBytes implements Unmarshaler.
func (p *Pollfd) UnmarshalBytes(src []byte) {
	_ = src[7]
	p.FD = int32(le.Uint32(src[0:]))
	p.Events = int16(le.Uint16(src[4:]))
	p.Revents = int16(le.Uint16(src[6:]))
}
