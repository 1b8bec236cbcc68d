package loader

import (
	"bytes"
	"errors"
	"io"
)

// scriptBufSize is BINPRM_BUF_SIZE: how much of a file execve reads to
// recognise it. A "#!" line must fit in it (the last byte is reserved for a
// NUL), though a too-long argument is truncated rather than refused.
const scriptBufSize = 256

// Script is the "#!" line of an interpreter script.
type Script struct {
	// Interpreter is the path of the interpreter.
	Interpreter string

	// Arg is the optional single argument after it: the rest of the line,
	// internal spaces included, trailing blanks removed, cut at a NUL.
	// HasArg tells an empty argument (a NUL right after the blanks) from
	// none.
	Arg    string
	HasArg bool
}

// Resolve reads the start of the file r and reports whether it is a "#!"
// script, and if so its interpreter line, parsed exactly as Linux's
// binfmt_script does. A file that starts with "#!" but has no usable
// interpreter name (only blanks, or a name longer than the 255 bytes
// examined) is ENOEXEC. A NUL where the name should be gives an empty
// Interpreter, which then fails to open (ENOENT), as in Linux.
func Resolve(r io.ReaderAt) (Script, bool, error) {
	buf := make([]byte, scriptBufSize)
	n, err := r.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Script{}, false, readError("the first line", err)
	}
	clear(buf[n:])
	if n < 2 || buf[0] != '#' || buf[1] != '!' {
		return Script{}, false, nil
	}
	s, err := parseScriptLine(buf)
	return s, err == nil, err
}

// parseScriptLine parses buf, BINPRM_BUF_SIZE bytes starting with "#!" and
// zero-filled beyond the end of the file. It follows load_script in
// fs/binfmt_script.c step by step, including its inclusive scans.
func parseScriptLine(buf []byte) (Script, error) {
	last := len(buf) - 1 // buf_end: the byte reserved for the NUL
	iEnd := bytes.IndexByte(buf, '\n')
	if iEnd < 0 {
		// No newline: accept the line only if the interpreter name
		// ends (at a blank or NUL) within the buffer; the argument
		// may be truncated.
		p := nextNonBlank(buf, 2, last)
		if p < 0 {
			return Script{}, noexec("\"#!\" line is only blanks")
		}
		if nextTerminator(buf, p, last) < 0 {
			return Script{}, noexec("\"#!\" interpreter path longer than %d bytes", last-2)
		}
		iEnd = last
	}
	for isBlank(buf[iEnd-1]) {
		iEnd--
	}
	buf[iEnd] = 0
	iName := nextNonBlank(buf, 2, iEnd)
	if iName < 0 || iName == iEnd {
		return Script{}, noexec("no interpreter name after \"#!\"")
	}
	var s Script
	iSep := nextTerminator(buf, iName, iEnd)
	s.Interpreter = cString(buf[iName:iSep])
	if buf[iSep] != 0 {
		if iArg := nextNonBlank(buf, iSep, iEnd); iArg >= 0 {
			s.Arg, s.HasArg = cString(buf[iArg:iEnd]), true
		}
	}
	return s, nil
}

// Argv returns the argument list the interpreter of a script receives, as
// Linux builds it: the interpreter, its argument if any, the script's path
// as execve got it, then the original arguments without argv[0].
func (s Script) Argv(scriptPath string, argv []string) []string {
	out := []string{s.Interpreter}
	if s.HasArg {
		out = append(out, s.Arg)
	}
	out = append(out, scriptPath)
	if len(argv) > 1 {
		out = append(out, argv[1:]...)
	}
	return out
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// nextNonBlank returns the index of the first byte in buf[first..last]
// (inclusive) that is not a space or tab, or -1.
func nextNonBlank(buf []byte, first, last int) int {
	for i := first; i <= last; i++ {
		if !isBlank(buf[i]) {
			return i
		}
	}
	return -1
}

// nextTerminator returns the index of the first space, tab or NUL in
// buf[first..last] (inclusive), or -1.
func nextTerminator(buf []byte, first, last int) int {
	for i := first; i <= last; i++ {
		if isBlank(buf[i]) || buf[i] == 0 {
			return i
		}
	}
	return -1
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
