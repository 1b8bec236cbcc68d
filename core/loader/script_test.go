package loader

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestResolve(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name   string
		file   string
		script bool
		want   Script
		errMsg string // non-empty: ENOEXEC containing this
	}{
		{name: "ELF", file: "\x7fELF\x02\x01\x01"},
		{name: "empty", file: ""},
		{name: "one byte", file: "#"},
		{name: "plain text", file: "echo hi\n"},
		{name: "shell", file: "#!/bin/sh\necho hi\n", script: true, want: Script{Interpreter: "/bin/sh"}},
		{name: "no newline", file: "#!/bin/sh", script: true, want: Script{Interpreter: "/bin/sh"}},
		{name: "blanks around", file: "#! \t/usr/bin/env \t python3 -u \t\nprint()\n", script: true,
			want: Script{Interpreter: "/usr/bin/env", Arg: "python3 -u", HasArg: true}},
		{name: "one arg with spaces", file: "#!/bin/sh -e -x\n", script: true,
			want: Script{Interpreter: "/bin/sh", Arg: "-e -x", HasArg: true}},
		{name: "CRLF keeps the CR", file: "#!/bin/sh\r\n", script: true, want: Script{Interpreter: "/bin/sh\r"}},
		{name: "NUL ends the line", file: "#!/bin/sh\x00 -x\n", script: true, want: Script{Interpreter: "/bin/sh"}},
		{name: "NUL as argument", file: "#!/bin/sh \x00x\n", script: true, want: Script{Interpreter: "/bin/sh", HasArg: true}},
		{name: "long argument truncated", file: "#!/bin/sh " + long, script: true,
			want: Script{Interpreter: "/bin/sh", Arg: long[:255-len("#!/bin/sh ")], HasArg: true}},
		{name: "only blanks", file: "#!   \t \n", errMsg: "no interpreter name"},
		// Linux reads a NUL as the name and fails to open "" (ENOENT).
		{name: "nothing", file: "#!", script: true, want: Script{}},
		{name: "nothing then newline", file: "#!\n", errMsg: "no interpreter name"},
		{name: "blanks without newline", file: "#!" + strings.Repeat(" ", 300), errMsg: "only blanks"},
		{name: "path too long", file: "#!/" + long, errMsg: "interpreter path longer"},
		{name: "newline after 256 bytes", file: "#!/" + long + "\n", errMsg: "interpreter path longer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok, err := Resolve(strings.NewReader(tc.file))
			if tc.errMsg != "" {
				if !errors.Is(err, unix.ENOEXEC) || !strings.Contains(err.Error(), tc.errMsg) {
					t.Fatalf("Resolve: %v, want ENOEXEC mentioning %q", err, tc.errMsg)
				}
				return
			}
			if err != nil || ok != tc.script || s != tc.want {
				t.Fatalf("Resolve = %+v, %v, %v; want %+v, %v", s, ok, err, tc.want, tc.script)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, unix.EIO }

func TestResolveReadError(t *testing.T) {
	if _, _, err := Resolve(failingReader{}); !errors.Is(err, unix.EIO) {
		t.Errorf("Resolve of an unreadable file: %v", err)
	}
}

func TestScriptArgv(t *testing.T) {
	for _, tc := range []struct {
		s    Script
		argv []string
		want []string
	}{
		{Script{Interpreter: "/bin/sh"}, []string{"script", "a", "b"}, []string{"/bin/sh", "./script", "a", "b"}},
		{Script{Interpreter: "/bin/sh", Arg: "-e", HasArg: true}, []string{"x"}, []string{"/bin/sh", "-e", "./script"}},
		{Script{Interpreter: "/bin/sh", HasArg: true}, nil, []string{"/bin/sh", "", "./script"}},
	} {
		if got := tc.s.Argv("./script", tc.argv); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v.Argv(%q) = %q, want %q", tc.s, tc.argv, got, tc.want)
		}
	}
}

// files is an Opener over in-memory files.
type files map[string][]byte

func (fs files) open(path string) (io.ReaderAt, int64, error) {
	b, ok := fs[path]
	if !ok {
		return nil, 0, unix.ENOENT
	}
	return bytes.NewReader(b), int64(len(b)), nil
}

func TestExec(t *testing.T) {
	spec, _, _ := staticSpec()
	prog := spec.build()
	fs := files{
		"/bin/prog":    prog,
		"/bin/script":  []byte("#!/bin/interp -x\nbody\n"),
		"/bin/interp":  []byte("#!/bin/prog\n"),
		"/bin/loop":    []byte("#!/bin/loop\n"),
		"/bin/text":    []byte("hello\n"),
		"/bin/missing": []byte("#!/nonexistent\n"),
	}

	m := newMM(t)
	img, err := Exec(m, fs.open, Args{Filename: "/bin/script", Argv: []string{"script", "arg1"}, Rand: &detRand{}})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	// /bin/script runs /bin/interp -x /bin/script arg1; /bin/interp is a
	// script too, so /bin/prog runs with /bin/interp prepended.
	want := []string{"/bin/prog", "/bin/interp", "-x", "/bin/script", "arg1"}
	if img.Path != "/bin/prog" || !reflect.DeepEqual(img.Argv, want) {
		t.Errorf("Path %q Argv %q, want /bin/prog %q", img.Path, img.Argv, want)
	}
	st := readStack(t, m, img.StackPointer)
	if !reflect.DeepEqual(st.argv, want) {
		t.Errorf("argv on the stack %q", st.argv)
	}
	if s, _ := m.CopyInString(uintptr(aux(t, st.auxv, 31 /* AT_EXECFN */)), 100); s != "/bin/script" {
		t.Errorf("AT_EXECFN %q, want the path execve was given", s)
	}

	for _, tc := range []struct {
		path string
		want error
		msg  string
	}{
		{"/bin/loop", unix.ELOOP, "levels"},
		{"/bin/text", unix.ENOEXEC, "not an ELF executable or a \"#!\" script"},
		{"/bin/missing", unix.ENOENT, ""},
		{"/nope", unix.ENOENT, ""},
	} {
		_, err := Exec(newMM(t), fs.open, Args{Filename: tc.path, Argv: []string{tc.path}})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Exec(%s): %v, want %v", tc.path, err, tc.want)
		}
	}
}
