// Command ward is Ward's command line: it runs Linux programs in a sandbox
// whose system calls Ward's own kernel serves.
//
// This binary links the standard set of subsystems (see package standard).
// A vendor build links another set; see cmd/ward/minimal.
package main

import (
	"os"

	"github.com/seed-a9fb2a21/ward/cmd/ward/cli"
	_ "github.com/seed-a9fb2a21/ward/cmd/ward/standard"
)

func main() {
	os.Exit(cli.Main(cli.OSEnv(), os.Args[1:]))
}
