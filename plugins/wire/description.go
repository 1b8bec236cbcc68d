package wire

import (
	"errors"
	"fmt"
)

// Description is what a plugin reports about itself: the subsystem kind it
// implements, its implementation name and version, and the schema of its
// configuration block.
type Description struct {
	// Kind is the subsystem kind the plugin implements.
	Kind Kind
	// Name is the implementation's name, e.g. "echofs". It is not the name
	// of the HCL plugin block, which the user chooses.
	Name string
	// Version is the implementation's own version string, free form.
	Version string
	// Attributes describes the configuration attributes the plugin accepts.
	Attributes []Attribute
}

// Attribute describes one configuration attribute of a plugin.
type Attribute struct {
	// Name is the attribute's name in HCL.
	Name string
	// Type is an HCL type constraint: "string", "number", "bool", "any",
	// "list(T)", "set(T)" or "map(T)". See ValidateType.
	Type string
	// Required says whether the attribute must be set.
	Required bool
	// Doc is a one-line description.
	Doc string
}

// Validate reports everything wrong with d: an unknown kind, an empty name,
// attributes without names, duplicated or with invalid types.
func (d Description) Validate() error {
	var errs []error
	if !d.Kind.Valid() {
		_, err := ParseKind(string(d.Kind))
		errs = append(errs, err)
	}
	if d.Name == "" {
		errs = append(errs, errors.New("implementation name is empty"))
	}
	seen := make(map[string]bool, len(d.Attributes))
	for i, a := range d.Attributes {
		switch {
		case a.Name == "":
			errs = append(errs, fmt.Errorf("attribute %d has no name", i))
		case seen[a.Name]:
			errs = append(errs, fmt.Errorf("attribute %q is described twice", a.Name))
		}
		seen[a.Name] = true
		if err := ValidateType(a.Type); err != nil {
			errs = append(errs, fmt.Errorf("attribute %q: %w", a.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Attribute returns the attribute named name and whether d has it.
func (d Description) Attribute(name string) (Attribute, bool) {
	for _, a := range d.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}
