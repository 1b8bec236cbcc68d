// Package sdk is what a third-party author imports to write an
// out-of-process ward plugin. Implement Plugin and call Serve from main:
//
//	func main() { sdk.Serve(myfs{}) }
//
// Serve speaks ward's plugin protocol (plugins/wire) through
// hashicorp/go-plugin over gRPC: it answers the handshake with
// wire.ProtocolVersion, checks configurations against the attributes the
// plugin describes before calling its Configure, and exits when ward closes
// the plugin. Log through Logger: its lines (hclog JSON on the process's
// stderr) appear in ward's log under the plugin's name, at their level.
//
// The binary refuses to run when started by hand rather than by ward.
// docs/plugins.md is the authoring guide.
package sdk
