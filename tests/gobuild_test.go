package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildGoProgram builds a static Go program (CGO_ENABLED=0) from the single
// source file src, in a module of language version goVersion, and returns
// its path. The test is skipped where the go tool is missing (under Bazel,
// which gives tests none) or older than goVersion.
func buildGoProgram(t *testing.T, name, src, goVersion string) string {
	t.Helper()
	if os.Getenv("TEST_SRCDIR") != "" {
		t.Skipf("under Bazel: this test needs the go tool to build its Go program (%s), which Bazel does not provide to tests", name)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go tool is not installed: cannot build the Go program %s", name)
	}
	dir := t.TempDir()
	writeFile(t, dir, "main.go", src, 0o644)
	writeFile(t, dir, "go.mod", "module "+name+"\n\ngo "+goVersion+"\n", 0o644)
	bin := filepath.Join(dir, name)
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		if strings.Contains(string(b), "go.mod requires go >= ") {
			t.Skipf("the go tool is older than go %s:\n%s", goVersion, b)
		}
		t.Fatalf("go build %s: %v\n%s", name, err, b)
	}
	return bin
}
