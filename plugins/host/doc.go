// Package host starts out-of-process ward plugins and talks to them: it is
// ward's side of the protocol in plugins/wire.
//
// Launch takes a Spec (what an HCL plugin block says: name, kind, command,
// args, sha256), verifies the binary's checksum, starts it with
// hashicorp/go-plugin (gRPC only, ward's handshake), bounds the handshake
// with a timeout, calls Describe and checks that the plugin implements the
// kind the config says. The returned Plugin answers Describe and Configure
// and must be closed; Close ends the plugin process and every process it
// left in its process group, within a bounded time.
//
// Every failure is an *Error naming the plugin and matching one of the Err
// values with errors.Is, so callers (`ward plugins`, `ward run --dry-run`)
// can print it as is.
//
// Logs: the plugin's log lines (hclog JSON on its stderr), anything else it
// writes to stdout or stderr, and go-plugin's own lines about it go to the
// *slog.Logger given to Launch, each message prefixed with the plugin's
// block name and carrying a plugin=<name> attribute.
package host
