package linux

// Statfs is struct statfs of x86-64 (<asm-generic/statfs.h> with 64-bit
// __statfs_word), which statfs and fstatfs write: 120 bytes.
type Statfs struct {
	Type    int64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Fsid    [2]int32
	Namelen int64
	Frsize  int64
	Flags   int64
}

// SizeofStatfs is sizeof(struct statfs).
const SizeofStatfs = 120

// SizeBytes implements Marshaler.
func (*Statfs) SizeBytes() int { return SizeofStatfs }

// MarshalBytes implements Marshaler.
func (s *Statfs) MarshalBytes(dst []byte) {
	_ = dst[SizeofStatfs-1]
	le.PutUint64(dst[0:], uint64(s.Type))
	le.PutUint64(dst[8:], uint64(s.Bsize))
	le.PutUint64(dst[16:], s.Blocks)
	le.PutUint64(dst[24:], s.Bfree)
	le.PutUint64(dst[32:], s.Bavail)
	le.PutUint64(dst[40:], s.Files)
	le.PutUint64(dst[48:], s.Ffree)
	le.PutUint32(dst[56:], uint32(s.Fsid[0]))
	le.PutUint32(dst[60:], uint32(s.Fsid[1]))
	le.PutUint64(dst[64:], uint64(s.Namelen))
	le.PutUint64(dst[72:], uint64(s.Frsize))
	le.PutUint64(dst[80:], uint64(s.Flags))
	clear(dst[88:SizeofStatfs]) // f_spare[4]
}
