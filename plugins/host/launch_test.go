package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-a9fb2a21/ward/plugins/wire"
)

// failureBound is how long any failing Launch may take in these tests.
const failureBound = 5 * time.Second

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestRoundTrip launches the example plugin with its checksum, describes
// and configures it, closes it and checks that its process is gone.
func TestRoundTrip(t *testing.T) {
	bin := examplePlugin(t)
	logger, log := testLogger(t)
	ctx := context.Background()

	p, err := Launch(ctx, Spec{Name: "myfs", Kind: "fs", Command: bin, SHA256: sha256File(t, bin)}, logger)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	defer p.Close()
	pid := p.Pid()
	if pid <= 0 {
		t.Fatalf("Pid() = %d", pid)
	}

	d := p.Description()
	if d.Kind != wire.KindFS || d.Name != "echofs" || d.Version == "" {
		t.Errorf("Description() = %+v, want kind fs, name echofs, a version", d)
	}
	if a, ok := d.Attribute("root"); !ok || a.Type != "string" || !a.Required || a.Doc == "" {
		t.Errorf("attribute root = %+v, %v", a, ok)
	}
	if again, err := p.Describe(ctx); err != nil || again.Name != d.Name {
		t.Errorf("Describe() = %+v, %v", again, err)
	}

	for _, tc := range []struct {
		name   string
		config map[string]any
		want   []string // "attribute: summary"
	}{
		{"valid", map[string]any{"root": "/srv/data", "max_files": 10}, nil},
		{"valid minimal", map[string]any{"root": "/"}, nil},
		{"invalid values", map[string]any{"root": "srv", "max_files": 2.5}, []string{
			"root: Invalid value", "max_files: Invalid value",
		}},
		{"invalid shape", map[string]any{"max_files": "ten", "colour": "blue"}, []string{
			"root: Missing required argument", "max_files: Incorrect attribute value type", "colour: Unsupported argument",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diags, err := p.Configure(ctx, tc.config)
			if err != nil {
				t.Fatalf("Configure: %v", err)
			}
			var got []string
			for _, d := range diags {
				got = append(got, d.Attribute+": "+d.Summary)
			}
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Errorf("Configure(%v) = %q, want %q", tc.config, got, tc.want)
			}
			if (diags.Err() == nil) != (len(tc.want) == 0) {
				t.Errorf("Diagnostics.Err() = %v", diags.Err())
			}
		})
	}
	if diags, err := p.ConfigureJSON(ctx, []byte(`{"root": "/x"}`)); err != nil || len(diags) != 0 {
		t.Errorf("ConfigureJSON = %v, %v", diags, err)
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !p.Exited() {
		t.Error("Exited() = false after Close")
	}
	requireGone(t, pid)
	if _, err := p.Describe(ctx); !errors.Is(err, ErrCall) {
		t.Errorf("Describe after Close = %v, want ErrCall", err)
	}

	// The plugin's own log line (hclog JSON on its stderr) reached ward's
	// log, prefixed with the block name and at its level.
	logs := log.String()
	if !strings.Contains(logs, `level=INFO msg="myfs: configured"`) || !strings.Contains(logs, "plugin=myfs") {
		t.Errorf("ward's log lacks the plugin's INFO line \"myfs: configured\":\n%s", logs)
	}
}

func TestProbe(t *testing.T) {
	logger, _ := testLogger(t)
	d, err := Probe(context.Background(), Spec{Name: "myfs", Kind: "fs", Command: examplePlugin(t)}, logger)
	if err != nil || d.Name != "echofs" {
		t.Fatalf("Probe = %+v, %v", d, err)
	}
}

// TestLaunchFailures starts plugins that are wrong in each way ward must
// report, and checks the reason, the message, the time taken, and that no
// process is left behind.
func TestLaunchFailures(t *testing.T) {
	type setup func(t *testing.T) Spec
	example := func(t *testing.T) Spec {
		return Spec{Name: "bad", Kind: "fs", Command: examplePlugin(t)}
	}
	withScript := func(body string) setup {
		return func(t *testing.T) Spec {
			return Spec{Name: "bad", Kind: "fs", Command: script(t, body), StartTimeout: time.Second}
		}
	}
	for _, tc := range []struct {
		name   string
		setup  setup
		reason error
		want   []string // substrings of the message
	}{
		{
			name: "missing binary",
			setup: func(t *testing.T) Spec {
				return Spec{Name: "bad", Kind: "fs", Command: filepath.Join(t.TempDir(), "ward-nope")}
			},
			reason: ErrNotFound,
			want:   []string{`plugin "bad"`, "ward-nope does not exist"},
		},
		{
			name:   "missing from PATH",
			setup:  func(t *testing.T) Spec { return Spec{Name: "bad", Kind: "fs", Command: "ward-no-such-plugin"} },
			reason: ErrNotFound,
			want:   []string{`"ward-no-such-plugin" is not in $PATH`},
		},
		{
			name: "not executable",
			setup: func(t *testing.T) Spec {
				path := filepath.Join(t.TempDir(), "plugin")
				if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return Spec{Name: "bad", Kind: "fs", Command: path}
			},
			reason: ErrNotExecutable,
			want:   []string{"no execute permission"},
		},
		{
			name: "directory",
			setup: func(t *testing.T) Spec {
				return Spec{Name: "bad", Kind: "fs", Command: t.TempDir()}
			},
			reason: ErrNotExecutable,
			want:   []string{"is a directory"},
		},
		{
			name: "not a program",
			setup: func(t *testing.T) Spec {
				path := filepath.Join(t.TempDir(), "plugin")
				if err := os.WriteFile(path, []byte("echo no shebang line\n"), 0o755); err != nil {
					t.Fatal(err)
				}
				return Spec{Name: "bad", Kind: "fs", Command: path}
			},
			reason: ErrNotExecutable,
			want:   []string{"not a program this machine can run"},
		},
		{
			name: "wrong checksum",
			setup: func(t *testing.T) Spec {
				s := example(t)
				s.SHA256 = strings.Repeat("ab", 32)
				return s
			},
			reason: ErrChecksum,
			want:   []string{"has sha256 ", `config says sha256 = "abab`},
		},
		{
			name: "malformed checksum",
			setup: func(t *testing.T) Spec {
				s := example(t)
				s.SHA256 = "xyz"
				return s
			},
			reason: ErrInvalidSpec,
			want:   []string{"not 64 hexadecimal digits"},
		},
		{
			name:   "unknown kind in spec",
			setup:  func(t *testing.T) Spec { s := example(t); s.Kind = "disk"; return s },
			reason: ErrInvalidSpec,
			want:   []string{`unknown plugin kind "disk"`},
		},
		{
			name:   "exits at once",
			setup:  withScript(`echo "echofs: cannot open /dev/fuse" >&2; exit 1`),
			reason: ErrExited,
			want:   []string{"exited before completing the handshake", "cannot open /dev/fuse"},
		},
		{
			name:   "prints garbage",
			setup:  withScript(`echo $$ > $PIDFILE; echo "hello, I am not a plugin"; exec sleep 30`),
			reason: ErrHandshake,
			want:   []string{`printed "hello, I am not a plugin" on stdout instead of the go-plugin handshake line`},
		},
		{
			name:   "hangs",
			setup:  withScript(`echo $$ > $PIDFILE; exec sleep 30`),
			reason: ErrStartTimeout,
			want:   []string{"printed no handshake line within 1s"},
		},
		{
			name:   "hangs with a child",
			setup:  withScript(`sleep 30 & echo $! >> $PIDFILE; echo $$ >> $PIDFILE; exec sleep 31`),
			reason: ErrStartTimeout,
			want:   []string{"printed no handshake line"},
		},
		{
			name:   "newer protocol",
			setup:  withScript(`echo $$ > $PIDFILE; echo "1|2|unix|/nonexistent/ward.sock|grpc"; exec sleep 30`),
			reason: ErrProtocolVersion,
			want:   []string{"speaks ward plugin protocol 2, this ward speaks 1: upgrade ward"},
		},
		{
			name:   "older protocol",
			setup:  withScript(`echo $$ > $PIDFILE; echo "1|0|unix|/nonexistent/ward.sock|grpc"; exec sleep 30`),
			reason: ErrProtocolVersion,
			want:   []string{"speaks ward plugin protocol 0, this ward speaks 1: upgrade the plugin"},
		},
		{
			name:   "net/rpc",
			setup:  withScript(`echo $$ > $PIDFILE; echo "1|1|unix|/nonexistent/ward.sock|netrpc"; exec sleep 30`),
			reason: ErrHandshake,
			want:   []string{"net/rpc"},
		},
		{
			name:   "wrong kind",
			setup:  func(t *testing.T) Spec { s := example(t); s.Kind = "net"; return s },
			reason: ErrKindMismatch,
			want:   []string{`the config says kind = "net"`, `(echofs 0.1.0) implements "fs"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.setup(t)
			logger, _ := testLogger(t)
			start := time.Now()
			p, err := Launch(context.Background(), spec, logger)
			elapsed := time.Since(start)
			if err == nil {
				p.Close()
				t.Fatal("Launch succeeded")
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, tc.reason) {
				t.Errorf("error does not match %v", tc.reason)
			}
			var perr *Error
			if !errors.As(err, &perr) || perr.Plugin != "bad" {
				t.Errorf("error is not an *Error naming plugin \"bad\": %#v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q", w)
				}
			}
			if elapsed > failureBound {
				t.Errorf("Launch took %v, want under %v", elapsed, failureBound)
			}
			if strings.HasSuffix(spec.Command, ".sh") {
				for _, pid := range readPids(t, spec.Command) {
					requireGone(t, pid)
				}
			}
		})
	}
}

func TestLaunchCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Launch(ctx, Spec{Name: "myfs", Kind: "fs", Command: examplePlugin(t)}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Launch with a canceled context = %v, want context.Canceled", err)
	}
}
