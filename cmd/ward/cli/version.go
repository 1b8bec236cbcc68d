package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/seed-a9fb2a21/ward/core/registry"
)

// Version is ward's version; release builds set it with
// -ldflags "-X github.com/seed-a9fb2a21/ward/cmd/ward/cli.Version=...".
var Version = "devel"

func cmdVersion(env *Env, args []string) int {
	fs := newFlags(env, "version", "", "Print ward's version, the Go toolchain it was built with, and how many\nsubsystem implementations it contains.")
	if st := parseFlags(env, fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "ward version: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	v := Version
	if info, ok := debug.ReadBuildInfo(); ok && v == "devel" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(env.Stdout, "ward %s\n%s %s/%s\n%d built-in subsystem implementations\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, len(registry.All()))
	return exitOK
}
