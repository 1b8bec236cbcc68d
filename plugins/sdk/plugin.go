package sdk

import (
	"context"
	"encoding/json"

	"github.com/seed-a9fb2a21/ward/plugins/wire"
)

// Plugin is what an author implements.
type Plugin interface {
	// Describe reports the subsystem kind the plugin implements, its
	// implementation name and version, and its configuration attributes.
	// It must return the same value every time.
	Describe() Description

	// Configure validates the configuration of the HCL block that uses the
	// plugin and returns what is wrong with it, or nothing when it is OK.
	// config is a JSON object of attribute name to value; by the time
	// Configure is called the SDK has already checked it against the
	// described attributes (no unknown names, required ones set, values of
	// the right type), so Configure checks only meaning.
	Configure(ctx context.Context, config json.RawMessage) []Diagnostic
}

// The protocol's shared types, under the names authors use.
type (
	// Description is what Describe returns; see wire.Description.
	Description = wire.Description
	// Attribute describes one configuration attribute; see wire.Attribute.
	Attribute = wire.Attribute
	// Diagnostic is one problem with a configuration; see wire.Diagnostic.
	Diagnostic = wire.Diagnostic
	// Kind is a subsystem kind; see wire.Kind.
	Kind = wire.Kind
)

// Subsystem kinds, for Description.Kind.
const (
	KindPlatform = wire.KindPlatform
	KindFS       = wire.KindFS
	KindNet      = wire.KindNet
	KindCgroup   = wire.KindCgroup
)

// Attribute types, for Attribute.Type. Collections nest: "list(map(string))".
const (
	TypeString     = "string"
	TypeNumber     = "number"
	TypeBool       = "bool"
	TypeAny        = "any"
	TypeListString = "list(string)"
	TypeMapString  = "map(string)"
)
