// Package config decodes and validates a sandbox description written in HCL.
//
// A sandbox is one HCL file:
//
//	hostname = "ward"
//	platform "ptrace" {}
//	root { type = "overlay" }
//	mount "/tmp" { type = "tmpfs"  size = "64MiB" }
//	network "none" {}
//	cgroup "memory" { limit = "256MiB" }
//	plugin "myfs" { kind = "fs"  command = "/usr/libexec/ward-myfs" }
//	process { args = ["/bin/sh"] }
//
// Load parses such a file and resolves every subsystem block against the
// implementations registered with core/registry (or against a plugin block
// of the same kind and name). A subsystem's own attributes are decoded into
// the Config struct its implementation registered, so they are checked by
// that schema. Every problem is an hcl.Diagnostic with a file, line and
// column; Load reports all it finds, not just the first.
//
// The package holds no locks; a Sandbox is built once and then read.
package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/zclconf/go-cty/cty"
)

// Sandbox is a decoded, validated sandbox description.
type Sandbox struct {
	// Filename is the name the config was loaded from ("<default>" for the
	// embedded default).
	Filename string

	// Hostname is the sandbox's UTS hostname.
	Hostname string

	Platform *Subsystem
	Root     *Mount
	Mounts   []*Mount // ordered by declaration
	Network  *Subsystem
	Cgroups  []*Subsystem // ordered by declaration
	Plugins  []*Plugin    // ordered by declaration
	Process  Process
}

// Subsystem is one subsystem block resolved to its implementation.
type Subsystem struct {
	Kind registry.Kind
	Name string

	// Exactly one of Factory and Plugin is set when the implementation was
	// found; both are nil when this build has no implementation of that
	// name (Load then also returns an error diagnostic).
	Factory *registry.Factory
	Plugin  *Plugin

	// Config is the decoded block for a built-in implementation: a pointer
	// of the type the factory registered, or nil if it takes no config.
	Config any

	// Attrs holds the block's attributes for an external plugin, which
	// checks them itself (and, for display only, those of an
	// implementation this build lacks); AttrRanges says where each was
	// written.
	Attrs      map[string]cty.Value
	AttrRanges map[string]hcl.Range

	// DefRange is where the block was declared (the zero Range for a
	// subsystem that was defaulted).
	DefRange hcl.Range
}

// Found reports whether an implementation was resolved.
func (s *Subsystem) Found() bool { return s.Factory != nil || s.Plugin != nil }

// Mount is a filesystem mounted at Path; the root filesystem has Path "/".
type Mount struct {
	Path string
	Subsystem
}

// Plugin is an external (go-plugin) implementation named in the config.
type Plugin struct {
	Name    string
	Kind    registry.Kind
	Command string // absolute, or resolved against the config file's directory
	Args    []string
	SHA256  string // lower-case hex, or empty for no check

	DefRange hcl.Range
}

// Process is the sandbox's init process.
type Process struct {
	// Args is argv; Args[0] is the program. It may be empty in the config
	// when the command line supplies one.
	Args []string

	// InheritEnv passes ward's own environment to the process; Env entries
	// are applied on top.
	InheritEnv bool
	Env        map[string]string

	// Cwd is the working directory; empty means ward's own (or "/").
	Cwd      string
	User     User
	Rlimits  []Rlimit
	Terminal bool
}

// User is the identity the init process runs as, inside the sandbox.
type User struct {
	UID    uint32
	GID    uint32
	Groups []uint32
}

// RlimInfinity is RLIM_INFINITY.
const RlimInfinity = ^uint64(0)

// Rlimit is one resource limit of the init process.
type Rlimit struct {
	Name     string // as in the config: "nofile", "stack", ...
	Resource int    // RLIMIT_* number
	Soft     uint64
	Hard     uint64
}

// Options change how a config is loaded.
type Options struct {
	// Platform and Network, when set, replace the config's platform and
	// network choice (the --platform and --network flags). The replaced
	// block's attributes are dropped.
	Platform string
	Network  string
}

// MissingImplementation is attached (as hcl.Diagnostic.Extra) to the
// diagnostic that reports a subsystem this build does not contain, so
// callers can tell "not linked in" from "written wrong".
type MissingImplementation struct {
	Kind registry.Kind
	Name string
}
