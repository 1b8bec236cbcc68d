package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

func cmdPlugins(env *Env, args []string) int {
	fs := newFlags(env, "plugins", "[--config FILE]", "List the subsystem implementations built into this ward binary, by kind.\nWith --config, also start the external plugins that FILE names and list\nwhat each reports about itself.")
	cfgPath := fs.String("config", "", "also list the external plugins of this config `file`")
	debug := fs.Bool("debug", false, "log plugin start-up in detail")
	if st := parseFlags(env, fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "ward plugins: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tSOURCE\tSUMMARY")
	for _, k := range registry.Kinds {
		names := registry.Names(k)
		if len(names) == 0 {
			fmt.Fprintf(tw, "%s\t-\t(none in this build)\t\n", k)
		}
		for _, n := range names {
			f, _ := registry.Lookup(k, n)
			fmt.Fprintf(tw, "%s\t%s\tbuilt-in %s\t%s\n", k, n, f.Package, f.Summary)
		}
	}
	status := exitOK
	if *cfgPath != "" {
		sb, diags := loadConfig(*cfgPath, config.Options{})
		if sb != nil {
			ps, pdiags := startPlugins(sb, newLogger(env, *debug))
			defer ps.stop()
			diags = append(diags, pdiags...)
			for _, p := range sb.Plugins {
				d, ok := ps.described(p.Name)
				if !ok {
					d = "did not start"
				}
				fmt.Fprintf(tw, "%s\t%s\texternal %s\t%s\n", p.Kind, p.Name, p.Command, d)
			}
		}
		tw.Flush()
		config.WriteDiagnostics(env.Stderr, diags)
		if diags.HasErrors() {
			status = exitUsage
		}
	}
	tw.Flush()
	return status
}
