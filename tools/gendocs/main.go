// Command gendocs regenerates docs/config.md, the config reference, from the
// schemas that the standard build's subsystems register:
//
//	go run ./tools/gendocs > docs/config.md
package main

import (
	"os"

	_ "github.com/seed-a9fb2a21/ward/cmd/ward/standard"
	"github.com/seed-a9fb2a21/ward/core/config"
)

func main() {
	config.WriteReference(os.Stdout)
}
