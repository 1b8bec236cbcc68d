package config

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// FormatDiagnostic renders d as "file:line:col: summary; detail", the form
// compilers use, so editors and CI logs can jump to it.
func FormatDiagnostic(d *hcl.Diagnostic) string {
	var b strings.Builder
	if d.Subject != nil {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	if d.Severity == hcl.DiagWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString("; ")
		b.WriteString(strings.TrimSpace(d.Detail))
	}
	return b.String()
}

// WriteDiagnostics writes each diagnostic on its own line.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(w, FormatDiagnostic(d))
	}
}

// OnlyMissing reports whether every error in diags is a
// MissingImplementation: the config is right, but this build lacks some of
// what it names.
func OnlyMissing(diags hcl.Diagnostics) bool {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if _, ok := d.Extra.(MissingImplementation); !ok {
			return false
		}
	}
	return true
}
