package cli

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/seed-a9fb2a21/ward/configs"
	"github.com/seed-a9fb2a21/ward/core/config"
)

// loadConfig loads the config at path, or the embedded default when path
// is empty. A file that cannot be read is reported as a diagnostic too.
func loadConfig(path string, opts config.Options) (*config.Sandbox, hcl.Diagnostics) {
	if path == "" {
		return config.Load(configs.Default, configs.DefaultName, opts)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read config",
			Detail:   fmt.Sprintf("%v.", err),
			Subject:  &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	return config.Load(src, path, opts)
}
