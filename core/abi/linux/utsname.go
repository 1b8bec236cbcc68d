package linux

// UtsnameLength is __NEW_UTS_LEN + 1, the size of each field of struct
// new_utsname (<linux/utsname.h>).
const UtsnameLength = 65

// Utsname is struct new_utsname, which uname(2) writes: six NUL-terminated
// fields of 65 bytes, 390 bytes in all. Longer strings are truncated.
type Utsname struct {
	Sysname    string
	Nodename   string
	Release    string
	Version    string
	Machine    string
	Domainname string
}

// SizeofUtsname is sizeof(struct new_utsname).
const SizeofUtsname = 6 * UtsnameLength

// SizeBytes implements Marshaler.
func (*Utsname) SizeBytes() int { return SizeofUtsname }

// MarshalBytes implements Marshaler.
func (u *Utsname) MarshalBytes(dst []byte) {
	_ = dst[SizeofUtsname-1]
	for i, s := range [...]string{u.Sysname, u.Nodename, u.Release, u.Version, u.Machine, u.Domainname} {
		putString(dst[i*UtsnameLength:(i+1)*UtsnameLength], s)
	}
}

// UnmarshalBytes implements Unmarshaler.
func (u *Utsname) UnmarshalBytes(src []byte) {
	_ = src[SizeofUtsname-1]
	f := func(i int) string { return cString(src[i*UtsnameLength : (i+1)*UtsnameLength]) }
	*u = Utsname{f(0), f(1), f(2), f(3), f(4), f(5)}
}
