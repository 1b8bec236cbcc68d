package config

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// checkUnits parses every Size, CPUs and Duration field of the decoded
// config struct cfg and reports a diagnostic at the attribute for each that
// does not parse.
func checkUnits(cfg any, content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("hcl"), ",")
		attr, ok := content.Attributes[name]
		if name == "" || !ok {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		var err error
		switch x := fv.Interface().(type) {
		case Size:
			_, err = x.Bytes()
		case CPUs:
			_, err = x.Milli()
		case Duration:
			_, err = x.Duration()
		default:
			continue
		}
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid value for %q", name),
				Detail:   err.Error() + ".",
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}
	return diags
}
