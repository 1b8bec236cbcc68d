// Package registry holds the named factories of Ward's subsystems.
//
// Every implementation of a subsystem (a platform, a filesystem, a network
// stack, a cgroup controller) registers itself from an init function, the way
// database/sql drivers do:
//
//	func init() {
//		registry.Register(registry.Factory{
//			Kind:   registry.KindFS,
//			Name:   "tmpfs",
//			Config: (*Config)(nil),
//			New:    newFromConfig,
//		})
//	}
//
// A binary decides which implementations it contains by which packages it
// imports; nothing in the core lists them. Registering the same kind and name
// twice is not a panic at init time: the second registration is recorded as a
// startup error naming both packages, and Err reports it before anything
// boots.
//
// The registry is written during package initialisation and read afterwards;
// a mutex keeps it safe if a test registers concurrently.
package registry

import (
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Kind is a subsystem kind.
type Kind string

// The subsystem kinds a sandbox is composed of.
const (
	KindPlatform Kind = "platform"
	KindFS       Kind = "fs"
	KindNet      Kind = "net"
	KindCgroup   Kind = "cgroup"
)

// Kinds lists every kind, in the order a sandbox is composed.
var Kinds = []Kind{KindPlatform, KindFS, KindNet, KindCgroup}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Factory describes one implementation of a subsystem.
type Factory struct {
	// Kind and Name identify the implementation; the HCL config names it.
	Kind Kind
	Name string

	// Summary is a one-line description shown by `ward plugins` and in the
	// generated config reference.
	Summary string

	// Config is a typed nil pointer to the struct the implementation's HCL
	// block decodes into, with gohcl tags (`hcl:"size,optional"`) and an
	// optional `doc:"..."` tag per field for the reference. Nil means the
	// block takes no attributes.
	Config any

	// New builds the implementation from its decoded config, a pointer of
	// the same type as Config (or nil when Config is nil). The result must
	// implement the kind's core interface.
	New func(cfg any) (any, error)

	// Package is the Go package that registered the factory; Register fills
	// it in.
	Package string
}

var (
	mu        sync.Mutex
	factories = map[Kind]map[string]*Factory{}
	errs      []error
)

// Register adds f to the registry. It is meant to be called from init.
// Mistakes are recorded and reported by Err, so that a binary with a
// conflict fails at startup with a message naming both packages.
func Register(f Factory) {
	if f.Package == "" {
		f.Package = callerPackage(2)
	}
	mu.Lock()
	defer mu.Unlock()
	if err := check(&f); err != nil {
		errs = append(errs, err)
		return
	}
	byName := factories[f.Kind]
	if byName == nil {
		byName = map[string]*Factory{}
		factories[f.Kind] = byName
	}
	if prev, ok := byName[f.Name]; ok {
		errs = append(errs, fmt.Errorf("registry: %s %q registered twice: by package %s and by package %s", f.Kind, f.Name, prev.Package, f.Package))
		return
	}
	byName[f.Name] = &f
}

func check(f *Factory) error {
	switch {
	case !f.Kind.Valid():
		return fmt.Errorf("registry: package %s registers %q with unknown kind %q", f.Package, f.Name, f.Kind)
	case f.Name == "" || strings.ContainsAny(f.Name, " \t\n\"/"):
		return fmt.Errorf("registry: package %s registers a %s with invalid name %q", f.Package, f.Kind, f.Name)
	case f.New == nil:
		return fmt.Errorf("registry: package %s registers %s %q without a constructor", f.Package, f.Kind, f.Name)
	}
	if f.Config != nil {
		t := reflect.TypeOf(f.Config)
		if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			return fmt.Errorf("registry: package %s registers %s %q with Config of type %s; want a pointer to a struct", f.Package, f.Kind, f.Name, t)
		}
	}
	return nil
}

// Err returns the registration errors, joined, or nil.
func Err() error {
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}

// Lookup returns the factory registered for kind and name.
func Lookup(kind Kind, name string) (*Factory, bool) {
	mu.Lock()
	defer mu.Unlock()
	f, ok := factories[kind][name]
	return f, ok
}

// Names returns the names registered for kind, sorted.
func Names(kind Kind) []string {
	mu.Lock()
	defer mu.Unlock()
	names := make([]string, 0, len(factories[kind]))
	for n := range factories[kind] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns every registered factory, ordered by kind (as in Kinds) and
// then by name.
func All() []*Factory {
	var all []*Factory
	for _, k := range Kinds {
		for _, n := range Names(k) {
			f, _ := Lookup(k, n)
			all = append(all, f)
		}
	}
	return all
}

// NewConfig returns a new zero config value for f (a pointer to a fresh
// struct), or nil when f takes no configuration.
func (f *Factory) NewConfig() any {
	if f.Config == nil {
		return nil
	}
	return reflect.New(reflect.TypeOf(f.Config).Elem()).Interface()
}

// callerPackage returns the import path of the function skip frames up.
func callerPackage(skip int) string {
	pc, _, _, ok := runtime.Caller(skip)
	if !ok {
		return "unknown"
	}
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return "unknown"
	}
	name := fn.Name() // e.g. github.com/x/y/fs/tmpfs.init.0
	slash := strings.LastIndex(name, "/")
	if dot := strings.Index(name[slash+1:], "."); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}

// reset clears the registry; tests only.
func reset() {
	mu.Lock()
	defer mu.Unlock()
	factories = map[Kind]map[string]*Factory{}
	errs = nil
}
