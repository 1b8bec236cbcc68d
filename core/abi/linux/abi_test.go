package linux

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestSizes checks every encoding against the size of its C structure in the
// headers (and, where x/sys/unix has the structure, against its Go size).
func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Marshaler
		want int
	}{
		{"timespec", &Timespec{}, 16},
		{"timeval", &Timeval{}, 16},
		{"stat", &Stat{}, 144},
		{"statx", &Statx{}, 256},
		{"new_utsname", &Utsname{}, 6 * 65},
		{"sysinfo", &Sysinfo{}, 112},
		{"rlimit", &Rlimit{}, 16},
		{"iovec", &Iovec{}, 16},
		{"pollfd", &Pollfd{}, 8},
		{"rusage", &Rusage{}, 144},
		{"tms", &Tms{}, 32},
		{"winsize", &Winsize{}, 8},
		{"termios", &Termios{}, 36},
		{"statfs", &Statfs{}, 120},
		{"kernel sigaction", &SigAction{}, 32},
		{"stack_t", &SignalStack{}, 24},
		{"siginfo", &Siginfo{}, 128},
		{"itimerspec", &Itimerspec{}, 32},
		{"itimerval", &Itimerval{}, 32},
	} {
		if got := tc.m.SizeBytes(); got != tc.want {
			t.Errorf("%s: SizeBytes = %d, header size %d", tc.name, got, tc.want)
		}
		// MarshalBytes writes exactly SizeBytes bytes.
		buf := bytes.Repeat([]byte{0xAA}, tc.want+8)
		tc.m.MarshalBytes(buf)
		if !bytes.Equal(buf[tc.want:], bytes.Repeat([]byte{0xAA}, 8)) {
			t.Errorf("%s: MarshalBytes wrote past SizeBytes", tc.name)
		}
		if bytes.Contains(buf[:tc.want], []byte{0xAA}) {
			t.Errorf("%s: MarshalBytes left bytes unwritten (padding must be zeroed): % x", tc.name, buf[:tc.want])
		}
	}
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"Stat_t", SizeofStat, unsafe.Sizeof(unix.Stat_t{})},
		{"Sysinfo_t", SizeofSysinfo, unsafe.Sizeof(unix.Sysinfo_t{})},
		{"Statfs_t", SizeofStatfs, unsafe.Sizeof(unix.Statfs_t{})},
		{"Rusage", SizeofRusage, unsafe.Sizeof(unix.Rusage{})},
		{"Tms", SizeofTms, unsafe.Sizeof(unix.Tms{})},
		{"Winsize", SizeofWinsize, unsafe.Sizeof(unix.Winsize{})},
		{"Utsname", SizeofUtsname, unsafe.Sizeof(unix.Utsname{})},
		{"PollFd", SizeofPollfd, unsafe.Sizeof(unix.PollFd{})},
		{"Siginfo", SizeofSiginfo, unsafe.Sizeof(unix.Siginfo{})},
		{"Statx_t", SizeofStatx, unsafe.Sizeof(unix.Statx_t{})},
		{"Itimerspec", SizeofItimerspec, unsafe.Sizeof(unix.ItimerSpec{})},
		{"Itimerval", SizeofItimerval, unsafe.Sizeof(unix.Itimerval{})},
		{"Timespec", SizeofTimespec, unsafe.Sizeof(unix.Timespec{})},
		{"Timeval", SizeofTimeval, unsafe.Sizeof(unix.Timeval{})},
		{"Rlimit", SizeofRlimit, unsafe.Sizeof(unix.Rlimit{})},
		{"Iovec", SizeofIovec, unsafe.Sizeof(unix.Iovec{})},
		{"Termios (termios2 in x/sys, 8 bytes of speeds more)", SizeofTermios + 8, unsafe.Sizeof(unix.Termios{})},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: ours %d, x/sys/unix %d", tc.name, tc.got, tc.want)
		}
	}
}

// raw returns the in-memory bytes of a cgo-godefs struct from x/sys/unix,
// whose layout is the C layout.
func raw[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// TestLayoutsMatchXSys marshals structures with a distinct value in every
// field and compares the bytes with x/sys/unix's C-layout structures holding
// the same values: each field is at the header's offset.
func TestLayoutsMatchXSys(t *testing.T) {
	t.Run("stat", func(t *testing.T) {
		s := Stat{Dev: 1, Ino: 2, Nlink: 3, Mode: 4, UID: 5, GID: 6, Rdev: 7, Size: 8, Blksize: 9, Blocks: 10,
			Atime: Timespec{11, 12}, Mtime: Timespec{13, 14}, Ctime: Timespec{15, 16}}
		u := unix.Stat_t{Dev: 1, Ino: 2, Nlink: 3, Mode: 4, Uid: 5, Gid: 6, Rdev: 7, Size: 8, Blksize: 9, Blocks: 10,
			Atim: unix.Timespec{Sec: 11, Nsec: 12}, Mtim: unix.Timespec{Sec: 13, Nsec: 14}, Ctim: unix.Timespec{Sec: 15, Nsec: 16}}
		compare(t, Marshal(&s), raw(&u))
	})
	t.Run("statx", func(t *testing.T) {
		s := Statx{Mask: 1, Blksize: 2, Attributes: 3, Nlink: 4, UID: 5, GID: 6, Mode: 7, Ino: 8, Size: 9, Blocks: 10,
			AttributesMask: 11, Atime: StatxTimestamp{12, 13}, Btime: StatxTimestamp{14, 15},
			Ctime: StatxTimestamp{16, 17}, Mtime: StatxTimestamp{18, 19}, RdevMajor: 20, RdevMinor: 21,
			DevMajor: 22, DevMinor: 23, MntID: 24, DioMemAlign: 25, DioOffsetAlign: 26}
		u := unix.Statx_t{Mask: 1, Blksize: 2, Attributes: 3, Nlink: 4, Uid: 5, Gid: 6, Mode: 7, Ino: 8, Size: 9, Blocks: 10,
			Attributes_mask: 11, Atime: unix.StatxTimestamp{Sec: 12, Nsec: 13}, Btime: unix.StatxTimestamp{Sec: 14, Nsec: 15},
			Ctime: unix.StatxTimestamp{Sec: 16, Nsec: 17}, Mtime: unix.StatxTimestamp{Sec: 18, Nsec: 19},
			Rdev_major: 20, Rdev_minor: 21, Dev_major: 22, Dev_minor: 23, Mnt_id: 24, Dio_mem_align: 25, Dio_offset_align: 26}
		compare(t, Marshal(&s), raw(&u))
	})
	t.Run("sysinfo", func(t *testing.T) {
		s := Sysinfo{Uptime: 1, Loads: [3]uint64{2, 3, 4}, TotalRAM: 5, FreeRAM: 6, SharedRAM: 7, BufferRAM: 8,
			TotalSwap: 9, FreeSwap: 10, Procs: 11, TotalHigh: 12, FreeHigh: 13, MemUnit: 14}
		u := unix.Sysinfo_t{Uptime: 1, Loads: [3]uint64{2, 3, 4}, Totalram: 5, Freeram: 6, Sharedram: 7, Bufferram: 8,
			Totalswap: 9, Freeswap: 10, Procs: 11, Totalhigh: 12, Freehigh: 13, Unit: 14}
		compare(t, Marshal(&s), raw(&u))
	})
	t.Run("statfs", func(t *testing.T) {
		s := Statfs{Type: 1, Bsize: 2, Blocks: 3, Bfree: 4, Bavail: 5, Files: 6, Ffree: 7, Fsid: [2]int32{8, 9},
			Namelen: 10, Frsize: 11, Flags: 12}
		u := unix.Statfs_t{Type: 1, Bsize: 2, Blocks: 3, Bfree: 4, Bavail: 5, Files: 6, Ffree: 7,
			Fsid: unix.Fsid{Val: [2]int32{8, 9}}, Namelen: 10, Frsize: 11, Flags: 12}
		compare(t, Marshal(&s), raw(&u))
	})
	t.Run("rusage", func(t *testing.T) {
		s := Rusage{Utime: Timeval{1, 2}, Stime: Timeval{3, 4}, MaxRSS: 5, IxRSS: 6, IdRSS: 7, IsRSS: 8, MinFlt: 9,
			MajFlt: 10, NSwap: 11, InBlock: 12, OuBlock: 13, MsgSnd: 14, MsgRcv: 15, NSignals: 16, NVCSw: 17, NIVCSw: 18}
		u := unix.Rusage{Utime: unix.Timeval{Sec: 1, Usec: 2}, Stime: unix.Timeval{Sec: 3, Usec: 4}, Maxrss: 5,
			Ixrss: 6, Idrss: 7, Isrss: 8, Minflt: 9, Majflt: 10, Nswap: 11, Inblock: 12, Oublock: 13, Msgsnd: 14,
			Msgrcv: 15, Nsignals: 16, Nvcsw: 17, Nivcsw: 18}
		compare(t, Marshal(&s), raw(&u))
	})
	t.Run("termios", func(t *testing.T) {
		s := Termios{Iflag: 1, Oflag: 2, Cflag: 3, Lflag: 4, Line: 5}
		u := unix.Termios{Iflag: 1, Oflag: 2, Cflag: 3, Lflag: 4, Line: 5}
		for i := range s.CC {
			s.CC[i] = byte(100 + i)
			u.Cc[i] = byte(100 + i)
		}
		compare(t, Marshal(&s), raw(&u)[:SizeofTermios])
	})
	t.Run("utsname", func(t *testing.T) {
		s := Utsname{"Linux", "host", "6.1.0", "#1 SMP", "x86_64", "(none)"}
		var u unix.Utsname
		copy(u.Sysname[:], "Linux")
		copy(u.Nodename[:], "host")
		copy(u.Release[:], "6.1.0")
		copy(u.Version[:], "#1 SMP")
		copy(u.Machine[:], "x86_64")
		copy(u.Domainname[:], "(none)")
		compare(t, Marshal(&s), raw(&u))
	})
	t.Run("pollfd", func(t *testing.T) {
		s := Pollfd{FD: -1, Events: 2, Revents: -3}
		u := unix.PollFd{Fd: -1, Events: 2, Revents: -3}
		compare(t, Marshal(&s), raw(&u))
	})
}

func compare(t *testing.T, ours, xsys []byte) {
	t.Helper()
	if len(ours) > len(xsys) {
		t.Fatalf("ours is %d bytes, x/sys %d", len(ours), len(xsys))
	}
	for i := range ours {
		if ours[i] != xsys[i] {
			t.Errorf("byte %d: ours %#x, x/sys %#x\nours % x\nxsys % x", i, ours[i], xsys[i], ours, xsys[:len(ours)])
			return
		}
	}
}

// TestRoundTrip checks that the types the kernel reads decode what they
// encode.
func TestRoundTrip(t *testing.T) {
	type codec interface {
		Marshaler
		UnmarshalBytes([]byte)
	}
	for _, tc := range []struct {
		in, out codec
	}{
		{&Timespec{Sec: -5, Nsec: 999999999}, &Timespec{}},
		{&Timeval{Sec: 7, Usec: 8}, &Timeval{}},
		{&Rlimit{Cur: 1, Max: unix.RLIM_INFINITY}, &Rlimit{}},
		{&Iovec{Base: 0x7fff0000, Len: 42}, &Iovec{}},
		{&Pollfd{FD: 3, Events: unix.POLLIN, Revents: unix.POLLHUP}, &Pollfd{}},
		{&Winsize{Row: 24, Col: 80, Xpixel: 1, Ypixel: 2}, &Winsize{}},
		{&Termios{Iflag: unix.ICRNL, Lflag: unix.ICANON | unix.ECHO, CC: [NCCS]byte{unix.VINTR: 3}}, &Termios{}},
		{&SigAction{Handler: 0x401000, Flags: SA_SIGINFO | SA_RESTORER, Restorer: 0x402000, Mask: SigMask(10)}, &SigAction{}},
		{&SignalStack{Sp: 0x1000, Flags: SS_DISABLE, Size: SIGSTKSZ}, &SignalStack{}},
		{&Utsname{Sysname: "Linux", Machine: "x86_64"}, &Utsname{}},
		{&Itimerspec{Interval: Timespec{1, 2}, Value: Timespec{3, 4}}, &Itimerspec{}},
		{&Itimerval{Interval: Timeval{1, 2}, Value: Timeval{3, 4}}, &Itimerval{}},
	} {
		b := Marshal(tc.in)
		tc.out.UnmarshalBytes(b)
		if !bytes.Equal(Marshal(tc.out), b) {
			t.Errorf("%T: round trip changed % x to % x", tc.in, b, Marshal(tc.out))
		}
	}
}

func TestSiginfo(t *testing.T) {
	var si Siginfo
	si.Signo = int32(unix.SIGCHLD)
	si.Code = CLD_EXITED
	si.SetPID(42)
	si.SetUID(1000)
	si.SetStatus(3)
	si.SetUtime(5)
	si.SetStime(6)
	b := Marshal(&si)
	for _, f := range []struct {
		off  int
		want uint64
		size int
	}{
		{0, uint64(unix.SIGCHLD), 4}, {8, CLD_EXITED, 4}, {16, 42, 4}, {20, 1000, 4},
		{24, 3, 4}, {32, 5, 8}, {40, 6, 8},
	} {
		var got uint64
		if f.size == 4 {
			got = uint64(le.Uint32(b[f.off:]))
		} else {
			got = le.Uint64(b[f.off:])
		}
		if got != f.want {
			t.Errorf("siginfo offset %d = %d, want %d", f.off, got, f.want)
		}
	}
	var fault Siginfo
	fault.SetAddr(0xdeadbeef)
	if got := le.Uint64(Marshal(&fault)[16:]); got != 0xdeadbeef {
		t.Errorf("si_addr at offset 16 = %#x", got)
	}
	// x/sys's Siginfo puts the union at the same place.
	u := unix.Siginfo{Signo: 1, Errno: 2, Code: 3}
	compare(t, Marshal(&Siginfo{Signo: 1, Errno: 2, Code: 3}), raw(&u))
}

func TestDirent64(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reclen int
	}{
		{"", 24}, {"a", 24}, {"abcd", 24}, {"abcde", 32}, {"0123456789abc", 40},
	} {
		d := Dirent64{Ino: 7, Off: 3, Type: unix.DT_REG, Name: tc.name}
		b := AppendDirent64([]byte{0xff}, d)[1:]
		if len(b) != tc.reclen || d.SizeBytes() != tc.reclen {
			t.Errorf("%q: record is %d bytes, want %d", tc.name, len(b), tc.reclen)
			continue
		}
		if le.Uint64(b[0:]) != 7 || le.Uint64(b[8:]) != 3 || int(le.Uint16(b[16:])) != tc.reclen || b[18] != unix.DT_REG {
			t.Errorf("%q: header % x", tc.name, b[:19])
		}
		if got := cString(b[19:]); got != tc.name {
			t.Errorf("name %q, want %q", got, tc.name)
		}
		for _, c := range b[19+len(tc.name):] {
			if c != 0 {
				t.Errorf("%q: padding not zero: % x", tc.name, b)
				break
			}
		}
	}
}

func TestUtsnameTruncates(t *testing.T) {
	long := string(bytes.Repeat([]byte{'x'}, 100))
	b := Marshal(&Utsname{Nodename: long})
	if b[UtsnameLength+64] != 0 || b[UtsnameLength+63] != 'x' {
		t.Errorf("nodename not truncated to 64 bytes plus NUL")
	}
}

func TestTimespec(t *testing.T) {
	for _, ns := range []int64{0, 1, 1e9, 1e9 + 5, -1, -1e9 - 1} {
		ts := NsecToTimespec(ns)
		if !ts.Valid() || ts.ToNsec() != ns {
			t.Errorf("NsecToTimespec(%d) = %+v, back %d", ns, ts, ts.ToNsec())
		}
	}
	if d := (Timespec{Sec: 1 << 62}).ToDuration(); d != 1<<63-1 {
		t.Errorf("huge Timespec did not saturate: %d", d)
	}
	if (Timespec{Nsec: 1e9}).Valid() || (Timespec{Nsec: -1}).Valid() {
		t.Errorf("out-of-range nsec accepted")
	}
}

func TestDev(t *testing.T) {
	dev := MakeDev(259, 0x12345)
	if DevMajor(dev) != 259 || DevMinor(dev) != 0x12345 {
		t.Errorf("MakeDev(259, 0x12345) = %#x splits into %d, %#x", dev, DevMajor(dev), DevMinor(dev))
	}
	if got := MakeDev(8, 1); got != unix.Mkdev(8, 1) {
		t.Errorf("MakeDev(8, 1) = %#x, unix.Mkdev %#x", got, unix.Mkdev(8, 1))
	}
}
