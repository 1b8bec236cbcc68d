package wire

import (
	"fmt"
	"testing"

	"github.com/seed-a9fb2a21/ward/plugins/wire/pluginv1"
)

// TestProtocolVersionMatchesProtoPackage keeps the one version number and
// the proto package in step: bumping ProtocolVersion needs a new package.
func TestProtocolVersionMatchesProtoPackage(t *testing.T) {
	want := fmt.Sprintf("ward.plugin.v%d", ProtocolVersion)
	if got := string(pluginv1.File_plugins_wire_pluginv1_subsystem_proto.Package()); got != want {
		t.Fatalf("proto package is %q, but ProtocolVersion %d needs %q", got, ProtocolVersion, want)
	}
	if Handshake.ProtocolVersion != ProtocolVersion {
		t.Fatalf("Handshake.ProtocolVersion = %d, want %d", Handshake.ProtocolVersion, ProtocolVersion)
	}
}
