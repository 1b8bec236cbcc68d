package host

import (
	"errors"
	"fmt"
)

// Reasons a plugin fails. Every error from this package is an *Error that
// matches exactly one of these with errors.Is.
var (
	ErrInvalidSpec        = errors.New("invalid plugin block")
	ErrNotFound           = errors.New("plugin binary not found")
	ErrNotExecutable      = errors.New("plugin binary is not executable")
	ErrChecksum           = errors.New("plugin binary checksum mismatch")
	ErrStart              = errors.New("plugin failed to start")
	ErrExited             = errors.New("plugin exited during startup")
	ErrHandshake          = errors.New("plugin did not answer with ward's go-plugin handshake")
	ErrStartTimeout       = errors.New("plugin did not complete the handshake in time")
	ErrProtocolVersion    = errors.New("plugin protocol version mismatch")
	ErrInvalidDescription = errors.New("plugin described itself invalidly")
	ErrKindMismatch       = errors.New("plugin kind mismatch")
	ErrCall               = errors.New("plugin call failed")
)

// Error is a failure of one plugin: which one, why (one of the Err values),
// and the details.
type Error struct {
	// Plugin is the name of the plugin block.
	Plugin string
	// Reason is one of the Err values of this package.
	Reason error
	// Err is the detail: what was found, what to do about it.
	Err error
}

// Error formats e as `plugin "name": reason: detail`.
func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("plugin %q: %v", e.Plugin, e.Reason)
	}
	return fmt.Sprintf("plugin %q: %v: %v", e.Plugin, e.Reason, e.Err)
}

// Unwrap returns the reason and the detail, so errors.Is matches both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

// fail builds an *Error for plugin name; format and args (which may use %w)
// give the detail.
func fail(name string, reason error, format string, args ...any) *Error {
	return &Error{Plugin: name, Reason: reason, Err: fmt.Errorf(format, args...)}
}
