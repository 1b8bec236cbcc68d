// Package wire is ward's out-of-process plugin protocol: the go-plugin
// handshake (protocol version and magic cookie), the Go types both sides
// share (Kind, Description, Attribute, Diagnostic), and the gRPC glue that
// carries them (pluginv1, generated from pluginv1/subsystem.proto).
//
// The protocol is versioned in one place: ProtocolVersion in handshake.go.
// It always equals the version in the proto package name (ward.plugin.vN),
// and a test keeps the two in step. Compatible additions (new fields, new
// RPCs, new services) keep the version; anything else bumps it, and the
// go-plugin handshake then rejects a mismatched plugin before any RPC is
// made. docs/plugins.md states the rule for plugin authors.
//
// Every plugin serves the Subsystem service under the go-plugin name
// SubsystemPluginName. Services for a kind's own operations (a filesystem's,
// a network stack's) are added as further entries of the set returned by
// Plugins, each with its own proto service, and dispensed by name.
package wire
