package loader

import (
	"io"

	"golang.org/x/sys/unix"
)

// maxScriptDepth is how many "#!" interpreters may be chained before
// execve fails with ELOOP (Linux's BINPRM_MAX_RECURSION).
const maxScriptDepth = 4

// Opener opens the file at path for execution on behalf of the task (the
// kernel resolves the path, checks search and execute permission and noexec
// mounts) and returns its contents and size. If the returned reader is an
// io.Closer, Exec closes it when done.
type Opener func(path string) (r io.ReaderAt, size int64, err error)

// Exec is the whole of execve's loading step: it opens args.Filename,
// follows "#!" interpreters (rewriting argv as Linux does, up to
// maxScriptDepth levels, else ELOOP), and loads the ELF file it ends at
// into m with Load. Image.Path is the file finally loaded and Image.Argv the
// final argv; AT_EXECFN stays args.Filename.
//
// Errors from open are returned unchanged; a file that is neither a script
// nor ELF is ENOEXEC.
func Exec(m MemoryManager, open Opener, args Args) (*Image, error) {
	if len(args.Argv) == 0 {
		args.Argv = []string{""}
	}
	if args.Open == nil {
		args.Open = open
	}
	path := args.Filename
	for depth := 0; ; depth++ {
		r, size, err := open(path)
		if err != nil {
			return nil, err
		}
		img, next, err := execOne(m, r, size, path, &args)
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		if err != nil || img != nil {
			return img, err
		}
		if depth == maxScriptDepth {
			return nil, errnoError(unix.ELOOP, "more than %d levels of \"#!\" interpreters (at %s)", maxScriptDepth, path)
		}
		path = next
	}
}

// execOne loads the file at path if it is ELF, or returns the interpreter to
// open next (with args.Argv rewritten) if it is a script.
func execOne(m MemoryManager, r io.ReaderAt, size int64, path string, args *Args) (*Image, string, error) {
	script, ok, err := Resolve(r)
	if err != nil {
		return nil, "", err
	}
	if ok {
		args.Argv = script.Argv(path, args.Argv)
		return nil, script.Interpreter, nil
	}
	var head [4]byte
	if n, _ := r.ReadAt(head[:], 0); !isELF(head[:n]) {
		return nil, "", noexec("%s is not an ELF executable or a \"#!\" script", path)
	}
	img, err := Load(m, r, size, *args)
	if err != nil {
		return nil, "", err
	}
	img.Path = path
	return img, "", nil
}
