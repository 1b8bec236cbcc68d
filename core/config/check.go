package config

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Checker is implemented by a subsystem's config struct (the pointer type
// its Factory.Config names) whose values have rules beyond their types and
// units: a memory limit below what a sandbox can run in, a count that must
// be positive. The loader calls Check after decoding the block, so that
// `ward validate` and `ward run` report the mistake as a diagnostic at its
// line and column, with every other mistake in the file, before anything
// starts. An *AttrError points at the attribute at fault; any other error
// points at the block. The constructor may rely on a config that passed
// Check.
type Checker interface {
	Check() error
}

// AttrError is a Checker's error about one attribute.
type AttrError struct {
	// Attr is the attribute's name in the block.
	Attr string
	Err  error
}

func (e *AttrError) Error() string { return e.Attr + ": " + e.Err.Error() }
func (e *AttrError) Unwrap() error { return e.Err }

// AttrErrorf returns an *AttrError for attr.
func AttrErrorf(attr, format string, args ...any) error {
	return &AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
}

// checkConfig runs cfg's Check, if it has one, and returns its error as a
// diagnostic at the attribute it names (or else at the block, def).
func checkConfig(cfg any, content *hcl.BodyContent, def hcl.Range, kind, name string) hcl.Diagnostics {
	c, ok := cfg.(Checker)
	if !ok {
		return nil
	}
	err := c.Check()
	if err == nil {
		return nil
	}
	subject := def
	var ae *AttrError
	if errors.As(err, &ae) {
		if a, ok := content.Attributes[ae.Attr]; ok {
			subject = a.Expr.Range()
		}
		err = ae
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s %q block", kind, name),
		Detail:   err.Error() + ".",
		Subject:  subject.Ptr(),
	}}
}
