package wire

import (
	"encoding/json"
	"fmt"
	"strings"
)

// attrType is a parsed HCL type constraint: a primitive ("string",
// "number", "bool", "any") or a collection ("list", "set", "map") of elem.
type attrType struct {
	name string
	elem *attrType
}

// ValidateType reports whether s is a type constraint that plugins may use
// for an attribute: "string", "number", "bool", "any", or "list(T)",
// "set(T)", "map(T)" of one of those, nested as deep as needed. These are
// HCL's type constraint expressions, so ward can hand s to hcl's typeexpr.
func ValidateType(s string) error {
	_, err := parseType(s)
	return err
}

func parseType(s string) (*attrType, error) {
	t, rest, err := parseTypePrefix(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("invalid type %q: %w", s, err)
	}
	if rest != "" {
		return nil, fmt.Errorf("invalid type %q: unexpected %q", s, rest)
	}
	return t, nil
}

func parseTypePrefix(s string) (*attrType, string, error) {
	for _, p := range []string{"string", "number", "bool", "any"} {
		if rest, ok := strings.CutPrefix(s, p); ok && !startsIdent(rest) {
			return &attrType{name: p}, strings.TrimSpace(rest), nil
		}
	}
	for _, c := range []string{"list", "set", "map"} {
		rest, ok := strings.CutPrefix(s, c)
		if !ok {
			continue
		}
		rest, ok = strings.CutPrefix(strings.TrimSpace(rest), "(")
		if !ok {
			return nil, "", fmt.Errorf("%s needs an element type, as in %s(string)", c, c)
		}
		elem, rest, err := parseTypePrefix(strings.TrimSpace(rest))
		if err != nil {
			return nil, "", err
		}
		rest, ok = strings.CutPrefix(rest, ")")
		if !ok {
			return nil, "", fmt.Errorf("missing ) after %s element type", c)
		}
		return &attrType{name: c, elem: elem}, strings.TrimSpace(rest), nil
	}
	return nil, "", fmt.Errorf("want string, number, bool, any, list(T), set(T) or map(T)")
}

func startsIdent(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// String returns t as a type constraint expression.
func (t *attrType) String() string {
	if t.elem == nil {
		return t.name
	}
	return t.name + "(" + t.elem.String() + ")"
}

// check reports whether v, decoded from JSON with UseNumber, conforms to t.
func (t *attrType) check(v any) error {
	if v == nil {
		return nil // null is "unset"; requiredness is checked separately
	}
	switch t.name {
	case "any":
		return nil
	case "string":
		if _, ok := v.(string); ok {
			return nil
		}
	case "number":
		if _, ok := v.(json.Number); ok {
			return nil
		}
	case "bool":
		if _, ok := v.(bool); ok {
			return nil
		}
	case "list", "set":
		if vs, ok := v.([]any); ok {
			for i, e := range vs {
				if err := t.elem.check(e); err != nil {
					return fmt.Errorf("element %d: %w", i, err)
				}
			}
			return nil
		}
	case "map":
		if vs, ok := v.(map[string]any); ok {
			for k, e := range vs {
				if err := t.elem.check(e); err != nil {
					return fmt.Errorf("element %q: %w", k, err)
				}
			}
			return nil
		}
	}
	return fmt.Errorf("%s required", t)
}
