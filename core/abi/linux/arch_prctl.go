package linux

// arch_prctl(2) codes (<asm/prctl.h>).
const (
	ARCH_SET_GS               = 0x1001
	ARCH_SET_FS               = 0x1002
	ARCH_GET_FS               = 0x1003
	ARCH_GET_GS               = 0x1004
	ARCH_GET_CPUID            = 0x1011
	ARCH_SET_CPUID            = 0x1012
	ARCH_GET_XCOMP_SUPP       = 0x1021
	ARCH_GET_XCOMP_PERM       = 0x1022
	ARCH_REQ_XCOMP_PERM       = 0x1023
	ARCH_GET_XCOMP_GUEST_PERM = 0x1024
	ARCH_REQ_XCOMP_GUEST_PERM = 0x1025
	ARCH_MAP_VDSO_X32         = 0x2001
	ARCH_MAP_VDSO_32          = 0x2002
	ARCH_MAP_VDSO_64          = 0x2003
)
