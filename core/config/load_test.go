package config

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/seed-a9fb2a21/ward/core/registry"
)

// Test-only implementations: the registry is global, so they are
// registered once for the package's tests.
type memfsConfig struct {
	Size     Size  `hcl:"size,optional" doc:"capacity"`
	ReadOnly *bool `hcl:"readonly,optional"`
}

type cpuConfig struct {
	CPUs   CPUs      `hcl:"cpus"`
	Period *Duration `hcl:"period,optional"`
}

func init() {
	newAny := func(cfg any) (any, error) { return cfg, nil }
	registry.Register(registry.Factory{Kind: registry.KindPlatform, Name: "testplat", New: newAny})
	registry.Register(registry.Factory{Kind: registry.KindFS, Name: "memfs", Config: (*memfsConfig)(nil), New: newAny})
	registry.Register(registry.Factory{Kind: registry.KindFS, Name: "overlay", Config: (*memfsConfig)(nil), New: newAny})
	registry.Register(registry.Factory{Kind: registry.KindNet, Name: "testnet", New: newAny})
	registry.Register(registry.Factory{Kind: registry.KindCgroup, Name: "cpu", Config: (*cpuConfig)(nil), New: newAny})
}

const goodConfig = `
hostname = "box"
platform "testplat" {}
root {
  type = "memfs"
  size = "1GiB"
}
mount "/tmp" {
  type     = "memfs"
  size     = "64MiB"
  readonly = true
}
mount "/data" {
  type  = "extfs"
  depth = 3
}
network "testnet" {}
cgroup "cpu" {
  cpus   = "1.5"
  period = "100ms"
}
plugin "extfs" {
  kind    = "fs"
  command = "bin/extfs"
  args    = ["-v"]
  sha256  = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
}
process {
  args        = ["/bin/sh", "-c", "true"]
  env         = { A = "1" }
  inherit_env = true
  cwd         = "/tmp"
  terminal    = true
  user {
    uid    = 1000
    gid    = 100
    groups = [10, 20]
  }
  rlimit "nofile" {
    soft = 1024
    hard = 4096
  }
  rlimit "core" {
    soft = "unlimited"
  }
}
`

func TestLoadGood(t *testing.T) {
	sb, diags := Load([]byte(goodConfig), "/etc/ward/box.hcl", Options{})
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	if sb.Hostname != "box" || sb.Platform.Name != "testplat" || sb.Platform.Factory == nil || sb.Network.Name != "testnet" {
		t.Errorf("top level decoded wrong: %+v", sb)
	}
	root := sb.Root.Config.(*memfsConfig)
	if sb.Root.Path != "/" || root.Size != "1GiB" {
		t.Errorf("root = %+v", sb.Root)
	}
	if len(sb.Mounts) != 2 || sb.Mounts[0].Path != "/tmp" || sb.Mounts[1].Path != "/data" {
		t.Fatalf("mounts = %+v", sb.Mounts)
	}
	tmp := sb.Mounts[0].Config.(*memfsConfig)
	if tmp.Size != "64MiB" || tmp.ReadOnly == nil || !*tmp.ReadOnly {
		t.Errorf("/tmp config = %+v", tmp)
	}
	data := sb.Mounts[1]
	if data.Plugin == nil || data.Plugin.Name != "extfs" || data.Factory != nil {
		t.Fatalf("/data not resolved to the plugin: %+v", data)
	}
	if v, ok := data.Attrs["depth"]; !ok || v.AsBigFloat().String() != "3" {
		t.Errorf("/data attrs = %v", data.Attrs)
	}
	p := sb.Plugins[0]
	if p.Command != "/etc/ward/bin/extfs" || p.SHA256 != strings.ToLower(p.SHA256) || len(p.Args) != 1 {
		t.Errorf("plugin = %+v", p)
	}
	cpu := sb.Cgroups[0].Config.(*cpuConfig)
	if m, _ := cpu.CPUs.Milli(); m != 1500 {
		t.Errorf("cpus = %v", cpu.CPUs)
	}
	pr := sb.Process
	if len(pr.Args) != 3 || pr.Env["A"] != "1" || !pr.InheritEnv || pr.Cwd != "/tmp" || !pr.Terminal {
		t.Errorf("process = %+v", pr)
	}
	if pr.User.UID != 1000 || pr.User.GID != 100 || len(pr.User.Groups) != 2 {
		t.Errorf("user = %+v", pr.User)
	}
	want := []Rlimit{{"core", 4, RlimInfinity, RlimInfinity}, {"nofile", 7, 1024, 4096}}
	if len(pr.Rlimits) != 2 || pr.Rlimits[0] != want[0] || pr.Rlimits[1] != want[1] {
		t.Errorf("rlimits = %+v, want %+v", pr.Rlimits, want)
	}
}

func TestDefaultsAndOverrides(t *testing.T) {
	sb, diags := Load([]byte(`process { args = ["/bin/true"] }`), "min.hcl", Options{Platform: "testplat", Network: "testnet"})
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	if sb.Hostname != DefaultHostname || sb.Process.Cwd != "" || sb.Root.Name != DefaultRootType {
		t.Errorf("defaults not applied: %+v", sb)
	}
	if sb.Platform.Name != "testplat" || sb.Network.Name != "testnet" {
		t.Errorf("overrides not applied: platform %q network %q", sb.Platform.Name, sb.Network.Name)
	}
	// The override replaces a block, attributes and all.
	sb, diags = Load([]byte(`network "nosuch" {}`), "o.hcl", Options{Platform: "testplat", Network: "testnet"})
	if diags.HasErrors() || sb.Network.Name != "testnet" {
		t.Errorf("override of a written block: %v, %v", sb.Network.Name, diags)
	}
}

// location renders a diagnostic's position the way the CLI prints it.
func location(d *hcl.Diagnostic) string {
	s := FormatDiagnostic(d)
	return s[:strings.Index(s, ": ")]
}

func TestThreeMistakes(t *testing.T) {
	src := `hostname = "box"
volume "/x" {}
# comment
process {
  args = "not a list"
}
platform "hyperspace" {}
`
	_, diags := Load([]byte(src), "bad.hcl", Options{Network: "testnet"})
	var got []string
	for _, d := range diags {
		got = append(got, FormatDiagnostic(d))
	}
	want := []struct{ loc, text string }{
		{"bad.hcl:2:1", "Unsupported block type"},
		{"bad.hcl:5:11", "Unsuitable value"},
		{"bad.hcl:7:10", `Unknown platform "hyperspace"`},
	}
	joined := strings.Join(got, "\n")
	for _, w := range want {
		found := false
		for _, d := range diags {
			if location(d) == w.loc && strings.Contains(FormatDiagnostic(d), w.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("no diagnostic %q at %s in:\n%s", w.text, w.loc, joined)
		}
	}
	if len(diags) != 3 {
		t.Errorf("got %d diagnostics, want 3:\n%s", len(diags), joined)
	}
	if OnlyMissing(diags) {
		t.Error("OnlyMissing() true for syntax errors")
	}
}

func TestDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown platform", `platform "kvm" {}`, `Unknown platform "kvm"; This build of ward has no platform named "kvm"; it has: testplat.`},
		{"unknown attribute of implementation", "root {\n type = \"memfs\"\n colour = 1\n}", `Unsupported argument`},
		{"bad size", "mount \"/t\" {\n type = \"memfs\"\n size = \"lots\"\n}", `t.hcl:3:9: Invalid value for "size"; "lots" is not a size`},
		{"bad cpus", `cgroup "cpu" { cpus = "-2" }`, `must be positive`},
		{"bad duration", `cgroup "cpu" { 
 cpus = "1"
 period = "soon"
 }`, `"soon" is not a duration`},
		{"missing required", `cgroup "cpu" {}`, `Missing required argument`},
		{"attrs on configless", `platform "testplat" { x = 1 }`, `Unsupported argument`},
		{"relative mount", `mount "tmp" { type = "memfs" }`, `"tmp" is not a clean absolute path`},
		{"unclean mount", `mount "/a/../b" { type = "memfs" }`, `not a clean absolute path`},
		{"mount root", `mount "/" { type = "memfs" }`, `root block`},
		{"duplicate mount", "mount \"/a\" { type = \"memfs\" }\nmount \"/a\" { type = \"memfs\" }", `Duplicate mount`},
		{"mount without type", `mount "/a" { size = "1M" }`, `Missing required argument`},
		{"duplicate platform", "platform \"testplat\" {}\nplatform \"testplat\" {}", `Duplicate platform block`},
		{"duplicate cgroup", "cgroup \"cpu\" { cpus = \"1\" }\ncgroup \"cpu\" { cpus = \"1\" }", `Duplicate cgroup block`},
		{"bad hostname", `hostname = "a b"`, `Invalid hostname`},
		{"plugin kind", `plugin "p" {
 kind = "gpu"
 command = "/x"
}`, `t.hcl:2:9: Invalid plugin kind`},
		{"plugin platform", `plugin "p" {
 kind = "platform"
 command = "/x"
}`, `cannot be external plugins`},
		{"plugin sha", `plugin "p" {
 kind = "fs"
 command = "/x"
 sha256 = "abc"
}`, `64 hexadecimal digits`},
		{"plugin shadows builtin", `plugin "memfs" {
 kind = "fs"
 command = "/x"
}
mount "/m" { type = "memfs" }`, `Ambiguous fs "memfs"`},
		{"duplicate plugin", "plugin \"p\" {\n kind = \"fs\"\n command = \"/x\"\n}\nplugin \"p\" {\n kind = \"fs\"\n command = \"/y\"\n}", `Duplicate plugin`},
		{"rlimit name", `process { 
 rlimit "files" { soft = 1 }
}`, `"files" is not a resource limit`},
		{"rlimit order", `process { 
 rlimit "nofile" { 
 soft = 10
 hard = 5
 }
}`, `soft limit above its hard limit`},
		{"rlimit empty", `process { 
 rlimit "nofile" {}
}`, `needs soft, hard or both`},
		{"rlimit negative", `process { 
 rlimit "nofile" { soft = -1 }
}`, `whole number`},
		{"rlimit fraction", `process { 
 rlimit "nofile" { soft = 1.5 }
}`, `whole number`},
		{"rlimit word", `process { 
 rlimit "nofile" { soft = "lots" }
}`, `whole number`},
		{"relative cwd", `process { cwd = "tmp" }`, `absolute path`},
		{"bad uid", `process { 
 user { uid = -1 }
}`, `out of range`},
		{"bad env", `process { env = { "A=B" = "1" } }`, `not a valid variable name`},
		{"syntax", `platform "x" {`, `Unclosed configuration block`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Load([]byte(tc.src), "t.hcl", Options{Platform: "", Network: "testnet"})
			if !diags.HasErrors() {
				t.Fatalf("no error for:\n%s", tc.src)
			}
			var all []string
			for _, d := range diags {
				all = append(all, FormatDiagnostic(d))
			}
			joined := strings.Join(all, "\n")
			if !strings.Contains(joined, tc.want) {
				t.Errorf("diagnostics:\n%s\nwant one containing %q", joined, tc.want)
			}
			for _, d := range diags {
				if d.Subject == nil && d.Extra == nil {
					t.Errorf("diagnostic without a position: %s", FormatDiagnostic(d))
				}
			}
		})
	}
}

func TestMissingImplementationIsTagged(t *testing.T) {
	_, diags := Load([]byte(`platform "kvm" {}`), "m.hcl", Options{Network: "testnet"})
	if !OnlyMissing(diags) {
		t.Errorf("OnlyMissing() = false for %v", diags)
	}
	var found bool
	for _, d := range diags {
		if m, ok := d.Extra.(MissingImplementation); ok && m.Kind == registry.KindPlatform && m.Name == "kvm" {
			found = true
		}
	}
	if !found {
		t.Errorf("no MissingImplementation{platform kvm} in %v", diags)
	}
}
