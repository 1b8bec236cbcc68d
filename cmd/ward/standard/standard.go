// Package standard links the standard set of subsystem implementations
// into a ward binary. Each blank import runs that package's init, which
// registers its implementation with core/registry; nothing else names them.
//
// To make a ward with another set, write a main that imports
// cmd/ward/cli and the subsystem packages you want instead of this one (see
// cmd/ward/minimal and docs/vendor-builds.md).
package standard

import (
	// The standard set. Subsystems are added here as they are implemented.
	_ "github.com/seed-a9fb2a21/ward/cgroups/cpu"
	_ "github.com/seed-a9fb2a21/ward/cgroups/memory"
	_ "github.com/seed-a9fb2a21/ward/cgroups/pids"
	_ "github.com/seed-a9fb2a21/ward/fs/cgroupfs"
	_ "github.com/seed-a9fb2a21/ward/fs/dev"
	_ "github.com/seed-a9fb2a21/ward/fs/hostfs"
	_ "github.com/seed-a9fb2a21/ward/fs/overlay"
	_ "github.com/seed-a9fb2a21/ward/fs/proc"
	_ "github.com/seed-a9fb2a21/ward/fs/sys"
	_ "github.com/seed-a9fb2a21/ward/fs/tmpfs"
	_ "github.com/seed-a9fb2a21/ward/net/loopback"
	_ "github.com/seed-a9fb2a21/ward/net/none"
	_ "github.com/seed-a9fb2a21/ward/platforms/ptrace"
)
