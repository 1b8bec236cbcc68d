package linux

// Rusage is struct rusage (<linux/resource.h>), which getrusage and wait4
// write: 144 bytes.
type Rusage struct {
	Utime    Timeval
	Stime    Timeval
	MaxRSS   int64
	IxRSS    int64
	IdRSS    int64
	IsRSS    int64
	MinFlt   int64
	MajFlt   int64
	NSwap    int64
	InBlock  int64
	OuBlock  int64
	MsgSnd   int64
	MsgRcv   int64
	NSignals int64
	NVCSw    int64
	NIVCSw   int64
}

// SizeofRusage is sizeof(struct rusage).
const SizeofRusage = 144

// SizeBytes implements Marshaler.
func (*Rusage) SizeBytes() int { return SizeofRusage }

// MarshalBytes implements Marshaler.
func (r *Rusage) MarshalBytes(dst []byte) {
	_ = dst[SizeofRusage-1]
	r.Utime.MarshalBytes(dst[0:])
	r.Stime.MarshalBytes(dst[16:])
	for i, v := range [...]int64{r.MaxRSS, r.IxRSS, r.IdRSS, r.IsRSS, r.MinFlt, r.MajFlt,
		r.NSwap, r.InBlock, r.OuBlock, r.MsgSnd, r.MsgRcv, r.NSignals, r.NVCSw, r.NIVCSw} {
		le.PutUint64(dst[32+8*i:], uint64(v))
	}
}

// Tms is struct tms (<linux/times.h>), which times(2) writes: four clock_t
// values in clock ticks (CLK_TCK, 100 per second), 32 bytes.
type Tms struct {
	Utime  int64
	Stime  int64
	CUtime int64
	CStime int64
}

// SizeofTms is sizeof(struct tms).
const SizeofTms = 32

// CLK_TCK is USER_HZ, the unit of clock_t in times(2) and AT_CLKTCK.
const CLK_TCK = 100

// SizeBytes implements Marshaler.
func (*Tms) SizeBytes() int { return SizeofTms }

// MarshalBytes implements Marshaler.
func (t *Tms) MarshalBytes(dst []byte) {
	_ = dst[SizeofTms-1]
	le.PutUint64(dst[0:], uint64(t.Utime))
	le.PutUint64(dst[8:], uint64(t.Stime))
	le.PutUint64(dst[16:], uint64(t.CUtime))
	le.PutUint64(dst[24:], uint64(t.CStime))
}
