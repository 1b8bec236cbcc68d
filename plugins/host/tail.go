package host

import (
	"strings"
	"sync"
)

// tail keeps the last max bytes written to it: the end of the plugin's
// stderr, quoted in the error when the plugin dies during startup.
type tail struct {
	max int

	mu  sync.Mutex
	buf []byte
}

func newTail(max int) *tail {
	return &tail{max: max}
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns the kept text, trimmed, with a marker when it was cut.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if len(t.buf) >= t.max {
		s = "…" + s
	}
	return s
}
