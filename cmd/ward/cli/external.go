package cli

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/plugins/host"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// plugins are the external plugins of a sandbox that started.
type plugins struct {
	byName map[string]*host.Plugin
}

// startPlugins starts every plugin the sandbox declares, checks that each
// is of the kind the config says, and has each check the attributes of the
// blocks it serves. Failures are diagnostics at the block concerned. The
// caller must call stop.
func startPlugins(sb *config.Sandbox, log *slog.Logger) (*plugins, hcl.Diagnostics) {
	ps := &plugins{byName: map[string]*host.Plugin{}}
	var diags hcl.Diagnostics
	for _, p := range sb.Plugins {
		hp, err := host.Launch(context.Background(), host.Spec{
			Name:    p.Name,
			Kind:    host.Kind(p.Kind),
			Command: p.Command,
			Args:    p.Args,
			SHA256:  p.SHA256,
		}, log)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Plugin failed to start",
				Detail:   err.Error(),
				Subject:  p.DefRange.Ptr(),
			})
			continue
		}
		ps.byName[p.Name] = hp
	}
	for _, s := range subsystems(sb) {
		if s.Plugin == nil || ps.byName[s.Plugin.Name] == nil {
			continue
		}
		diags = append(diags, configure(ps.byName[s.Plugin.Name], s)...)
	}
	return ps, diags
}

// configure sends a block's attributes to the plugin that serves it.
func configure(hp *host.Plugin, s *config.Subsystem) hcl.Diagnostics {
	names := make([]string, 0, len(s.Attrs))
	for n := range s.Attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	obj := make(map[string]cty.Value, len(s.Attrs))
	for _, n := range names {
		obj[n] = s.Attrs[n]
	}
	val := cty.ObjectVal(obj)
	js, err := ctyjson.Marshal(val, val.Type())
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot encode plugin config", Detail: err.Error(), Subject: s.DefRange.Ptr()}}
	}
	pdiags, err := hp.ConfigureJSON(context.Background(), js)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Plugin failed", Detail: err.Error(), Subject: s.DefRange.Ptr()}}
	}
	var diags hcl.Diagnostics
	for _, d := range pdiags {
		subject := s.DefRange.Ptr()
		if r, ok := s.AttrRanges[d.Attribute]; ok {
			subject = r.Ptr()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  d.Summary,
			Detail:   fmt.Sprintf("%s (reported by plugin %q)", d.Detail, hp.Name()),
			Subject:  subject,
		})
	}
	return diags
}

// subsystems lists every subsystem of sb.
func subsystems(sb *config.Sandbox) []*config.Subsystem {
	all := []*config.Subsystem{sb.Platform, &sb.Root.Subsystem}
	for _, m := range sb.Mounts {
		all = append(all, &m.Subsystem)
	}
	all = append(all, sb.Network)
	return append(all, sb.Cgroups...)
}

// described returns a one-line description of a started plugin.
func (ps *plugins) described(name string) (string, bool) {
	if ps == nil || ps.byName[name] == nil {
		return "", false
	}
	d := ps.byName[name].Description()
	return fmt.Sprintf("%s %q version %s, pid %d", d.Kind, d.Name, d.Version, ps.byName[name].Pid()), true
}

// stop shuts every plugin down.
func (ps *plugins) stop() {
	if ps == nil {
		return
	}
	for _, hp := range ps.byName {
		hp.Close()
	}
}
