package host

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/plugins/sdk"
)

// testPluginEnv makes the test binary itself a misbehaving plugin: when it
// is set, TestMain serves the plugin it names instead of running tests.
// This needs no `go build`, so it works under Bazel too.
const testPluginEnv = "WARD_HOST_TEST_PLUGIN"

// serveTestPlugin serves the test plugin named by $WARD_HOST_TEST_PLUGIN
// and reports whether it did.
func serveTestPlugin() bool {
	mode := os.Getenv(testPluginEnv)
	if mode == "" {
		return false
	}
	sdk.Serve(testPlugin{mode: mode})
	return true
}

type testPlugin struct {
	mode string
}

func (p testPlugin) Describe() sdk.Description {
	d := sdk.Description{
		Kind: sdk.KindNet, Name: "test-" + p.mode, Version: "0",
		Attributes: []sdk.Attribute{{Name: "x", Type: sdk.TypeString}},
	}
	if p.mode == "bad-describe" {
		d.Kind = "disk"
	}
	return d
}

func (p testPlugin) Configure(ctx context.Context, _ json.RawMessage) []sdk.Diagnostic {
	switch p.mode {
	case "hang-configure":
		select {}
	case "panic-configure":
		panic("test plugin: configure exploded")
	case "log-levels":
		l := sdk.Logger()
		l.Debug("a debug line")
		l.Warn("a warning", "disk", "full")
		l.Error("an error")
		os.Stdout.WriteString("plain stdout\n")
		os.Stderr.WriteString("plain stderr\n")
		time.Sleep(100 * time.Millisecond) // let the stdio stream deliver
	}
	return nil
}

// launchTestPlugin launches the test binary as plugin mode.
func launchTestPlugin(t *testing.T, mode string, spec Spec) (*Plugin, *logBuffer, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(testPluginEnv, mode)
	spec.Name, spec.Kind, spec.Command = "test", "net", self
	logger, log := testLogger(t)
	p, err := Launch(context.Background(), spec, logger)
	return p, log, err
}

func TestInvalidDescription(t *testing.T) {
	_, _, err := launchTestPlugin(t, "bad-describe", Spec{})
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), `invalid Describe result: unknown plugin kind "disk"`) {
		t.Fatalf("Launch = %v, want ErrExited quoting the SDK's complaint", err)
	}
}

// TestHungCall checks that a call to a plugin that never answers is bounded
// by the CallTimeout, and that Close still ends the plugin in bounded time.
func TestHungCall(t *testing.T) {
	p, _, err := launchTestPlugin(t, "hang-configure", Spec{CallTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	start := time.Now()
	_, err = p.Configure(context.Background(), map[string]any{"x": "y"})
	if !errors.Is(err, ErrCall) || !strings.Contains(err.Error(), "no answer within 500ms") {
		t.Errorf("Configure = %v, want ErrCall with the timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Configure took %v", d)
	}
	start = time.Now()
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > closeGrace+closeKill {
		t.Errorf("Close took %v", d)
	}
	requireGone(t, pid)
}

// TestCrashedPlugin checks that a plugin that dies in a call costs an
// error naming it, and that its panic reaches ward's log.
func TestCrashedPlugin(t *testing.T) {
	p, log, err := launchTestPlugin(t, "panic-configure", Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Configure(context.Background(), nil)
	if !errors.Is(err, ErrCall) || !strings.Contains(err.Error(), `plugin "test"`) {
		t.Errorf("Configure = %v, want ErrCall naming the plugin", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if !strings.Contains(log.String(), "configure exploded") {
		t.Errorf("the panic is not in ward's log")
	}
}

// TestPluginLogs checks that what a plugin logs or prints reaches ward's
// log at its level, prefixed with the plugin's name.
func TestPluginLogs(t *testing.T) {
	p, log, err := launchTestPlugin(t, "log-levels", Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Configure(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	logs := log.String()
	for _, want := range []string{
		`level=DEBUG msg="test: a debug line" plugin=test`,
		`level=WARN msg="test: a warning" plugin=test`,
		`disk=full`,
		`level=ERROR msg="test: an error" plugin=test`,
		`level=INFO msg="test: plain stdout" plugin=test`,
		`level=INFO msg="test: plain stderr" plugin=test`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("ward's log lacks %s", want)
		}
	}
}
