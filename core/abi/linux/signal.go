package linux

// Signal numbers beyond unix's (<asm/signal.h>): the kernel supports _NSIG
// signals, numbered 1 to 64; 32 to 64 are real-time signals.
const (
	SIGRTMIN = 32
	SIGRTMAX = 64
	NSIG     = 64 // _NSIG, the highest signal number
)

// SignalSetSize is sizeof(sigset_t) as rt_sig* system calls require it in
// their sigsetsize argument (else EINVAL).
const SignalSetSize = 8

// SigMask returns the bit of signal sig in a 64-bit signal set: bit sig-1.
func SigMask(sig int) uint64 { return 1 << (uint(sig) - 1) }

// Special handler values (<asm-generic/signal-defs.h>).
const (
	SIG_DFL = 0
	SIG_IGN = 1
)

// sigaction flags (<asm-generic/signal-defs.h>, <asm/signal.h>).
const (
	SA_NOCLDSTOP      = 0x00000001
	SA_NOCLDWAIT      = 0x00000002
	SA_SIGINFO        = 0x00000004
	SA_UNSUPPORTED    = 0x00000400
	SA_EXPOSE_TAGBITS = 0x00000800
	SA_RESTORER       = 0x04000000
	SA_ONSTACK        = 0x08000000
	SA_RESTART        = 0x10000000
	SA_NODEFER        = 0x40000000
	SA_RESETHAND      = 0x80000000
)

// sigaltstack flags (<linux/signal.h>) and sizes (<asm/signal.h>).
const (
	SS_ONSTACK    = 1
	SS_DISABLE    = 2
	SS_AUTODISARM = 1 << 31
	MINSIGSTKSZ   = 2048
	SIGSTKSZ      = 8192
)

// SigAction is the kernel's struct sigaction on x86-64 (struct
// kernel_sigaction as rt_sigaction(2) takes it; not glibc's layout): handler,
// flags, restorer and a 64-bit mask, 32 bytes.
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     uint64
}

// SizeofSigAction is the size of the kernel's struct sigaction.
const SizeofSigAction = 32

// SizeBytes implements Marshaler.
func (*SigAction) SizeBytes() int { return SizeofSigAction }

// MarshalBytes implements Marshaler.
func (a *SigAction) MarshalBytes(dst []byte) {
	_ = dst[SizeofSigAction-1]
	le.PutUint64(dst[0:], a.Handler)
	le.PutUint64(dst[8:], a.Flags)
	le.PutUint64(dst[16:], a.Restorer)
	le.PutUint64(dst[24:], a.Mask)
}

// UnmarshalBytes implements Unmarshaler.
func (a *SigAction) UnmarshalBytes(src []byte) {
	_ = src[SizeofSigAction-1]
	a.Handler = le.Uint64(src[0:])
	a.Flags = le.Uint64(src[8:])
	a.Restorer = le.Uint64(src[16:])
	a.Mask = le.Uint64(src[24:])
}

// SignalStack is stack_t (<asm/signal.h>), for sigaltstack(2) and the
// signal frame: 24 bytes.
type SignalStack struct {
	Sp    uint64
	Flags int32
	Size  uint64
}

// SizeofSignalStack is sizeof(stack_t).
const SizeofSignalStack = 24

// SizeBytes implements Marshaler.
func (*SignalStack) SizeBytes() int { return SizeofSignalStack }

// MarshalBytes implements Marshaler.
func (s *SignalStack) MarshalBytes(dst []byte) {
	_ = dst[SizeofSignalStack-1]
	le.PutUint64(dst[0:], s.Sp)
	le.PutUint32(dst[8:], uint32(s.Flags))
	le.PutUint32(dst[12:], 0)
	le.PutUint64(dst[16:], s.Size)
}

// UnmarshalBytes implements Unmarshaler.
func (s *SignalStack) UnmarshalBytes(src []byte) {
	_ = src[SizeofSignalStack-1]
	s.Sp = le.Uint64(src[0:])
	s.Flags = int32(le.Uint32(src[8:]))
	s.Size = le.Uint64(src[16:])
}
