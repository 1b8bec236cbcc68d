package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/seed-a9fb2a21/ward/configs"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestValidateThreeMistakes is the acceptance check of the config
// language: three mistakes, three diagnostics with line and column, exit 2.
func TestValidateThreeMistakes(t *testing.T) {
	p := writeFile(t, t.TempDir(), "bad.hcl", `platform "warp-drive" {}

volume "/data" {
  size = "1G"
}

process {
  args = ["/bin/sh"]
  cwd  = ["not", "a", "string"]
}
`, 0o644)
	r := ward(t, "validate", "--no-plugins", p)
	if r.status != 2 {
		t.Errorf("status %d, want 2", r.status)
	}
	lineRE := regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `:(\d+):(\d+): `)
	want := map[string]string{
		"1": `Unknown platform "warp-drive"`,
		"3": `Unsupported block type`,
		"9": `Unsuitable value type`,
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	for _, l := range lines {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if w, ok := want[m[1]]; ok && strings.Contains(l, w) {
			delete(want, m[1])
		}
	}
	if len(want) > 0 {
		t.Errorf("missing diagnostics %v in:\n%s", want, r.stderr)
	}
}

func TestPluginsAndVersion(t *testing.T) {
	r := ward(t, "plugins")
	if r.status != 0 {
		t.Fatalf("ward plugins: status %d: %s", r.status, r.stderr)
	}
	for _, kind := range []string{"platform", "fs", "net", "cgroup"} {
		if !regexp.MustCompile(`(?m)^` + kind + ` `).MatchString(r.stdout) {
			t.Errorf("ward plugins lists no line for kind %s:\n%s", kind, r.stdout)
		}
	}
	if r := ward(t, "version"); r.status != 0 || !strings.HasPrefix(r.stdout, "ward ") {
		t.Errorf("ward version: %+v", r)
	}
}

// TestDryRunDefault: the embedded default config composes, or ward names
// each subsystem this build lacks.
func TestDryRunDefault(t *testing.T) {
	r := ward(t, "run", "--dry-run", "--", "/bin/true")
	if !strings.Contains(r.stdout, `args        = ["/bin/true"]`) {
		t.Errorf("composition lacks the command:\n%s", r.stdout)
	}
	switch r.status {
	case 0:
		if strings.Contains(r.stdout, "NOT IN THIS BUILD") {
			t.Errorf("status 0 with missing subsystems:\n%s", r.stdout)
		}
	case 2:
		missing := regexp.MustCompile(`(?m)^<default>/default.hcl:\d+:\d+: Unknown (\w+) "([^"]+)"`).FindAllStringSubmatch(r.stderr, -1)
		if len(missing) == 0 || !strings.Contains(r.stderr, "lacks subsystems") {
			t.Errorf("status 2 but no missing subsystem named:\n%s", r.stderr)
		}
		for _, m := range missing {
			if !strings.Contains(r.stdout, fmt.Sprintf("# %s %q: NOT IN THIS BUILD", m[1], m[2])) {
				t.Errorf("composition does not mark %s %q as missing", m[1], m[2])
			}
		}
	default:
		t.Errorf("status %d:\n%s", r.status, r.stderr)
	}
}

// okOrOnlyMissing reports whether r succeeded, or failed only because this
// build lacks subsystems that a config names (by default or explicitly).
func okOrOnlyMissing(r result) bool {
	if r.status == 0 {
		return true
	}
	if r.status != 2 {
		return false
	}
	diag := regexp.MustCompile(`^\S+:\d+:\d+: `)
	for _, l := range strings.Split(r.stderr, "\n") {
		if diag.MatchString(l) && !regexp.MustCompile(`^\S+:\d+:\d+: Unknown \w+ "[^"]+"; This build of ward has no`).MatchString(l) {
			return false
		}
	}
	return true
}

func pluginConfig(cmd, sha, root string) string {
	s := fmt.Sprintf("plugin \"echofs\" {\n  kind    = \"fs\"\n  command = %q\n", cmd)
	if sha != "" {
		s += fmt.Sprintf("  sha256  = %q\n", sha)
	}
	return s + fmt.Sprintf("}\n\nmount \"/echo\" {\n  type = \"echofs\"\n  root = %q\n}\n", root)
}

func fileSHA(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestExternalPlugin starts the example plugin from a config.
func TestExternalPlugin(t *testing.T) {
	plug := examplePlugin(t)
	dir := t.TempDir()

	good := writeFile(t, dir, "good.hcl", pluginConfig(plug, fileSHA(t, plug), "/srv"), 0o644)
	r := ward(t, "plugins", "--config", good)
	if !okOrOnlyMissing(r) || !regexp.MustCompile(`fs\s+echofs\s+external `).MatchString(r.stdout) || !strings.Contains(r.stdout, "version") {
		t.Errorf("ward plugins --config: status %d\n%s\n%s", r.status, r.stdout, r.stderr)
	}
	r = ward(t, "run", "--dry-run", "--config", good, "--", "/bin/true")
	if !strings.Contains(r.stdout, `# fs "echofs": external plugin "echofs"`) || !strings.Contains(r.stdout, "started: fs \"echofs\"") {
		t.Errorf("dry-run does not show the started plugin:\n%s\n%s", r.stdout, r.stderr)
	}

	// The plugin checks the attributes of the block it serves; its
	// complaint points at the attribute.
	bad := writeFile(t, dir, "bad.hcl", pluginConfig(plug, "", "relative/path"), 0o644)
	r = ward(t, "validate", bad)
	if r.status != 2 || !regexp.MustCompile(regexp.QuoteMeta(bad)+`:8:10: .*relative/path.*reported by plugin "echofs"`).MatchString(r.stderr) {
		t.Errorf("plugin-reported diagnostic: status %d\n%s", r.status, r.stderr)
	}
}

// TestExternalPluginFailures: each way a plugin can fail to start is a
// clear error, exit status 2, within a bounded time.
func TestExternalPluginFailures(t *testing.T) {
	plug := examplePlugin(t)
	dir := t.TempDir()
	garbage := writeFile(t, dir, "garbage.sh", "#!/bin/sh\necho 'hello, I am not a plugin'\nsleep 30\n", 0o755)
	exits := writeFile(t, dir, "exits.sh", "#!/bin/sh\necho 'cannot open database' >&2\nexit 3\n", 0o755)
	hangs := writeFile(t, dir, "hangs.sh", "#!/bin/sh\nexec sleep 60\n", 0o755)
	notExec := writeFile(t, dir, "notexec", "data", 0o644)

	for _, tc := range []struct {
		name, cmd, sha, want string
	}{
		{"missing", dir + "/nosuch", "", "nosuch"},
		{"not executable", notExec, "", "executable"},
		{"wrong checksum", plug, strings.Repeat("0", 64), "checksum"},
		{"exits at once", exits, "", "cannot open database"},
		{"prints garbage", garbage, "", "hello, I am not a plugin"},
		{"never completes the handshake", hangs, "", "handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeFile(t, dir, "c.hcl", pluginConfig(tc.cmd, tc.sha, "/srv"), 0o644)
			start := time.Now()
			r := ward(t, "validate", cfg)
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("took %v", took)
			}
			if r.status != 2 {
				t.Errorf("status %d, want 2", r.status)
			}
			if !strings.Contains(r.stderr, cfg+":1:1: Plugin failed to start") || !strings.Contains(r.stderr, `plugin "echofs"`) || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not explain (want %q):\n%s", tc.want, r.stderr)
			}
		})
	}
}

// TestShippedConfigsRun runs the configs in configs/ that need nothing
// outside this build: each must boot, every block it leaves out taking a
// default that exists. (external-plugin.hcl needs an installed plugin.)
func TestShippedConfigsRun(t *testing.T) {
	needBusybox(t)
	dir := t.TempDir()
	config := func(name string) string {
		b, err := configs.Examples.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, name, string(b), 0o644)
	}
	for _, name := range []string{"minimal.hcl", "default.hcl"} {
		r := ward(t, "run", "--config", config(name), "--", "/bin/busybox", "echo", "booted")
		if r.status != 0 || r.stdout != "booted\n" {
			t.Errorf("configs/%s: status %d, stdout %q\n%s", name, r.status, r.stdout, r.stderr)
		}
	}
	// minimal.hcl's own process.
	r := ward(t, "run", "--config", config("minimal.hcl"))
	if r.status != 0 || r.stdout != "hello from ward\n" {
		t.Errorf("configs/minimal.hcl: status %d, stdout %q\n%s", r.status, r.stdout, r.stderr)
	}
	// limits.hcl's own process, under its cgroup limits and rlimits.
	r = ward(t, "run", "--config", config("limits.hcl"))
	if r.status != 0 || r.stdout != "256\n" {
		t.Errorf("configs/limits.hcl: status %d, stdout %q\n%s", r.status, r.stdout, r.stderr)
	}
}
