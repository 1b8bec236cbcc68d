package cli

import (
	"fmt"

	"github.com/seed-a9fb2a21/ward/core/config"
)

func cmdValidate(env *Env, args []string) int {
	fs := newFlags(env, "validate", "[--no-plugins] FILE...", "Check sandbox config files: syntax, the sandbox schema, each subsystem\nblock against the schema of the implementation it names, and that this\nbuild contains every implementation named. External plugins are started\nto check their kind and their blocks, unless --no-plugins is given.\nPrints one line per problem as file:line:col: summary; detail, and exits\n2 if there is any.")
	noPlugins := fs.Bool("no-plugins", false, "do not start external plugins; check only what ward itself knows")
	debug := fs.Bool("debug", false, "log plugin start-up in detail")
	if st := parseFlags(env, fs, args); st >= 0 {
		return st
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "ward validate: no config file given")
		fs.Usage()
		return exitUsage
	}
	status := exitOK
	for _, name := range fs.Args() {
		sb, diags := loadConfig(name, config.Options{})
		if sb != nil && !*noPlugins {
			ps, pdiags := startPlugins(sb, newLogger(env, *debug))
			ps.stop()
			diags = append(diags, pdiags...)
		}
		config.WriteDiagnostics(env.Stderr, diags)
		if diags.HasErrors() {
			status = exitUsage
		} else {
			fmt.Fprintf(env.Stdout, "%s: ok\n", name)
		}
	}
	return status
}
