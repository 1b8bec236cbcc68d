// Package configs holds Ward's example sandbox configs and the default
// config embedded in the ward binary.
package configs

import "embed"

// Default is the sandbox `ward run` uses when no --config is given.
//
//go:embed default.hcl
var Default []byte

// DefaultName is the file name diagnostics use for Default.
const DefaultName = "<default>/default.hcl"

// Examples holds every example config, the default included.
//
//go:embed *.hcl
var Examples embed.FS
