package host

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
)

// LevelTrace is the slog level that hclog's Trace maps to, below Debug.
const LevelTrace = slog.LevelDebug - 4

// hcLogger is an hclog.Logger that writes to an *slog.Logger: go-plugin
// logs through it, both its own lines and the lines it reads from the
// plugin's stderr. Every message is prefixed with the plugin's block name.
type hcLogger struct {
	l       *slog.Logger // already carries plugin=<name>
	prefix  string       // "<name>: "
	name    string       // hclog name, e.g. "ward-echofs" for stderr lines
	implied []any
}

// newHCLogger returns the hclog.Logger through which go-plugin reports on
// the plugin called name.
func newHCLogger(l *slog.Logger, name string) *hcLogger {
	return &hcLogger{l: l.With("plugin", name), prefix: name + ": "}
}

func slogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return LevelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func (h *hcLogger) Log(level hclog.Level, msg string, args ...any) {
	lvl := slogLevel(level)
	ctx := context.Background()
	if !h.l.Enabled(ctx, lvl) {
		return
	}
	all := make([]any, 0, len(h.implied)+len(args)+2)
	if h.name != "" {
		all = append(all, "logger", h.name)
	}
	all = append(all, h.implied...)
	all = appendArgs(all, args)
	h.l.Log(ctx, lvl, h.prefix+msg, all...)
}

// appendArgs appends hclog's key/value args to dst, renaming go-plugin's
// "plugin" key (the binary's path), which would clash with ours, and
// dropping the "timestamp" go-plugin copies from the plugin's JSON line
// (the slog record has its own time).
func appendArgs(dst, args []any) []any {
	for i := 0; i < len(args); i += 2 {
		if i+1 == len(args) {
			return append(dst, args[i])
		}
		switch args[i] {
		case "timestamp":
			continue
		case "plugin":
			dst = append(dst, "command", args[i+1])
		default:
			dst = append(dst, args[i], args[i+1])
		}
	}
	return dst
}

func (h *hcLogger) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hcLogger) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hcLogger) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hcLogger) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hcLogger) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *hcLogger) enabled(level hclog.Level) bool {
	return h.l.Enabled(context.Background(), slogLevel(level))
}

func (h *hcLogger) IsTrace() bool { return h.enabled(hclog.Trace) }
func (h *hcLogger) IsDebug() bool { return h.enabled(hclog.Debug) }
func (h *hcLogger) IsInfo() bool  { return h.enabled(hclog.Info) }
func (h *hcLogger) IsWarn() bool  { return h.enabled(hclog.Warn) }
func (h *hcLogger) IsError() bool { return h.enabled(hclog.Error) }

func (h *hcLogger) ImpliedArgs() []any { return h.implied }

func (h *hcLogger) With(args ...any) hclog.Logger {
	c := *h
	c.implied = append(append([]any(nil), h.implied...), args...)
	return &c
}

func (h *hcLogger) Name() string { return h.name }

func (h *hcLogger) Named(name string) hclog.Logger {
	if h.name != "" {
		name = h.name + "." + name
	}
	return h.ResetNamed(name)
}

func (h *hcLogger) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

// SetLevel does nothing: the slog handler decides what is shown.
func (h *hcLogger) SetLevel(hclog.Level) {}

// GetLevel returns the lowest level the slog handler shows, so that
// go-plugin does not parse plugin lines that would be dropped anyway.
func (h *hcLogger) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if h.enabled(l) {
			return l
		}
	}
	return hclog.Off
}

func (h *hcLogger) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(nil), "", 0)
}

func (h *hcLogger) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &lineWriter{log: h, stream: "log"}
}

// lineWriter logs each line written to it at info level. It receives what
// the plugin writes to its stdout and stderr after the handshake (go-plugin
// streams them over gRPC), which is not hclog JSON.
type lineWriter struct {
	log    hclog.Logger
	stream string

	mu  sync.Mutex
	buf []byte // an incomplete last line
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if line := bytes.TrimRight(w.buf[:i], "\r"); len(line) > 0 {
			w.log.Info(string(line), "stream", w.stream)
		}
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a very long line: log what there is
		w.log.Info(string(w.buf), "stream", w.stream)
		w.buf = nil
	}
	return len(p), nil
}
