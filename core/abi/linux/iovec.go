package linux

// Iovec is struct iovec (<linux/uio.h>): a base address and a length, 16
// bytes.
type Iovec struct {
	Base uint64
	Len  uint64
}

// SizeofIovec is sizeof(struct iovec).
const SizeofIovec = 16

// UIO_MAXIOV is the most iovecs one readv/writev may pass.
const UIO_MAXIOV = 1024

// SizeBytes implements Marshaler.
func (*Iovec) SizeBytes() int { return SizeofIovec }

// MarshalBytes implements Marshaler.
func (v *Iovec) MarshalBytes(dst []byte) {
	_ = dst[15]
	le.PutUint64(dst[0:], v.Base)
	le.PutUint64(dst[8:], v.Len)
}

// UnmarshalBytes implements Unmarshaler.
func (v *Iovec) UnmarshalBytes(src []byte) {
	_ = src[15]
	v.Base = le.Uint64(src[0:])
	v.Len = le.Uint64(src[8:])
}

// DecodeIovecs decodes an array of struct iovec; len(src) must be a
// multiple of SizeofIovec (a trailing partial entry is ignored).
func DecodeIovecs(src []byte) []Iovec {
	out := make([]Iovec, len(src)/SizeofIovec)
	for i := range out {
		out[i].UnmarshalBytes(src[i*SizeofIovec:])
	}
	return out
}
