package wire

import (
	"reflect"
	"strings"
	"testing"
)

func TestValidateType(t *testing.T) {
	for _, tc := range []struct {
		typ string
		ok  bool
	}{
		{"string", true},
		{"number", true},
		{"bool", true},
		{"any", true},
		{"list(string)", true},
		{"map(list(number))", true},
		{" set( bool ) ", true},
		{"", false},
		{"str", false},
		{"strings", false},
		{"list", false},
		{"list(string", false},
		{"map(string))", false},
		{"object({a=string})", false},
	} {
		if err := ValidateType(tc.typ); (err == nil) != tc.ok {
			t.Errorf("ValidateType(%q) = %v, want ok=%v", tc.typ, err, tc.ok)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	attrs := []Attribute{
		{Name: "root", Type: "string", Required: true},
		{Name: "max", Type: "number"},
		{Name: "ro", Type: "bool"},
		{Name: "opts", Type: "map(list(string))"},
	}
	type diag struct{ attr, summary string }
	for _, tc := range []struct {
		name   string
		config string
		want   []diag
	}{
		{"ok", `{"root": "/srv", "max": 3, "ro": true, "opts": {"a": ["x"]}}`, nil},
		{"optional null", `{"root": "/srv", "max": null}`, nil},
		{"empty", ``, []diag{{"root", "Missing required argument"}}},
		{"null", `null`, []diag{{"root", "Missing required argument"}}},
		{"required null", `{"root": null}`, []diag{{"root", "Missing required argument"}}},
		{"not an object", `[1]`, []diag{{"", "Invalid configuration"}}},
		{"wrong types", `{"root": 1, "max": "3", "ro": "yes", "opts": {"a": [1]}}`, []diag{
			{"root", "Incorrect attribute value type"},
			{"max", "Incorrect attribute value type"},
			{"ro", "Incorrect attribute value type"},
			{"opts", "Incorrect attribute value type"},
		}},
		{"unknown sorted", `{"root": "/", "zz": 1, "aa": 2}`, []diag{
			{"aa", "Unsupported argument"},
			{"zz", "Unsupported argument"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []diag
			for _, d := range CheckConfig(attrs, []byte(tc.config)) {
				got = append(got, diag{d.Attribute, d.Summary})
				if d.Detail == "" {
					t.Errorf("diagnostic %+v has no detail", d)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CheckConfig(%s) = %v, want %v", tc.config, got, tc.want)
			}
		})
	}
}

func TestDescriptionValidate(t *testing.T) {
	good := Description{Kind: KindFS, Name: "x", Attributes: []Attribute{{Name: "a", Type: "string"}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	bad := Description{Kind: "disk", Attributes: []Attribute{{Name: "a", Type: "str"}, {Name: "a", Type: "string"}, {Type: "bool"}}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate(bad) = nil")
	}
	for _, want := range []string{`unknown plugin kind "disk"`, "name is empty", `"a" is described twice`, `invalid type "str"`, "attribute 2 has no name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(bad) = %q, missing %q", err, want)
		}
	}
}
