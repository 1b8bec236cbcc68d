package wire

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
)

// SubsystemPluginName is the go-plugin name under which every plugin serves
// the Subsystem service, and under which ward dispenses it.
const SubsystemPluginName = "subsystem"

// Subsystem is the service every plugin serves, whatever its kind. The SDK
// implements it over the author's code in the plugin process; the launcher
// gets a gRPC client that implements it in ward's process.
type Subsystem interface {
	// Describe reports what the plugin implements and its config schema.
	Describe(ctx context.Context) (Description, error)
	// Configure validates a configuration (a JSON object of attribute name
	// to value). Diagnostics are problems with the configuration; the error
	// is a failure to answer at all.
	Configure(ctx context.Context, config []byte) (Diagnostics, error)
}

// Plugins returns the go-plugin set that a plugin serves and that ward
// dispenses from. impl is the plugin's implementation; ward passes nil.
//
// Services added later (a filesystem's operations, a network stack's) become
// further entries here, each under its own name.
func Plugins(impl Subsystem) plugin.PluginSet {
	return plugin.PluginSet{
		SubsystemPluginName: &SubsystemPlugin{Impl: impl},
	}
}
