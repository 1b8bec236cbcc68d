package host

import (
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed-a9fb2a21/ward/plugins/wire"
)

// Defaults for the Spec timeouts.
const (
	// DefaultStartTimeout bounds the go-plugin handshake: from starting
	// the process to reading its handshake line.
	DefaultStartTimeout = 5 * time.Second
	// DefaultCallTimeout bounds each call to the plugin (Describe,
	// Configure) when the caller's context has no earlier deadline.
	DefaultCallTimeout = 5 * time.Second
)

// Spec says which plugin to start: the attributes of an HCL plugin block.
//
//	plugin "myfs" {
//	  kind    = "fs"
//	  command = "/usr/libexec/ward-myfs"
//	  args    = ["--verbose"]
//	  sha256  = "ab12..."
//	}
type Spec struct {
	// Name is the block's label; it names the plugin in errors and logs.
	Name string
	// Kind is the subsystem kind the config expects the plugin to be.
	Kind Kind
	// Command is the plugin binary: a path, or a bare name looked up in
	// $PATH.
	Command string
	// Args are passed to the binary.
	Args []string
	// SHA256 is the expected hex SHA-256 of the binary. When set, ward
	// refuses to run a binary with another checksum. Empty skips the check.
	SHA256 string
	// StartTimeout bounds the handshake; zero means DefaultStartTimeout.
	StartTimeout time.Duration
	// CallTimeout bounds each call; zero means DefaultCallTimeout.
	CallTimeout time.Duration
}

// Kind is a subsystem kind; see wire.Kind.
type Kind = wire.Kind

func (s Spec) startTimeout() time.Duration {
	if s.StartTimeout > 0 {
		return s.StartTimeout
	}
	return DefaultStartTimeout
}

func (s Spec) callTimeout() time.Duration {
	if s.CallTimeout > 0 {
		return s.CallTimeout
	}
	return DefaultCallTimeout
}

// validate checks the fields that need no file system access and returns
// the decoded checksum (nil when SHA256 is empty).
func (s Spec) validate() (sum []byte, err error) {
	name := s.Name
	if name == "" {
		name = s.Command
	}
	if s.Name == "" {
		return nil, fail(name, ErrInvalidSpec, "the plugin block has no name")
	}
	if _, err := wire.ParseKind(string(s.Kind)); err != nil {
		return nil, fail(name, ErrInvalidSpec, "kind: %w", err)
	}
	if s.Command == "" {
		return nil, fail(name, ErrInvalidSpec, "command is empty")
	}
	if s.SHA256 == "" {
		return nil, nil
	}
	sum, err = hex.DecodeString(strings.TrimSpace(s.SHA256))
	if err != nil || len(sum) != 32 {
		return nil, fail(name, ErrInvalidSpec, "sha256 = %q is not 64 hexadecimal digits (the output of sha256sum)", s.SHA256)
	}
	return sum, nil
}

// resolveCommand finds the binary and checks that it can be executed, so
// that the two commonest mistakes get an error that says which.
func (s Spec) resolveCommand() (string, error) {
	path := s.Command
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			if errors.Is(err, exec.ErrNotFound) {
				return "", fail(s.Name, ErrNotFound, "command %q is not in $PATH; give an absolute path", path)
			}
			return "", fail(s.Name, ErrNotExecutable, "command %q: %w", path, err)
		}
		path = p
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fail(s.Name, ErrNotFound, "%s does not exist", path)
	case err != nil:
		return "", fail(s.Name, ErrNotFound, "%w", err)
	case fi.IsDir():
		return "", fail(s.Name, ErrNotExecutable, "%s is a directory", path)
	case fi.Mode().Perm()&0o111 == 0:
		return "", fail(s.Name, ErrNotExecutable, "%s has mode %v, with no execute permission (chmod +x it)", path, fi.Mode().Perm())
	}
	if err := unix.Access(path, unix.X_OK); err != nil {
		return "", fail(s.Name, ErrNotExecutable, "%s: ward's user may not execute it: %w", path, err)
	}
	return path, nil
}
