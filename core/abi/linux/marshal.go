package linux

import "encoding/binary"

// Marshaler is a structure with a fixed-size binary encoding in the x86-64
// Linux ABI.
type Marshaler interface {
	// SizeBytes is the size of the encoding: sizeof the C structure.
	SizeBytes() int

	// MarshalBytes writes the encoding into dst[:SizeBytes()], padding
	// included (as zeros). It panics if dst is shorter.
	MarshalBytes(dst []byte)
}

// Unmarshaler is a structure the kernel reads from application memory.
type Unmarshaler interface {
	// SizeBytes is the size of the encoding.
	SizeBytes() int

	// UnmarshalBytes decodes src[:SizeBytes()]. It panics if src is
	// shorter.
	UnmarshalBytes(src []byte)
}

// Marshal returns the encoding of m in a new slice.
func Marshal(m Marshaler) []byte {
	b := make([]byte, m.SizeBytes())
	m.MarshalBytes(b)
	return b
}

// le is the byte order of every encoding in this package.
var le = binary.LittleEndian

// putString writes s into the fixed-size field dst as a NUL-terminated C
// string, truncating s so that the NUL fits, and zeroes the rest of dst.
func putString(dst []byte, s string) {
	n := copy(dst[:len(dst)-1], s)
	clear(dst[n:])
}

// cString returns the bytes of the field b up to its first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
