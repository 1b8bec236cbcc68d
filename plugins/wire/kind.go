package wire

import (
	"fmt"
	"strings"
)

// Kind is a subsystem kind, the same vocabulary as the core registry and the
// HCL config: "platform", "fs", "net" or "cgroup".
type Kind string

// The subsystem kinds a plugin may implement.
const (
	KindPlatform Kind = "platform"
	KindFS       Kind = "fs"
	KindNet      Kind = "net"
	KindCgroup   Kind = "cgroup"
)

// Kinds lists every valid Kind, in the order docs and messages show them.
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

// ParseKind returns s as a Kind, or an error that lists the valid kinds.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); k.Valid() {
		return k, nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = fmt.Sprintf("%q", string(k))
	}
	return "", fmt.Errorf("unknown plugin kind %q: want one of %s", s, strings.Join(names, ", "))
}
