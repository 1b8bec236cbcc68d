package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	built     = map[string]string{}
)

// binary returns the path of a binary under test: the value of env if set,
// else pkg built with `go build`.
func binary(t *testing.T, env, pkg string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ward-e2e-")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if p, ok := built[pkg]; ok {
		return p
	}
	out := filepath.Join(buildDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s is not set and `go build %s` failed: %v\n%s", env, pkg, err, b)
	}
	built[pkg] = out
	return out
}

func wardBinary(t *testing.T) string {
	return binary(t, "WARD_BINARY", "./cmd/ward")
}

func examplePlugin(t *testing.T) string {
	return binary(t, "WARD_EXAMPLE_PLUGIN", "./plugins/examples/echofs")
}

// result is what a finished ward run left behind.
type result struct {
	status         int
	stdout, stderr string
}

// ward runs the ward binary with args.
func ward(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(wardBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	st := 0
	if ee, ok := err.(*exec.ExitError); ok {
		st = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ward %v: %v", args, err)
	}
	return result{st, out.String(), errb.String()}
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}
