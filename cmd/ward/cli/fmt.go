package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/seed-a9fb2a21/ward/core/config"
)

func cmdFmt(env *Env, args []string) int {
	fs := newFlags(env, "fmt", "[--check] [FILE...]", "Rewrite sandbox config files in canonical HCL style, in place. With no\nFILE, format standard input to standard output. With --check, change\nnothing: list the files that are not formatted and exit 1 if any.")
	check := fs.Bool("check", false, "list unformatted files and exit 1 if there are any; write nothing")
	if st := parseFlags(env, fs, args); st >= 0 {
		return st
	}
	if fs.NArg() == 0 {
		src, err := io.ReadAll(env.Stdin)
		if err != nil {
			fmt.Fprintf(env.Stderr, "ward fmt: reading standard input: %v\n", err)
			return exitFailure
		}
		out, st := formatSource(env, src, "<stdin>")
		if st != exitOK {
			return st
		}
		if *check {
			if !bytes.Equal(src, out) {
				fmt.Fprintln(env.Stdout, "<stdin>")
				return exitFailure
			}
			return exitOK
		}
		env.Stdout.Write(out)
		return exitOK
	}
	status := exitOK
	for _, name := range fs.Args() {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(env.Stderr, "ward fmt: %v\n", err)
			status = max(status, exitUsage)
			continue
		}
		out, st := formatSource(env, src, name)
		if st != exitOK {
			status = max(status, st)
			continue
		}
		if bytes.Equal(src, out) {
			continue
		}
		if *check {
			fmt.Fprintln(env.Stdout, name)
			status = max(status, exitFailure)
			continue
		}
		if err := writeFileKeepMode(name, out); err != nil {
			fmt.Fprintf(env.Stderr, "ward fmt: %v\n", err)
			status = max(status, exitFailure)
		}
	}
	return status
}

// formatSource checks that src parses (formatting broken HCL would make it
// worse) and returns it formatted.
func formatSource(env *Env, src []byte, name string) ([]byte, int) {
	if _, _, diags := config.Parse(src, name); diags.HasErrors() {
		config.WriteDiagnostics(env.Stderr, diags)
		return nil, exitUsage
	}
	return hclwrite.Format(src), exitOK
}

func writeFileKeepMode(name string, data []byte) error {
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	tmp := name + ".ward-fmt.tmp"
	if err := os.WriteFile(tmp, data, fi.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
