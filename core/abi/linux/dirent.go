package linux

// Dirent64 is one struct linux_dirent64 record of getdents64(2):
//
//	u64  d_ino     offset 0
//	s64  d_off     offset 8
//	u16  d_reclen  offset 16
//	u8   d_type    offset 18
//	char d_name[]  offset 19, NUL-terminated
//
// A record is padded with zeros to a multiple of 8 bytes, which d_reclen
// includes. Type is a DT_* value (unix.DT_REG, ...).
type Dirent64 struct {
	Ino  uint64
	Off  int64
	Type uint8
	Name string
}

// dirent64NameOffset is offsetof(struct linux_dirent64, d_name).
const dirent64NameOffset = 19

// SizeBytes returns d_reclen: the size of the record, padding included.
func (d *Dirent64) SizeBytes() int {
	return (dirent64NameOffset + len(d.Name) + 1 + 7) &^ 7
}

// MarshalBytes implements Marshaler.
func (d *Dirent64) MarshalBytes(dst []byte) {
	n := d.SizeBytes()
	_ = dst[n-1]
	le.PutUint64(dst[0:], d.Ino)
	le.PutUint64(dst[8:], uint64(d.Off))
	le.PutUint16(dst[16:], uint16(n))
	dst[18] = d.Type
	copy(dst[dirent64NameOffset:], d.Name)
	clear(dst[dirent64NameOffset+len(d.Name) : n])
}

// AppendDirent64 appends the record for d to buf and returns the extended
// buffer; getdents64 appends records while the next one fits.
func AppendDirent64(buf []byte, d Dirent64) []byte {
	n := d.SizeBytes()
	buf = append(buf, make([]byte, n)...)
	d.MarshalBytes(buf[len(buf)-n:])
	return buf
}
