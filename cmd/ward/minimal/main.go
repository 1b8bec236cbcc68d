// Command minimal is an example vendor build of ward: the same command line
// with a hand-picked set of subsystems instead of the standard set. Copy
// this file, change the imports, and build it (or use the Bazel target
// //cmd/ward:ward_minimal).
package main

import (
	"os"

	"github.com/seed-a9fb2a21/ward/cmd/ward/cli"
	// The subsystems this build contains.
	_ "github.com/seed-a9fb2a21/ward/platforms/ptrace"
)

func main() {
	os.Exit(cli.Main(cli.OSEnv(), os.Args[1:]))
}
