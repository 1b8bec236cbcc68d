package syscalls

import (
	"github.com/seed-a9fb2a21/ward/core/abi/linux"
	"github.com/seed-a9fb2a21/ward/core/kernel"
	"github.com/seed-a9fb2a21/ward/core/vfs"
	"golang.org/x/sys/unix"
)

// sendfile, splice, tee and copy_file_range: data moved between files by
// the kernel (vfs.Transfer). vmsplice is not implemented (ENOSYS).

func init() {
	register(func(tb *Table) {
		tb.set(linux.SysSendfile, sysSendfile, argInt, argFD, argFD, argPtr, argInt)
		tb.set(linux.SysSplice, sysSplice, argInt, argFD, argPtr, argFD, argPtr, argInt, argHex)
		tb.set(linux.SysTee, sysTee, argInt, argFD, argFD, argInt, argHex)
		tb.set(linux.SysCopyFileRange, sysCopyFileRange, argInt, argFD, argPtr, argFD, argPtr, argInt, argHex)
	})
}

// splice(2) flags.
const (
	spliceFMove     = 1
	spliceFNonblock = 2
	spliceFMore     = 4
	spliceFGift     = 8
	spliceFAll      = spliceFMove | spliceFNonblock | spliceFMore | spliceFGift
)

// ioFiles returns the descriptions of in (for reading) and out (for
// writing): EBADF if either is not open so.
func ioFiles(t *kernel.Task, in, out int32) (*vfs.FileDescription, *vfs.FileDescription, error) {
	fin, err := getFile(t, in)
	if err != nil {
		return nil, nil, err
	}
	fout, err := getFile(t, out)
	if err != nil {
		fin.DecRef()
		return nil, nil, err
	}
	if !fin.Readable() || !fout.Writable() {
		fin.DecRef()
		fout.DecRef()
		return nil, nil, unix.EBADF
	}
	return fin, fout, nil
}

// copyInOffset reads the loff_t at addr (nil for a NULL pointer).
func copyInOffset(t *kernel.Task, addr uintptr) (*int64, error) {
	if addr == 0 {
		return nil, nil
	}
	v, err := copyInUint64(t, addr)
	if err != nil {
		return nil, err
	}
	off := int64(v)
	return &off, nil
}

// transferResult finishes a transfer: it writes the advanced offsets back
// and raises SIGPIPE for EPIPE.
func transferResult(t *kernel.Task, n int64, err error, offs ...offArg) (uintptr, error) {
	for _, o := range offs {
		if o.addr != 0 && o.off != nil {
			if cerr := copyOutUint64(t, o.addr, uint64(*o.off)); cerr != nil && err == nil && n == 0 {
				err = cerr
			}
		}
	}
	if err == unix.EPIPE {
		sendSIGPIPE(t)
	}
	if err != nil && n == 0 {
		return 0, err
	}
	return uintptr(n), nil
}

// offArg is an loff_t pointer argument and its value.
type offArg struct {
	addr uintptr
	off  *int64
}

func sysSendfile(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	in, out, err := ioFiles(t, int32(a[1]), int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	if out.StatusFlags()&unix.O_APPEND != 0 || in.IsPipe() {
		return 0, unix.EINVAL
	}
	off, err := copyInOffset(t, a[2])
	if err != nil {
		return 0, err
	}
	if off != nil && *off < 0 {
		return 0, unix.EINVAL
	}
	count := min(int64(a[3]), maxRWCount)
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	if count == 0 {
		return 0, nil
	}
	if off != nil {
		if st, err := in.Stat(); err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
			return 0, unix.ESPIPE
		}
	}
	n, err := vfs.Transfer(t, in, out, count, vfs.TransferOptions{InOff: off})
	return transferResult(t, n, err, offArg{a[2], off})
}

func sysSplice(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := uint32(a[5])
	if flags&^spliceFAll != 0 {
		return 0, unix.EINVAL
	}
	in, out, err := ioFiles(t, int32(a[0]), int32(a[2]))
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	inPipe, outPipe := in.IsPipe(), out.IsPipe()
	if !inPipe && !outPipe {
		return 0, unix.EINVAL
	}
	if inPipe && outPipe && vfs.SamePipe(in, out) {
		return 0, unix.EINVAL
	}
	if (inPipe && a[1] != 0) || (outPipe && a[3] != 0) {
		return 0, unix.ESPIPE
	}
	if !outPipe && out.StatusFlags()&unix.O_APPEND != 0 {
		return 0, unix.EINVAL
	}
	inOff, err := copyInOffset(t, a[1])
	if err != nil {
		return 0, err
	}
	outOff, err := copyInOffset(t, a[3])
	if err != nil {
		return 0, err
	}
	if (inOff != nil && *inOff < 0) || (outOff != nil && *outOff < 0) {
		return 0, unix.EINVAL
	}
	for _, f := range []struct {
		fd  *vfs.FileDescription
		off *int64
	}{{in, inOff}, {out, outOff}} {
		if f.off == nil {
			continue
		}
		if st, err := f.fd.Stat(); err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
			return 0, unix.ESPIPE
		}
	}
	count := min(int64(a[4]), maxRWCount)
	if count == 0 {
		return 0, nil
	}
	n, err := vfs.Transfer(t, in, out, count, vfs.TransferOptions{
		InOff: inOff, OutOff: outOff, NonBlock: flags&spliceFNonblock != 0, Once: inPipe,
	})
	return transferResult(t, n, err, offArg{a[1], inOff}, offArg{a[3], outOff})
}

func sysTee(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	flags := uint32(a[3])
	if flags&^spliceFAll != 0 {
		return 0, unix.EINVAL
	}
	in, out, err := ioFiles(t, int32(a[0]), int32(a[1]))
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	if !in.IsPipe() || !out.IsPipe() || vfs.SamePipe(in, out) {
		return 0, unix.EINVAL
	}
	count := min(int64(a[2]), maxRWCount)
	if count == 0 {
		return 0, nil
	}
	n, err := vfs.Transfer(t, in, out, count, vfs.TransferOptions{NonBlock: flags&spliceFNonblock != 0, Tee: true, Once: true})
	return transferResult(t, n, err)
}

func sysCopyFileRange(t *kernel.Task, a *kernel.SyscallArgs) (uintptr, error) {
	if a[5] != 0 {
		return 0, unix.EINVAL
	}
	in, out, err := ioFiles(t, int32(a[0]), int32(a[2]))
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	if out.StatusFlags()&unix.O_APPEND != 0 {
		return 0, unix.EBADF
	}
	for _, f := range []*vfs.FileDescription{in, out} {
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
		case unix.S_IFDIR:
			return 0, unix.EISDIR
		default:
			return 0, unix.EINVAL
		}
	}
	inOff, err := copyInOffset(t, a[1])
	if err != nil {
		return 0, err
	}
	outOff, err := copyInOffset(t, a[3])
	if err != nil {
		return 0, err
	}
	if (inOff != nil && *inOff < 0) || (outOff != nil && *outOff < 0) {
		return 0, unix.EINVAL
	}
	count := min(int64(a[4]), maxRWCount)
	if int64(a[4]) < 0 {
		return 0, unix.EINVAL
	}
	if count == 0 {
		return 0, nil
	}
	if vfs.SameFile(in, out) {
		// Overlapping ranges of one file are EINVAL.
		ip, op := fileOffset(in, inOff), fileOffset(out, outOff)
		if ip < op+count && op < ip+count {
			return 0, unix.EINVAL
		}
	}
	n, err := vfs.Transfer(t, in, out, count, vfs.TransferOptions{InOff: inOff, OutOff: outOff})
	return transferResult(t, n, err, offArg{a[1], inOff}, offArg{a[3], outOff})
}

// fileOffset returns *off, or f's file offset when off is nil.
func fileOffset(f *vfs.FileDescription, off *int64) int64 {
	if off != nil {
		return *off
	}
	o, _ := f.Seek(0, unix.SEEK_CUR)
	return o
}
