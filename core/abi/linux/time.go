package linux

import "time"

// Timespec is struct timespec (<linux/time_types.h> __kernel_timespec):
// seconds and nanoseconds, 16 bytes.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// SizeofTimespec is sizeof(struct timespec).
const SizeofTimespec = 16

// SizeBytes implements Marshaler.
func (*Timespec) SizeBytes() int { return SizeofTimespec }

// MarshalBytes implements Marshaler.
func (t *Timespec) MarshalBytes(dst []byte) {
	_ = dst[15]
	le.PutUint64(dst[0:], uint64(t.Sec))
	le.PutUint64(dst[8:], uint64(t.Nsec))
}

// UnmarshalBytes implements Unmarshaler.
func (t *Timespec) UnmarshalBytes(src []byte) {
	_ = src[15]
	t.Sec = int64(le.Uint64(src[0:]))
	t.Nsec = int64(le.Uint64(src[8:]))
}

// Valid reports whether Nsec is in [0, 1e9), as system calls require
// (otherwise EINVAL).
func (t Timespec) Valid() bool { return t.Nsec >= 0 && t.Nsec < 1e9 }

// ToDuration returns t as a Duration, saturating instead of overflowing.
func (t Timespec) ToDuration() time.Duration {
	return saturatingDuration(t.Sec, t.Nsec)
}

// ToNsec returns t in nanoseconds, saturating instead of overflowing.
func (t Timespec) ToNsec() int64 { return int64(t.ToDuration()) }

// NsecToTimespec returns the Timespec for ns nanoseconds.
func NsecToTimespec(ns int64) Timespec {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	return Timespec{Sec: sec, Nsec: nsec}
}

// TimeToTimespec returns the Timespec of the wall-clock time t.
func TimeToTimespec(t time.Time) Timespec {
	return Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// Timeval is struct timeval (<linux/time.h>, the 64-bit
// __kernel_old_timeval): seconds and microseconds, 16 bytes.
type Timeval struct {
	Sec  int64
	Usec int64
}

// SizeofTimeval is sizeof(struct timeval).
const SizeofTimeval = 16

// SizeBytes implements Marshaler.
func (*Timeval) SizeBytes() int { return SizeofTimeval }

// MarshalBytes implements Marshaler.
func (t *Timeval) MarshalBytes(dst []byte) {
	_ = dst[15]
	le.PutUint64(dst[0:], uint64(t.Sec))
	le.PutUint64(dst[8:], uint64(t.Usec))
}

// UnmarshalBytes implements Unmarshaler.
func (t *Timeval) UnmarshalBytes(src []byte) {
	_ = src[15]
	t.Sec = int64(le.Uint64(src[0:]))
	t.Usec = int64(le.Uint64(src[8:]))
}

// Valid reports whether Usec is in [0, 1e6).
func (t Timeval) Valid() bool { return t.Usec >= 0 && t.Usec < 1e6 }

// ToDuration returns t as a Duration, saturating instead of overflowing.
func (t Timeval) ToDuration() time.Duration {
	return saturatingDuration(t.Sec, t.Usec*1000)
}

// DurationToTimeval returns the Timeval for d, rounded down to a
// microsecond.
func DurationToTimeval(d time.Duration) Timeval {
	ts := NsecToTimespec(int64(d))
	return Timeval{Sec: ts.Sec, Usec: ts.Nsec / 1000}
}

// saturatingDuration returns sec seconds plus nsec nanoseconds, clamped to
// the range of a Duration.
func saturatingDuration(sec, nsec int64) time.Duration {
	const maxSec = int64(1<<63-1) / 1e9
	switch {
	case sec > maxSec:
		return 1<<63 - 1
	case sec < -maxSec:
		return -1 << 63
	}
	d := time.Duration(sec)*time.Second + time.Duration(nsec)
	if sec > 0 && d < 0 {
		return 1<<63 - 1
	}
	return d
}

// Itimerspec is struct itimerspec (<linux/time_types.h>), for timer_settime
// and timerfd_settime: interval then value, 32 bytes.
type Itimerspec struct {
	Interval Timespec
	Value    Timespec
}

// SizeofItimerspec is sizeof(struct itimerspec).
const SizeofItimerspec = 32

// SizeBytes implements Marshaler.
func (*Itimerspec) SizeBytes() int { return SizeofItimerspec }

// MarshalBytes implements Marshaler.
func (it *Itimerspec) MarshalBytes(dst []byte) {
	it.Interval.MarshalBytes(dst[0:])
	it.Value.MarshalBytes(dst[16:])
}

// UnmarshalBytes implements Unmarshaler.
func (it *Itimerspec) UnmarshalBytes(src []byte) {
	it.Interval.UnmarshalBytes(src[0:])
	it.Value.UnmarshalBytes(src[16:])
}

// Itimerval is struct itimerval (<linux/time.h>), for getitimer and
// setitimer: interval then value, 32 bytes.
type Itimerval struct {
	Interval Timeval
	Value    Timeval
}

// SizeofItimerval is sizeof(struct itimerval).
const SizeofItimerval = 32

// SizeBytes implements Marshaler.
func (*Itimerval) SizeBytes() int { return SizeofItimerval }

// MarshalBytes implements Marshaler.
func (it *Itimerval) MarshalBytes(dst []byte) {
	it.Interval.MarshalBytes(dst[0:])
	it.Value.MarshalBytes(dst[16:])
}

// UnmarshalBytes implements Unmarshaler.
func (it *Itimerval) UnmarshalBytes(src []byte) {
	it.Interval.UnmarshalBytes(src[0:])
	it.Value.UnmarshalBytes(src[16:])
}
