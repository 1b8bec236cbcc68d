package cli

import (
	"errors"
	"fmt"

	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/seed-a9fb2a21/ward/core/sandbox"
)

func cmdRun(env *Env, args []string) int {
	fs := newFlags(env, "run", "[flags] [-- CMD ARGS...]", "Run CMD (or the config's process) in a new sandbox composed from the\nconfig (the embedded default when --config is not given). Exits with\nthe program's status, or 128+N when it was killed by signal N; exits 2\nwithout starting anything when the config or command line is wrong.")
	cfgPath := fs.String("config", "", "sandbox config `file` (default: the embedded default config)")
	platform := fs.String("platform", "", "use platform `name` instead of the config's")
	network := fs.String("network", "", "use network stack `name` instead of the config's")
	strace := fs.Bool("strace", false, "print every system call and page fault of the sandbox to stderr")
	dryRun := fs.Bool("dry-run", false, "print the composed sandbox and exit; start nothing but plugins")
	debug := fs.Bool("debug", false, "log in detail")
	if st := parseFlags(env, fs, args); st >= 0 {
		return st
	}
	sb, diags := loadConfig(*cfgPath, config.Options{Platform: *platform, Network: *network})
	if sb == nil {
		config.WriteDiagnostics(env.Stderr, diags)
		return exitUsage
	}
	if fs.NArg() > 0 {
		sb.Process.Args = fs.Args()
	}
	if len(sb.Process.Args) == 0 {
		fmt.Fprintf(env.Stderr, "ward run: nothing to run: %s has no process args and no command was given after --\n", sb.Filename)
		return exitUsage
	}
	log := newLogger(env, *debug)
	var ps *plugins
	// A dry run shows as much as it can; a real run starts nothing when
	// the config is wrong.
	if *dryRun || !diags.HasErrors() {
		var pdiags = diags[:0:0]
		ps, pdiags = startPlugins(sb, log)
		defer ps.stop()
		diags = append(diags, pdiags...)
	}
	if *dryRun {
		writeComposition(env.Stdout, sb, ps)
		config.WriteDiagnostics(env.Stderr, diags)
		if diags.HasErrors() {
			if config.OnlyMissing(diags) {
				fmt.Fprintf(env.Stderr, "ward run: this build lacks subsystems the config names; it contains:\n%s", builtins())
			}
			return exitUsage
		}
		return exitOK
	}
	config.WriteDiagnostics(env.Stderr, diags)
	if diags.HasErrors() {
		return exitUsage
	}
	opts := sandbox.Options{Log: log, Environ: env.Environ(), Stdio: [3]int{0, 1, 2}}
	if *strace {
		opts.Strace = env.Stderr
	}
	st, err := sandbox.Run(sb, opts)
	if err != nil {
		var be *sandbox.Error
		if errors.As(err, &be) {
			fmt.Fprintf(env.Stderr, "ward run: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(env.Stderr, "ward run: %v\n", err)
		return exitFailure
	}
	return st.ShellStatus()
}
