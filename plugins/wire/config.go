package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// CheckConfig checks a configuration, a JSON object of attribute name to
// value, against the attributes a plugin described: every key is a known
// attribute, every required attribute is set (not null), every value has the
// attribute's type. The diagnostics use HCL's wording. An empty or "null"
// config is an empty object.
//
// The SDK runs CheckConfig before a plugin's own Configure, so a plugin only
// validates meaning, never shape.
func CheckConfig(attrs []Attribute, config []byte) Diagnostics {
	values := map[string]any{}
	if trimmed := bytes.TrimSpace(config); len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&values); err != nil {
			return Diagnostics{{
				Summary: "Invalid configuration",
				Detail:  fmt.Sprintf("The configuration is not a JSON object of attributes: %v.", err),
			}}
		}
	}

	var diags Diagnostics
	known := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		known[a.Name] = true
		v, set := values[a.Name]
		if !set || v == nil {
			if a.Required {
				diags = append(diags, Diagnostic{
					Attribute: a.Name,
					Summary:   "Missing required argument",
					Detail:    fmt.Sprintf("The argument %q is required, but no definition was found.", a.Name),
				})
			}
			continue
		}
		t, err := parseType(a.Type)
		if err != nil {
			diags = append(diags, Diagnostic{
				Attribute: a.Name,
				Summary:   "Invalid attribute schema",
				Detail:    fmt.Sprintf("The plugin describes attribute %q with %v; report this to the plugin's author.", a.Name, err),
			})
			continue
		}
		if err := t.check(v); err != nil {
			diags = append(diags, Diagnostic{
				Attribute: a.Name,
				Summary:   "Incorrect attribute value type",
				Detail:    fmt.Sprintf("Inappropriate value for attribute %q: %v.", a.Name, err),
			})
		}
	}

	var unknown []string
	for name := range values {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		diags = append(diags, Diagnostic{
			Attribute: name,
			Summary:   "Unsupported argument",
			Detail:    fmt.Sprintf("An argument named %q is not expected here.", name),
		})
	}
	return diags
}
