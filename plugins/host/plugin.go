package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seed-a9fb2a21/ward/plugins/wire"
)

// The protocol's shared types, under the names ward's packages use.
type (
	// Description is what a plugin reports about itself; see wire.Description.
	Description = wire.Description
	// Attribute describes one configuration attribute; see wire.Attribute.
	Attribute = wire.Attribute
	// Diagnostic is one problem with a configuration; see wire.Diagnostic.
	Diagnostic = wire.Diagnostic
	// Diagnostics is the result of Configure; see wire.Diagnostics.
	Diagnostics = wire.Diagnostics
)

// How long Close waits: first for go-plugin's graceful shutdown (which
// itself force-kills the plugin after 2s), then, after SIGKILL to the whole
// process group, for the process to be reaped.
const (
	closeGrace = 4 * time.Second
	closeKill  = 2 * time.Second
)

// Plugin is a running plugin process. Its methods are safe for concurrent
// use.
type Plugin struct {
	// Set by Launch before the Plugin is returned; read-only after.
	spec   Spec
	path   string
	client *plugin.Client
	cmd    *exec.Cmd
	sub    wire.Subsystem
	desc   Description

	closeOnce sync.Once
	closeErr  error // set once by closeOnce
}

// Name returns the plugin block's name.
func (p *Plugin) Name() string { return p.spec.Name }

// Spec returns the spec the plugin was launched with.
func (p *Plugin) Spec() Spec { return p.spec }

// Path returns the resolved path of the plugin binary.
func (p *Plugin) Path() string { return p.path }

// Description returns what the plugin reported when it was launched.
func (p *Plugin) Description() Description { return p.desc }

// Pid returns the plugin's process id, or 0 if it never started.
func (p *Plugin) Pid() int {
	if p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Exited reports whether the plugin process has exited.
func (p *Plugin) Exited() bool { return p.client.Exited() }

// Describe asks the plugin to describe itself again.
func (p *Plugin) Describe(ctx context.Context) (Description, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	d, err := p.sub.Describe(ctx)
	if err != nil {
		return Description{}, p.callError("Describe", err)
	}
	return d, nil
}

// Configure validates config, attribute name to value (any value that
// encoding/json can marshal), with the plugin. Diagnostics are problems
// with the configuration, to be reported against the attribute they name;
// the error is a failure of the plugin to answer.
func (p *Plugin) Configure(ctx context.Context, config map[string]any) (Diagnostics, error) {
	raw, err := json.Marshal(config)
	if err != nil {
		return nil, fail(p.spec.Name, ErrCall, "encoding configuration as JSON: %w", err)
	}
	return p.ConfigureJSON(ctx, raw)
}

// ConfigureJSON is Configure with the configuration already encoded as a
// JSON object (for example by go-cty's ctyjson from an HCL body).
func (p *Plugin) ConfigureJSON(ctx context.Context, config []byte) (Diagnostics, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	diags, err := p.sub.Configure(ctx, config)
	if err != nil {
		return nil, p.callError("Configure", err)
	}
	return diags, nil
}

// callContext bounds a call by the spec's CallTimeout.
func (p *Plugin) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.spec.callTimeout())
}

// callError describes a failed call: the plugin died, was too slow, or
// answered with an error.
func (p *Plugin) callError(method string, err error) *Error {
	switch {
	case p.Exited():
		return fail(p.spec.Name, ErrCall, "%s: the plugin process has exited (see its log lines above): %w", method, err)
	case status.Code(err) == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded):
		return fail(p.spec.Name, ErrCall, "%s: no answer within %v: %w", method, p.spec.callTimeout(), err)
	default:
		return fail(p.spec.Name, ErrCall, "%w", err)
	}
}

// Close ends the plugin: a graceful shutdown through go-plugin, then
// SIGKILL to the plugin's process group, so that nothing it started
// survives. It returns within about 6 seconds even if the plugin hangs, and
// may be called more than once.
func (p *Plugin) Close() error {
	p.closeOnce.Do(func() { p.closeErr = p.shutdown(true) })
	return p.closeErr
}

// shutdown ends the plugin process and its process group and waits, for a
// bounded time, until go-plugin has reaped it and read the last of its
// output. graceful asks the plugin to exit first; without it (a failed
// start, where go-plugin has already killed the plugin) the group is
// killed at once, so that a child holding the plugin's stdout or stderr
// open cannot delay the error.
func (p *Plugin) shutdown(graceful bool) error {
	if !graceful {
		p.killGroup()
	}
	done := make(chan struct{})
	if p.client.Exited() {
		// Reaped, and its output read to the end: nothing for Kill to do
		// but log a misleading "failed to exit gracefully".
		close(done)
	} else {
		go func() {
			p.client.Kill()
			close(done)
		}()
	}
	if graceful {
		select {
		case <-done:
		case <-time.After(closeGrace):
		}
		p.killGroup()
	}
	select {
	case <-done:
		return nil
	case <-time.After(closeKill):
		return fail(p.spec.Name, ErrCall, "process %d did not exit within %v of SIGKILL", p.Pid(), closeKill)
	}
}

// killGroup sends SIGKILL to the plugin's process group: what the plugin
// started, and the plugin itself if the graceful path is stuck. ESRCH means
// they are all gone already.
func (p *Plugin) killGroup() {
	if pid := p.Pid(); pid > 0 {
		_ = unix.Kill(-pid, unix.SIGKILL)
	}
}

// String returns `plugin "name" (path)`, for logs.
func (p *Plugin) String() string {
	return fmt.Sprintf("plugin %q (%s)", p.spec.Name, p.path)
}
