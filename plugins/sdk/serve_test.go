package sdk

import (
	"context"
	"encoding/json"
	"testing"
)

type recordingPlugin struct {
	got []string // configs passed to Configure
}

func (p *recordingPlugin) Describe() Description {
	return Description{Kind: KindFS, Name: "rec", Attributes: []Attribute{{Name: "root", Type: TypeString, Required: true}}}
}

func (p *recordingPlugin) Configure(_ context.Context, c json.RawMessage) []Diagnostic {
	p.got = append(p.got, string(c))
	return []Diagnostic{{Attribute: "root", Summary: "from plugin"}}
}

// TestServerChecksShapeFirst checks that the plugin's Configure sees only
// configurations that match its described attributes.
func TestServerChecksShapeFirst(t *testing.T) {
	p := &recordingPlugin{}
	s := server{p: p}
	ctx := context.Background()

	diags, err := s.Configure(ctx, []byte(`{"root": 1}`))
	if err != nil || len(diags) != 1 || diags[0].Summary != "Incorrect attribute value type" {
		t.Fatalf("Configure(bad shape) = %v, %v", diags, err)
	}
	if len(p.got) != 0 {
		t.Fatalf("plugin's Configure saw a badly shaped config: %q", p.got)
	}

	diags, err = s.Configure(ctx, []byte(`{"root": "/"}`))
	if err != nil || len(diags) != 1 || diags[0].Summary != "from plugin" {
		t.Fatalf("Configure(good shape) = %v, %v", diags, err)
	}
	if len(p.got) != 1 || p.got[0] != `{"root": "/"}` {
		t.Fatalf("plugin's Configure saw %q", p.got)
	}
}

func TestServerNullConfigIsEmptyObject(t *testing.T) {
	p := &recordingPlugin{}
	p2 := &optionalPlugin{recordingPlugin: p}
	for _, c := range []string{"", "null", " null\n"} {
		if _, err := (server{p: p2}).Configure(context.Background(), []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	for _, got := range p.got {
		if got != "{}" {
			t.Errorf("plugin's Configure saw %q, want {}", got)
		}
	}
}

// optionalPlugin is recordingPlugin with no required attributes.
type optionalPlugin struct{ *recordingPlugin }

func (optionalPlugin) Describe() Description { return Description{Kind: KindFS, Name: "opt"} }
