// Package pluginv1 is the generated Go code for version 1 of ward's plugin
// protocol (proto package ward.plugin.v1). subsystem.proto beside it is the
// source of truth; regenerate with tools/genproto/genproto.sh and never edit
// the .pb.go files by hand.
//
// Plugin authors and ward's own packages do not use this package directly:
// the SDK (plugins/sdk) and the launcher (plugins/host) go through
// plugins/wire, which owns the handshake and the protocol version.
package pluginv1

//go:generate ../../../tools/genproto/genproto.sh
