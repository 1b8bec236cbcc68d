package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	plugin "github.com/hashicorp/go-plugin"

	"github.com/seed-a9fb2a21/ward/plugins/wire"
)

// stderrTailBytes is how much of a plugin's stderr an error quotes.
const stderrTailBytes = 2048

// Launch starts the plugin that spec describes and returns it once it has
// completed the handshake and described itself as the kind spec expects.
// The caller must Close it.
//
// Launch takes at most about spec's StartTimeout plus its CallTimeout, less
// if ctx ends sooner. On failure no process is left behind and the error is
// an *Error naming the plugin and the cause.
func Launch(ctx context.Context, spec Spec, logger *slog.Logger) (*Plugin, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sum, err := spec.validate()
	if err != nil {
		return nil, err
	}
	path, err := spec.resolveCommand()
	if err != nil {
		return nil, err
	}
	startTimeout := spec.startTimeout()
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < startTimeout {
		startTimeout = time.Until(deadline)
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(spec.Name, ErrStart, "not started: %w", err)
	}

	cmd := exec.Command(path, spec.Args...)
	// The plugin leads its own process group, so that Close can end any
	// process it starts, and a terminal's ^C reaches ward, not the plugin.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	log := newHCLogger(logger, spec.Name)
	stderr := newTail(stderrTailBytes)
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		Plugins:          wire.Plugins(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     startTimeout,
		Logger:           log,
		Stderr:           stderr,
		SyncStdout:       &lineWriter{log: log, stream: "stdout"},
		SyncStderr:       &lineWriter{log: log, stream: "stderr"},
	}
	if sum != nil {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}

	p := &Plugin{spec: spec, path: path, client: plugin.NewClient(cfg), cmd: cmd}
	rpc, err := p.client.Client()
	if err != nil {
		// Kill waits for go-plugin's readers, so stderr is complete after it.
		_ = p.shutdown(false)
		return nil, p.startError(err, startTimeout, stderr.String())
	}
	raw, err := rpc.Dispense(wire.SubsystemPluginName)
	if err != nil {
		_ = p.shutdown(true)
		return nil, fail(spec.Name, ErrCall, "dispensing %q from %s: %w", wire.SubsystemPluginName, path, err)
	}
	sub, ok := raw.(wire.Subsystem)
	if !ok {
		_ = p.shutdown(true)
		return nil, fail(spec.Name, ErrCall, "dispensed %T, not a wire.Subsystem", raw)
	}
	p.sub = sub

	desc, err := p.Describe(ctx)
	if err != nil {
		_ = p.shutdown(false) // it may be hung: no graceful wait

		return nil, err
	}
	if err := desc.Validate(); err != nil {
		_ = p.shutdown(true)
		return nil, fail(spec.Name, ErrInvalidDescription, "%s: %w", path, err)
	}
	if desc.Kind != spec.Kind {
		_ = p.shutdown(true)
		return nil, fail(spec.Name, ErrKindMismatch,
			"the config says kind = %q, but %s (%s %s) implements %q",
			spec.Kind, path, desc.Name, desc.Version, desc.Kind)
	}
	p.desc = desc
	logger.Info(spec.Name+": plugin started", "plugin", spec.Name, "path", path, "pid", p.Pid(),
		"implementation", desc.Name, "version", desc.Version, "kind", string(desc.Kind))
	return p, nil
}

// Probe launches the plugin, returns its description and closes it: what
// `ward plugins` needs for each plugin block.
func Probe(ctx context.Context, spec Spec, logger *slog.Logger) (Description, error) {
	p, err := Launch(ctx, spec, logger)
	if err != nil {
		return Description{}, err
	}
	desc := p.Description()
	if err := p.Close(); err != nil {
		return desc, err
	}
	return desc, nil
}

// pluginVersionRE finds the plugin's protocol version in go-plugin's
// "incompatible API version" error.
var pluginVersionRE = regexp.MustCompile(`Plugin version: (\d+)`)

// startError turns an error from go-plugin's start and handshake into an
// *Error that says what happened and what to do. go-plugin exports few
// error values, so most cases are told apart by their text; the tests pin
// each case.
func (p *Plugin) startError(err error, timeout time.Duration, stderr string) *Error {
	name, path, msg := p.spec.Name, p.path, err.Error()
	quoted := "it wrote nothing on stderr"
	if stderr != "" {
		quoted = "its stderr ended with:\n" + stderr
	}
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		got, herr := fileSHA256(path)
		if herr != nil {
			return fail(name, ErrChecksum, "%s does not have sha256 %s (and reading it again failed: %w)", path, p.spec.SHA256, herr)
		}
		return fail(name, ErrChecksum,
			"%s has sha256 %s, but the config says sha256 = %q; if this binary is trusted, put its checksum in the plugin block",
			path, got, p.spec.SHA256)
	case strings.HasPrefix(msg, "error verifying checksum"):
		return fail(name, ErrChecksum, "%s: %w", path, err)
	case errors.Is(err, syscall.ENOEXEC):
		return fail(name, ErrNotExecutable, "%s is not a program this machine can run (a script needs a #! line): %w", path, err)
	case errors.Is(err, syscall.EACCES):
		return fail(name, ErrNotExecutable, "%w", err)
	case errors.Is(err, syscall.ENOENT):
		return fail(name, ErrNotFound, "%s or its interpreter does not exist: %w", path, err)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fail(name, ErrStartTimeout,
			"%s printed no handshake line within %v and was killed; is it a ward plugin (built with plugins/sdk)? %s",
			path, timeout.Round(time.Millisecond), quoted)
	case strings.Contains(msg, "plugin exited before we could connect"),
		strings.Contains(msg, "Failed to read any lines from plugin's stdout"):
		return fail(name, ErrExited, "%s exited before completing the handshake; %s", path, quoted)
	case strings.HasPrefix(msg, "Unrecognized remote plugin message: "):
		line, _, _ := strings.Cut(strings.TrimPrefix(msg, "Unrecognized remote plugin message: "), "\n")
		return fail(name, ErrHandshake,
			"%s printed %q on stdout instead of the go-plugin handshake line; a ward plugin must be built with plugins/sdk and print nothing to stdout before sdk.Serve",
			path, truncate(line, 200))
	case strings.Contains(msg, "incompatible API version"):
		return p.versionError(msg)
	case strings.Contains(msg, "incompatible core API version"):
		return fail(name, ErrProtocolVersion,
			"%s uses an incompatible go-plugin core protocol; rebuild it against the plugins/sdk of this ward release: %w", path, err)
	case strings.Contains(msg, "unsupported plugin protocol"):
		return fail(name, ErrHandshake, "%s speaks go-plugin's net/rpc; ward accepts only gRPC plugins built with plugins/sdk: %w", path, err)
	default:
		return fail(name, ErrStart, "%s: %w; %s", path, err, quoted)
	}
}

// versionError says which side to upgrade when the plugin speaks another
// protocol version than this ward.
func (p *Plugin) versionError(msg string) *Error {
	m := pluginVersionRE.FindStringSubmatch(msg)
	if m == nil {
		return fail(p.spec.Name, ErrProtocolVersion, "%s: %s; this ward speaks protocol %d", p.path, msg, wire.ProtocolVersion)
	}
	var theirs int
	fmt.Sscan(m[1], &theirs)
	if theirs > wire.ProtocolVersion {
		return fail(p.spec.Name, ErrProtocolVersion,
			"%s speaks ward plugin protocol %d, this ward speaks %d: upgrade ward to a release that speaks protocol %d, or use a build of the plugin for protocol %d",
			p.path, theirs, wire.ProtocolVersion, theirs, wire.ProtocolVersion)
	}
	return fail(p.spec.Name, ErrProtocolVersion,
		"%s speaks ward plugin protocol %d, this ward speaks %d: upgrade the plugin (rebuild it against this ward's plugins/sdk)",
		p.path, theirs, wire.ProtocolVersion)
}

// fileSHA256 returns the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
