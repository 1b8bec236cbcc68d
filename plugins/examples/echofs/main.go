// Command echofs is a minimal example of an out-of-process ward plugin: a
// filesystem plugin ("fs") built with plugins/sdk. It serves no files yet;
// it shows the shape every plugin has: a Describe that states the kind and
// the configuration attributes, a Configure that validates their meaning,
// and sdk.Serve in main.
//
// A config block that uses it:
//
//	plugin "echo" {
//	  kind    = "fs"
//	  command = "/usr/libexec/ward-echofs"
//	  sha256  = "…"        # sha256sum /usr/libexec/ward-echofs
//	}
//
// with attributes root (an absolute path, required) and max_files (a
// positive whole number, optional).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/seed-a9fb2a21/ward/plugins/sdk"
)

// version is the implementation's version, reported by Describe.
const version = "0.1.0"

// echofs is the plugin. It keeps no state: Configure only validates.
type echofs struct{}

// config is the shape of echofs's configuration block.
type config struct {
	Root     string   `json:"root"`
	MaxFiles *float64 `json:"max_files"`
}

func (echofs) Describe() sdk.Description {
	return sdk.Description{
		Kind:    sdk.KindFS,
		Name:    "echofs",
		Version: version,
		Attributes: []sdk.Attribute{
			{Name: "root", Type: sdk.TypeString, Required: true, Doc: "absolute path that the filesystem serves"},
			{Name: "max_files", Type: sdk.TypeNumber, Doc: "largest number of files; a positive whole number (default 1024)"},
		},
	}
}

func (echofs) Configure(_ context.Context, raw json.RawMessage) []sdk.Diagnostic {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		// The SDK has checked the shape already; this is a bug, not bad input.
		return []sdk.Diagnostic{{Summary: "Invalid configuration", Detail: err.Error()}}
	}
	var diags []sdk.Diagnostic
	if !filepath.IsAbs(c.Root) {
		diags = append(diags, sdk.Diagnostic{
			Attribute: "root",
			Summary:   "Invalid value",
			Detail:    fmt.Sprintf("root must be an absolute path, not %q.", c.Root),
		})
	}
	if m := c.MaxFiles; m != nil && (*m < 1 || *m != float64(int64(*m))) {
		diags = append(diags, sdk.Diagnostic{
			Attribute: "max_files",
			Summary:   "Invalid value",
			Detail:    fmt.Sprintf("max_files must be a positive whole number, not %v.", *m),
		})
	}
	sdk.Logger().Info("configured", "root", c.Root, "ok", len(diags) == 0)
	return diags
}

func main() {
	sdk.Serve(echofs{})
}
