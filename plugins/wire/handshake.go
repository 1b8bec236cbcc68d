package wire

import plugin "github.com/hashicorp/go-plugin"

// ProtocolVersion is the version of ward's plugin protocol that this build
// speaks. It is sent in the go-plugin handshake line and must equal the
// version of the proto package (ward.plugin.v1 ↔ 1).
//
// Bump it, with a new proto package, for any incompatible change; see the
// package comment and docs/plugins.md.
const ProtocolVersion = 1

// MagicCookieKey and MagicCookieValue are the environment variable that ward
// sets when it starts a plugin. A plugin binary run by hand, without them,
// refuses to start and says it is a plugin. They are not a security
// measure; checksums are (see host.Spec.SHA256).
//
// They never change: a plugin of any protocol version must be able to tell
// that ward started it, so that a version mismatch is reported by the
// handshake rather than by a confusing cookie error.
const (
	MagicCookieKey   = "WARD_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "74acbba94af62f2edd78b89ff6235ae7c40847912d512cd7"
)

// Handshake is the go-plugin handshake configuration shared by ward and
// every plugin built with plugins/sdk.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}
