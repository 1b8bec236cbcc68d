package linux

// Rlimit is struct rlimit (<linux/resource.h>) as getrlimit, setrlimit and
// prlimit64 use it on x86-64: two 64-bit values, 16 bytes.
// unix.RLIM_INFINITY is the unlimited value.
type Rlimit struct {
	Cur uint64
	Max uint64
}

// SizeofRlimit is sizeof(struct rlimit).
const SizeofRlimit = 16

// SizeBytes implements Marshaler.
func (*Rlimit) SizeBytes() int { return SizeofRlimit }

// MarshalBytes implements Marshaler.
func (r *Rlimit) MarshalBytes(dst []byte) {
	_ = dst[15]
	le.PutUint64(dst[0:], r.Cur)
	le.PutUint64(dst[8:], r.Max)
}

// UnmarshalBytes implements Unmarshaler.
func (r *Rlimit) UnmarshalBytes(src []byte) {
	_ = src[15]
	r.Cur = le.Uint64(src[0:])
	r.Max = le.Uint64(src[8:])
}

// RLIM_NLIMITS is the number of resource limits (<asm-generic/resource.h>).
const RLIM_NLIMITS = 16
