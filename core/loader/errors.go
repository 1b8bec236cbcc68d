package loader

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// noexec returns an ENOEXEC error with a message saying what is wrong with
// the executable. errors.Is(err, unix.ENOEXEC) holds, and the kernel
// returns the errno to execve's caller.
func noexec(format string, args ...any) error {
	return fmt.Errorf("loader: "+format+": %w", append(args, unix.ENOEXEC)...)
}

// errnoError returns an error wrapping errno e with a message.
func errnoError(e unix.Errno, format string, args ...any) error {
	return fmt.Errorf("loader: "+format+": %w", append(args, e)...)
}

// readError turns an error reading the executable into one the kernel can
// return: an errno from the file is kept, anything else is EIO.
func readError(what string, err error) error {
	var e unix.Errno
	if errors.As(err, &e) {
		return fmt.Errorf("loader: reading %s: %w", what, err)
	}
	return fmt.Errorf("loader: reading %s: %v: %w", what, err, unix.EIO)
}
