package linux

// si_code values (<asm-generic/siginfo.h>).
const (
	SI_USER     = 0
	SI_KERNEL   = 0x80
	SI_QUEUE    = -1
	SI_TIMER    = -2
	SI_MESGQ    = -3
	SI_ASYNCIO  = -4
	SI_SIGIO    = -5
	SI_TKILL    = -6
	SI_DETHREAD = -7
	SI_ASYNCNL  = -60

	ILL_ILLOPC = 1
	ILL_ILLOPN = 2
	ILL_ILLADR = 3
	ILL_ILLTRP = 4
	ILL_PRVOPC = 5
	ILL_PRVREG = 6
	ILL_COPROC = 7
	ILL_BADSTK = 8

	FPE_INTDIV = 1
	FPE_INTOVF = 2
	FPE_FLTDIV = 3
	FPE_FLTOVF = 4
	FPE_FLTUND = 5
	FPE_FLTRES = 6
	FPE_FLTINV = 7
	FPE_FLTSUB = 8
	FPE_FLTUNK = 14

	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	SEGV_BNDERR = 3
	SEGV_PKUERR = 4

	BUS_ADRALN    = 1
	BUS_ADRERR    = 2
	BUS_OBJERR    = 3
	BUS_MCEERR_AR = 4
	BUS_MCEERR_AO = 5

	TRAP_BRKPT  = 1
	TRAP_TRACE  = 2
	TRAP_BRANCH = 3
	TRAP_HWBKPT = 4
	TRAP_UNK    = 5

	CLD_EXITED    = 1
	CLD_KILLED    = 2
	CLD_DUMPED    = 3
	CLD_TRAPPED   = 4
	CLD_STOPPED   = 5
	CLD_CONTINUED = 6

	POLL_IN  = 1
	POLL_OUT = 2
	POLL_MSG = 3
	POLL_ERR = 4
	POLL_PRI = 5
	POLL_HUP = 6

	SYS_SECCOMP = 1
)

// sigevent notification kinds (<asm-generic/siginfo.h>).
const (
	SIGEV_SIGNAL    = 0
	SIGEV_NONE      = 1
	SIGEV_THREAD    = 2
	SIGEV_THREAD_ID = 4
)

// SizeofSiginfo is SI_MAX_SIZE, sizeof(siginfo_t).
const SizeofSiginfo = 128

// siginfoFieldsOffset is where the _sifields union starts: after three ints,
// aligned to 8 on 64-bit.
const siginfoFieldsOffset = 16

// Siginfo is siginfo_t (<asm-generic/siginfo.h>): signal number, errno and
// code, then a union whose interpretation depends on the signal and code,
// 128 bytes. The accessors name the union members at their x86-64 offsets.
type Siginfo struct {
	Signo int32
	Errno int32
	Code  int32

	// Fields is the _sifields union (bytes 16 to 128).
	Fields [SizeofSiginfo - siginfoFieldsOffset]byte
}

// SizeBytes implements Marshaler.
func (*Siginfo) SizeBytes() int { return SizeofSiginfo }

// MarshalBytes implements Marshaler.
func (s *Siginfo) MarshalBytes(dst []byte) {
	_ = dst[SizeofSiginfo-1]
	le.PutUint32(dst[0:], uint32(s.Signo))
	le.PutUint32(dst[4:], uint32(s.Errno))
	le.PutUint32(dst[8:], uint32(s.Code))
	le.PutUint32(dst[12:], 0)
	copy(dst[siginfoFieldsOffset:], s.Fields[:])
}

// UnmarshalBytes implements Unmarshaler.
func (s *Siginfo) UnmarshalBytes(src []byte) {
	_ = src[SizeofSiginfo-1]
	s.Signo = int32(le.Uint32(src[0:]))
	s.Errno = int32(le.Uint32(src[4:]))
	s.Code = int32(le.Uint32(src[8:]))
	copy(s.Fields[:], src[siginfoFieldsOffset:])
}

// Offsets in Fields of the union members (offset in siginfo_t minus 16).
const (
	siPID    = 0  // _kill, _rt, _sigchld: si_pid
	siUID    = 4  // _kill, _rt, _sigchld: si_uid
	siValue  = 8  // _rt, _timer: si_value (union sigval, 8 bytes)
	siStatus = 8  // _sigchld: si_status
	siUtime  = 16 // _sigchld: si_utime
	siStime  = 24 // _sigchld: si_stime
	siAddr   = 0  // _sigfault: si_addr
	siTimer  = 0  // _timer: si_tid
	siOvrrun = 4  // _timer: si_overrun
	siBand   = 0  // _sigpoll: si_band (long)
	siFD     = 8  // _sigpoll: si_fd
	siCall   = 0  // _sigsys: _call_addr
	siSysno  = 8  // _sigsys: _syscall
	siArch   = 12 // _sigsys: _arch
)

func (s *Siginfo) get32(off int) int32    { return int32(le.Uint32(s.Fields[off:])) }
func (s *Siginfo) set32(off int, v int32) { le.PutUint32(s.Fields[off:], uint32(v)) }
func (s *Siginfo) get64(off int) uint64   { return le.Uint64(s.Fields[off:]) }
func (s *Siginfo) set64(off int, v uint64) {
	le.PutUint64(s.Fields[off:], v)
}

// PID is si_pid (kill, rt, sigchld forms).
func (s *Siginfo) PID() int32 { return s.get32(siPID) }

// SetPID sets si_pid.
func (s *Siginfo) SetPID(pid int32) { s.set32(siPID, pid) }

// UID is si_uid (kill, rt, sigchld forms).
func (s *Siginfo) UID() uint32 { return uint32(s.get32(siUID)) }

// SetUID sets si_uid.
func (s *Siginfo) SetUID(uid uint32) { s.set32(siUID, int32(uid)) }

// Value is si_value (rt and timer forms): sival_int or sival_ptr.
func (s *Siginfo) Value() uint64 { return s.get64(siValue) }

// SetValue sets si_value.
func (s *Siginfo) SetValue(v uint64) { s.set64(siValue, v) }

// Status is si_status (sigchld form): the exit status or signal.
func (s *Siginfo) Status() int32 { return s.get32(siStatus) }

// SetStatus sets si_status.
func (s *Siginfo) SetStatus(st int32) { s.set32(siStatus, st) }

// SetUtime sets si_utime (sigchld form), in clock ticks.
func (s *Siginfo) SetUtime(t int64) { s.set64(siUtime, uint64(t)) }

// SetStime sets si_stime (sigchld form), in clock ticks.
func (s *Siginfo) SetStime(t int64) { s.set64(siStime, uint64(t)) }

// Addr is si_addr (sigfault form: SIGSEGV, SIGBUS, SIGILL, SIGFPE,
// SIGTRAP).
func (s *Siginfo) Addr() uint64 { return s.get64(siAddr) }

// SetAddr sets si_addr.
func (s *Siginfo) SetAddr(a uint64) { s.set64(siAddr, a) }

// SetTimerID sets si_tid (timer form).
func (s *Siginfo) SetTimerID(id int32) { s.set32(siTimer, id) }

// SetOverrun sets si_overrun (timer form).
func (s *Siginfo) SetOverrun(n int32) { s.set32(siOvrrun, n) }

// SetBand sets si_band (sigpoll form).
func (s *Siginfo) SetBand(band int64) { s.set64(siBand, uint64(band)) }

// SetFD sets si_fd (sigpoll form).
func (s *Siginfo) SetFD(fd int32) { s.set32(siFD, fd) }

// SetSyscall sets the sigsys form: the address of the system call
// instruction, the system call number and the AUDIT_ARCH_* value.
func (s *Siginfo) SetSyscall(callAddr uint64, nr int32, arch uint32) {
	s.set64(siCall, callAddr)
	s.set32(siSysno, nr)
	s.set32(siArch, int32(arch))
}
