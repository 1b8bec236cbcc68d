package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	plugin "github.com/hashicorp/go-plugin"

	"github.com/seed-a9fb2a21/ward/plugins/wire"
)

// Serve serves p to ward and returns when ward closes the plugin; main
// should return right after it. If p's Description is invalid (unknown
// kind, empty name, bad attribute types), Serve prints why to stderr and
// exits with status 1, which ward reports with that text.
//
// Run by hand instead of by ward, the binary prints that it is a plugin and
// exits with status 1.
func Serve(p Plugin) {
	if err := p.Describe().Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "ward plugin: invalid Describe result: %v\n", err)
		os.Exit(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		Plugins:         wire.Plugins(server{p: p}),
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}

// server adapts an author's Plugin to wire.Subsystem.
type server struct {
	p Plugin
}

func (s server) Describe(context.Context) (wire.Description, error) {
	return s.p.Describe(), nil
}

func (s server) Configure(ctx context.Context, config []byte) (wire.Diagnostics, error) {
	if diags := wire.CheckConfig(s.p.Describe().Attributes, config); len(diags) > 0 {
		return diags, nil
	}
	if t := bytes.TrimSpace(config); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		config = []byte("{}")
	}
	return s.p.Configure(ctx, json.RawMessage(config)), nil
}
