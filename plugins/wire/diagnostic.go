package wire

import (
	"errors"
	"fmt"
)

// Diagnostic is one thing wrong with a plugin's configuration, shaped like an
// HCL diagnostic so that ward can point at the attribute in the config file.
type Diagnostic struct {
	// Attribute names the attribute at fault; empty for the block as a whole.
	Attribute string
	// Summary is a short description, e.g. "Invalid value".
	Summary string
	// Detail is the full explanation, a sentence or two.
	Detail string
}

// Error formats d as `attribute "root": summary: detail`.
func (d Diagnostic) Error() string {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	if d.Attribute != "" {
		msg = fmt.Sprintf("attribute %q: %s", d.Attribute, msg)
	}
	return msg
}

// Diagnostics is the result of validating a configuration. Empty means OK.
type Diagnostics []Diagnostic

// Err returns nil for no diagnostics, or an error joining all of them.
func (ds Diagnostics) Err() error {
	if len(ds) == 0 {
		return nil
	}
	errs := make([]error, len(ds))
	for i, d := range ds {
		errs[i] = d
	}
	return errors.Join(errs...)
}
