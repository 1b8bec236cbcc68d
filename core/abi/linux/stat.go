package linux

// Stat is struct stat of x86-64 (<asm/stat.h>), which stat, fstat, lstat
// and newfstatat write: 144 bytes.
type Stat struct {
	Dev     uint64
	Ino     uint64
	Nlink   uint64
	Mode    uint32
	UID     uint32
	GID     uint32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
}

// SizeofStat is sizeof(struct stat).
const SizeofStat = 144

// SizeBytes implements Marshaler.
func (*Stat) SizeBytes() int { return SizeofStat }

// MarshalBytes implements Marshaler.
func (s *Stat) MarshalBytes(dst []byte) {
	_ = dst[SizeofStat-1]
	le.PutUint64(dst[0:], s.Dev)
	le.PutUint64(dst[8:], s.Ino)
	le.PutUint64(dst[16:], s.Nlink)
	le.PutUint32(dst[24:], s.Mode)
	le.PutUint32(dst[28:], s.UID)
	le.PutUint32(dst[32:], s.GID)
	le.PutUint32(dst[36:], 0) // __pad0
	le.PutUint64(dst[40:], s.Rdev)
	le.PutUint64(dst[48:], uint64(s.Size))
	le.PutUint64(dst[56:], uint64(s.Blksize))
	le.PutUint64(dst[64:], uint64(s.Blocks))
	s.Atime.MarshalBytes(dst[72:])
	s.Mtime.MarshalBytes(dst[88:])
	s.Ctime.MarshalBytes(dst[104:])
	clear(dst[120:SizeofStat]) // __unused[3]
}

// StatxTimestamp is struct statx_timestamp (<linux/stat.h>): 16 bytes.
type StatxTimestamp struct {
	Sec  int64
	Nsec uint32
}

// MarshalBytes writes the 16-byte encoding of t into dst.
func (t *StatxTimestamp) MarshalBytes(dst []byte) {
	_ = dst[15]
	le.PutUint64(dst[0:], uint64(t.Sec))
	le.PutUint32(dst[8:], t.Nsec)
	le.PutUint32(dst[12:], 0) // __reserved
}

// StatxTimestampFrom converts a Timespec.
func StatxTimestampFrom(ts Timespec) StatxTimestamp {
	return StatxTimestamp{Sec: ts.Sec, Nsec: uint32(ts.Nsec)}
}

// Statx is struct statx (<linux/stat.h>), which statx(2) writes: 256 bytes.
// Mask says which fields are valid (unix.STATX_*).
type Statx struct {
	Mask           uint32
	Blksize        uint32
	Attributes     uint64
	Nlink          uint32
	UID            uint32
	GID            uint32
	Mode           uint16
	Ino            uint64
	Size           uint64
	Blocks         uint64
	AttributesMask uint64
	Atime          StatxTimestamp
	Btime          StatxTimestamp
	Ctime          StatxTimestamp
	Mtime          StatxTimestamp
	RdevMajor      uint32
	RdevMinor      uint32
	DevMajor       uint32
	DevMinor       uint32
	MntID          uint64
	DioMemAlign    uint32
	DioOffsetAlign uint32
}

// SizeofStatx is sizeof(struct statx).
const SizeofStatx = 256

// SizeBytes implements Marshaler.
func (*Statx) SizeBytes() int { return SizeofStatx }

// MarshalBytes implements Marshaler.
func (s *Statx) MarshalBytes(dst []byte) {
	_ = dst[SizeofStatx-1]
	le.PutUint32(dst[0:], s.Mask)
	le.PutUint32(dst[4:], s.Blksize)
	le.PutUint64(dst[8:], s.Attributes)
	le.PutUint32(dst[16:], s.Nlink)
	le.PutUint32(dst[20:], s.UID)
	le.PutUint32(dst[24:], s.GID)
	le.PutUint16(dst[28:], s.Mode)
	le.PutUint16(dst[30:], 0) // __spare0
	le.PutUint64(dst[32:], s.Ino)
	le.PutUint64(dst[40:], s.Size)
	le.PutUint64(dst[48:], s.Blocks)
	le.PutUint64(dst[56:], s.AttributesMask)
	s.Atime.MarshalBytes(dst[64:])
	s.Btime.MarshalBytes(dst[80:])
	s.Ctime.MarshalBytes(dst[96:])
	s.Mtime.MarshalBytes(dst[112:])
	le.PutUint32(dst[128:], s.RdevMajor)
	le.PutUint32(dst[132:], s.RdevMinor)
	le.PutUint32(dst[136:], s.DevMajor)
	le.PutUint32(dst[140:], s.DevMinor)
	le.PutUint64(dst[144:], s.MntID)
	le.PutUint32(dst[152:], s.DioMemAlign)
	le.PutUint32(dst[156:], s.DioOffsetAlign)
	clear(dst[160:SizeofStatx]) // __spare3[12]
}

// DevMajor and DevMinor split a device number the way the kernel's
// new_encode_dev does (<linux/kdev_t.h>): 12 bits of major, 20 of minor.
func DevMajor(dev uint64) uint32 { return uint32((dev >> 8) & 0xfff) }

// DevMinor returns the minor part of dev; see DevMajor.
func DevMinor(dev uint64) uint32 { return uint32((dev & 0xff) | ((dev >> 12) & 0xfff00)) }

// MakeDev combines a major and minor number into the encoding struct stat
// carries (the kernel's new_encode_dev).
func MakeDev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12
}
