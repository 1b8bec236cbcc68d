// Package cli implements the ward command line: run, validate, fmt,
// plugins and version.
//
// The package links no subsystem itself. A ward binary is this package plus
// a set of blank imports that register implementations (see
// cmd/ward/standard for the standard set and cmd/ward/minimal for a
// vendor-style build), so every verb works against whatever that binary
// contains.
package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/seed-a9fb2a21/ward/core/registry"
)

// Exit statuses of ward itself. `ward run` otherwise exits with the
// application's status.
const (
	exitOK      = 0
	exitFailure = 1 // ward could not do what was asked
	exitUsage   = 2 // bad command line or bad config: nothing was started
)

// Env is what a command sees of the world; tests substitute their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        func() []string
}

// OSEnv is the process's real environment.
func OSEnv() *Env {
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Environ: os.Environ}
}

type command struct {
	name    string
	summary string
	run     func(env *Env, args []string) int
}

var commands = []command{
	{"run", "run a program in a new sandbox", cmdRun},
	{"validate", "check sandbox config files", cmdValidate},
	{"fmt", "rewrite config files in canonical HCL style", cmdFmt},
	{"plugins", "list the subsystem implementations this build contains", cmdPlugins},
	{"version", "print ward's version", cmdVersion},
}

// Main runs the ward command line with args (without the program name) and
// returns the exit status.
func Main(env *Env, args []string) int {
	if err := registry.Err(); err != nil {
		fmt.Fprintf(env.Stderr, "ward: this binary is built wrong: %v\n", err)
		return exitFailure
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return Main(env, []string{args[1], "--help"})
		}
		usage(env.Stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "ward: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "ward is an application kernel: it runs Linux programs in a sandbox\nand serves their system calls itself.\n\nUsage:\n  ward <command> [flags] [args]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'ward <command> --help' for a command's flags.\n")
}

// newFlags returns a flag set for a command whose usage line is synopsis.
func newFlags(env *Env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("ward "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: ward %s %s\n\n%s\n", name, synopsis, about)
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintf(out, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; it returns the exit status to use when parsing
// ended the command (--help or a bad flag), or -1 to go on.
func parseFlags(env *Env, fs *flag.FlagSet, args []string) int {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return exitOK
		}
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	return -1
}

// newLogger returns ward's logger: text on stderr.
func newLogger(env *Env, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
}

// builtins returns the registered implementations grouped by kind, for
// messages.
func builtins() string {
	var b strings.Builder
	for _, k := range registry.Kinds {
		names := registry.Names(k)
		sort.Strings(names)
		if len(names) == 0 {
			names = []string{"(none)"}
		}
		fmt.Fprintf(&b, "  %-8s %s\n", k, strings.Join(names, ", "))
	}
	return b.String()
}
