package host

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// examplePluginEnv names the example plugin binary (plugins/examples/echofs)
// for the tests. Bazel sets it, since a Bazel test cannot run `go build`;
// under `go test` it may be unset and the tests build the plugin.
const examplePluginEnv = "WARD_EXAMPLE_PLUGIN"

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	if serveTestPlugin() {
		return
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// examplePlugin returns the path of the echofs example plugin: from
// $WARD_EXAMPLE_PLUGIN, or built once per test binary with `go build`.
func examplePlugin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(examplePluginEnv); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("$%s: %v", examplePluginEnv, err)
		}
		return abs
	}
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("no go tool to build the example plugin (set $%s): %w", examplePluginEnv, err)
			return
		}
		if buildDir, err = os.MkdirTemp("", "ward-plugin-test-"); err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(buildDir, "ward-echofs")
		cmd := exec.Command(goTool, "build", "-o", buildPath, "github.com/seed-a9fb2a21/ward/plugins/examples/echofs")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build echofs: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// script writes a shell script with body into a fresh directory and
// returns its path. Scripts that stay running write their pid ($$) to
// the file pidFile(path) first, so the test can check that it is gone.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plugin.sh")
	body = strings.ReplaceAll(body, "$PIDFILE", pidFile(path))
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func pidFile(script string) string {
	return filepath.Join(filepath.Dir(script), "pid")
}

// readPids returns the pids written to the script's pid file, one a line.
func readPids(t *testing.T, script string) []int {
	t.Helper()
	data, err := os.ReadFile(pidFile(script))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("pid file: %v", err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// requireGone fails unless process pid has exited: it no longer exists,
// or it is a zombie (an orphaned child of the plugin waits for init to reap
// it, which may take a while in a container).
func requireGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := unix.Kill(pid, 0)
		if errors.Is(err, unix.ESRCH) || isZombie(pid) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still exists after the plugin was closed (kill -0: %v)", pid, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// isZombie reports whether pid is a process that has exited but has not
// been reaped.
func isZombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// logBuffer collects ward's log for a test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger returns a logger that keeps everything down to trace level,
// and shows it in the test output if the test fails.
func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("WARD_TEST_SHOW_LOG") != "" {
			t.Logf("ward log:\n%s", b)
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: LevelTrace})), b
}
