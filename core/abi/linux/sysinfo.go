package linux

// Sysinfo is struct sysinfo (<linux/sysinfo.h>), which sysinfo(2) writes:
// 112 bytes on x86-64.
type Sysinfo struct {
	Uptime    int64
	Loads     [3]uint64
	TotalRAM  uint64
	FreeRAM   uint64
	SharedRAM uint64
	BufferRAM uint64
	TotalSwap uint64
	FreeSwap  uint64
	Procs     uint16
	TotalHigh uint64
	FreeHigh  uint64
	MemUnit   uint32
}

// SizeofSysinfo is sizeof(struct sysinfo).
const SizeofSysinfo = 112

// SizeBytes implements Marshaler.
func (*Sysinfo) SizeBytes() int { return SizeofSysinfo }

// MarshalBytes implements Marshaler.
func (s *Sysinfo) MarshalBytes(dst []byte) {
	_ = dst[SizeofSysinfo-1]
	le.PutUint64(dst[0:], uint64(s.Uptime))
	for i, l := range s.Loads {
		le.PutUint64(dst[8+8*i:], l)
	}
	le.PutUint64(dst[32:], s.TotalRAM)
	le.PutUint64(dst[40:], s.FreeRAM)
	le.PutUint64(dst[48:], s.SharedRAM)
	le.PutUint64(dst[56:], s.BufferRAM)
	le.PutUint64(dst[64:], s.TotalSwap)
	le.PutUint64(dst[72:], s.FreeSwap)
	le.PutUint16(dst[80:], s.Procs)
	clear(dst[82:88]) // pad, then alignment of totalhigh
	le.PutUint64(dst[88:], s.TotalHigh)
	le.PutUint64(dst[96:], s.FreeHigh)
	le.PutUint32(dst[104:], s.MemUnit)
	clear(dst[108:SizeofSysinfo]) // _f[0] and tail padding
}

// SysinfoLoadShift is SI_LOAD_SHIFT: Loads are fixed-point with this many
// fractional bits.
const SysinfoLoadShift = 16
