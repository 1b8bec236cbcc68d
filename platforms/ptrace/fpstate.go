//go:build linux && amd64

package ptrace

import "encoding/binary"

// FP state is exchanged with the host as a whole XSAVE area in the standard
// (non-compacted) format of PTRACE_GETREGSET/SETREGSET NT_X86_XSTATE; its
// size (Platform.xsize) is what the host returns for a fresh stub, and the
// host accepts only that size back. Platform.initFP is a fresh stub's state:
// the FP state of a thread that has just called execve.

// Offsets in an XSAVE area.
const (
	fxsaveSize      = 512       // the legacy x87/SSE area
	xsaveHeaderSize = 64        // the XSAVE header that follows it
	xstateBVOffset  = 512       // XSTATE_BV in the header
	xcompBVOffset   = 512 + 8   // XCOMP_BV (0 in the standard format)
	xfeatureFPSSE   = 0x1 | 0x2 // XSTATE_BV bits of the legacy area
)

// fillFP sets dst, a buffer of the host's XSAVE size, to the FP state fp of
// a platform.State: fp itself when it has the host's size; otherwise the
// initial state with fp's legacy area (and, if fp has one, its XSAVE header
// and further components, as far as dst reaches) laid over it.
func (p *Platform) fillFP(dst, fp []byte) {
	if len(fp) == len(dst) {
		copy(dst, fp)
		return
	}
	copy(dst, p.initFP)
	copy(dst, fp)
	if len(fp) < fxsaveSize+xsaveHeaderSize {
		// A bare FXSAVE area: mark its components as present.
		bv := binary.LittleEndian.Uint64(dst[xstateBVOffset:])
		binary.LittleEndian.PutUint64(dst[xstateBVOffset:], bv|xfeatureFPSSE)
		binary.LittleEndian.PutUint64(dst[xcompBVOffset:], 0)
	}
}
