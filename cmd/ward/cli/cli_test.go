package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-a9fb2a21/ward/core/registry"
)

type fsConfig struct {
	Size  *string `hcl:"size,optional"`
	Lower *string `hcl:"lower,optional"`
}

func init() {
	newAny := func(cfg any) (any, error) { return cfg, nil }
	registry.Register(registry.Factory{Kind: registry.KindPlatform, Name: "ptrace", Summary: "test platform", New: newAny})
	registry.Register(registry.Factory{Kind: registry.KindFS, Name: "overlay", Config: (*fsConfig)(nil), New: newAny})
	registry.Register(registry.Factory{Kind: registry.KindFS, Name: "tmpfs", Config: (*fsConfig)(nil), New: newAny})
}

// run runs the CLI in-process and returns status, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin:   strings.NewReader(stdin),
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(string) string { return "" },
		Environ: func() []string { return nil },
	}
	st := Main(env, args)
	return st, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateThreeMistakes(t *testing.T) {
	p := writeFile(t, "bad.hcl", `platform "kvm" {}
network "loopback" {}
volume "/data" {}
process {
  args = "sh"
}
`)
	st, out, errOut := run(t, "", "validate", "--no-plugins", p)
	if st != exitUsage {
		t.Errorf("status %d, want 2", st)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	want := []string{p + ":3:1: Unsupported block type", p + ":5:11: Unsuitable value type", p + `:1:10: Unknown platform "kvm"`}
	// Missing implementations of this test build (loopback, overlay) may
	// add lines; the three mistakes must each be there.
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line starting %q in:\n%s", w, errOut)
		}
	}
	if strings.Contains(out, "ok") {
		t.Errorf("stdout says ok: %s", out)
	}
}

func TestValidateGood(t *testing.T) {
	p := writeFile(t, "good.hcl", `root {
  type = "tmpfs"
  size = "1G"
}
network "none" {}
`)
	// The test build has no network "none": only that is reported.
	st, _, errOut := run(t, "", "validate", p)
	if st != exitUsage || !strings.Contains(errOut, `Unknown net "none"`) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("status %d, stderr:\n%s", st, errOut)
	}
	p = writeFile(t, "good.hcl", `platform "ptrace" {}
root {
  type = "tmpfs"
}
`)
	st, out, errOut := run(t, "", "run", "--dry-run", "--config", p, "--network", "", "--", "/bin/true")
	if st != exitUsage || !strings.Contains(errOut, "lacks subsystems") || !strings.Contains(out, `# net "loopback": NOT IN THIS BUILD (default)`) {
		t.Errorf("dry-run with a missing default: status %d\nstdout:\n%s\nstderr:\n%s", st, out, errOut)
	}
}

func TestValidateUnreadable(t *testing.T) {
	st, _, errOut := run(t, "", "validate", "/nonexistent/x.hcl")
	if st != exitUsage || !strings.Contains(errOut, "/nonexistent/x.hcl:1:1: Cannot read config") {
		t.Errorf("status %d stderr %q", st, errOut)
	}
	st, _, _ = run(t, "", "validate")
	if st != exitUsage {
		t.Errorf("validate without files: status %d", st)
	}
}

func TestRunDryRunComposition(t *testing.T) {
	registry.Register(registry.Factory{Kind: registry.KindNet, Name: "testnet", New: func(cfg any) (any, error) { return cfg, nil }})
	p := writeFile(t, "c.hcl", `hostname = "box"
root {
  type  = "overlay"
  lower = "/"
}
mount "/tmp" {
  type = "tmpfs"
  size = "64MiB"
}
process {
  args = ["/bin/sh"]
  rlimit "nofile" { soft = 10 }
}
`)
	st, out, errOut := run(t, "", "run", "--dry-run", "--config", p, "--network", "testnet", "--", "/bin/echo", "hi")
	if st != exitOK {
		t.Fatalf("status %d, stderr:\n%s", st, errOut)
	}
	for _, want := range []string{
		`hostname = "box"`,
		`# platform "ptrace": built-in, package github.com/seed-a9fb2a21/ward/cmd/ward/cli (default)`,
		`platform "ptrace" {`,
		`lower = "/"`,
		`mount "/tmp" {`,
		`size = "64MiB"`,
		`network "testnet" {`,
		`args        = ["/bin/echo", "hi"]`,
		`rlimit "nofile" {`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("composition lacks %q:\n%s", want, out)
		}
	}
}

func TestRunWithoutCommand(t *testing.T) {
	p := writeFile(t, "c.hcl", `platform "ptrace" {}`)
	st, _, errOut := run(t, "", "run", "--config", p)
	if st != exitUsage || !strings.Contains(errOut, "nothing to run") {
		t.Errorf("status %d stderr %q", st, errOut)
	}
}

func TestFmt(t *testing.T) {
	ugly := "process {\nargs=[\"a\"]\n  cwd =   \"/\"\n}\n"
	p := writeFile(t, "f.hcl", ugly)
	st, out, _ := run(t, "", "fmt", "--check", p)
	if st != exitFailure || strings.TrimSpace(out) != p {
		t.Errorf("fmt --check: status %d out %q", st, out)
	}
	if b, _ := os.ReadFile(p); string(b) != ugly {
		t.Error("fmt --check changed the file")
	}
	if st, _, errOut := run(t, "", "fmt", p); st != exitOK {
		t.Fatalf("fmt: status %d %s", st, errOut)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "args = [\"a\"]") || !strings.Contains(string(b), "  cwd  = \"/\"") {
		t.Errorf("formatted:\n%s", b)
	}
	if st, _, _ := run(t, "", "fmt", "--check", p); st != exitOK {
		t.Errorf("fmt --check after fmt: status %d", st)
	}
	st, out, _ = run(t, "a=1\n", "fmt")
	if st != exitOK || out != "a = 1\n" {
		t.Errorf("fmt stdin: %d %q", st, out)
	}
	bad := writeFile(t, "bad.hcl", "process {\n")
	st, _, errOut := run(t, "", "fmt", bad)
	if st != exitUsage || !strings.Contains(errOut, bad+":1:") {
		t.Errorf("fmt of broken file: status %d %q", st, errOut)
	}
}

func TestPluginsList(t *testing.T) {
	st, out, _ := run(t, "", "plugins")
	if st != exitOK {
		t.Fatalf("status %d", st)
	}
	for _, want := range []string{"KIND", "platform  ptrace", "test platform", "fs        overlay", "cgroup    -"} {
		if !strings.Contains(out, want) {
			t.Errorf("plugins output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpAndUnknown(t *testing.T) {
	for _, verb := range []string{"run", "validate", "fmt", "plugins", "version"} {
		st, out, _ := run(t, "", verb, "--help")
		if st != exitOK || !strings.Contains(out, "Usage: ward "+verb) {
			t.Errorf("%s --help: status %d out %q", verb, st, out)
		}
	}
	if st, _, errOut := run(t, "", "frobnicate"); st != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown verb: %d %q", st, errOut)
	}
	if st, _, _ := run(t, ""); st != exitUsage {
		t.Errorf("no verb: %d", st)
	}
	if st, _, errOut := run(t, "", "run", "--bogus"); st != exitUsage || !strings.Contains(errOut, "bogus") {
		t.Errorf("bad flag: %d %q", st, errOut)
	}
	if st, out, _ := run(t, "", "version"); st != exitOK || !strings.HasPrefix(out, "ward ") {
		t.Errorf("version: %d %q", st, out)
	}
}
