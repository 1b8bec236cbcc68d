package configs_test

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
	_ "github.com/seed-a9fb2a21/ward/cmd/ward/standard"
	"github.com/seed-a9fb2a21/ward/configs"
	"github.com/seed-a9fb2a21/ward/core/config"
)

// TestExamplesValidate checks every example against the implementations
// linked into the standard build. A subsystem the build does not contain
// yet cannot be checked; it is logged, and the rest of the file must be
// right.
func TestExamplesValidate(t *testing.T) {
	names, err := fs.Glob(configs.Examples, "*.hcl")
	if err != nil || len(names) < 4 {
		t.Fatalf("examples: %v %v", names, err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			src, err := fs.ReadFile(configs.Examples, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := hclwrite.Format(src); !bytes.Equal(got, src) {
				t.Errorf("%s is not formatted; run: ward fmt configs/%s", name, name)
			}
			_, diags := config.Load(src, name, config.Options{})
			for _, d := range diags {
				if _, ok := d.Extra.(config.MissingImplementation); ok {
					t.Logf("not yet in the standard build, so not checked: %s", config.FormatDiagnostic(d))
				} else {
					t.Errorf("%s", config.FormatDiagnostic(d))
				}
			}
		})
	}
}

func TestDefaultIsEmbedded(t *testing.T) {
	disk, err := os.ReadFile("default.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(disk, configs.Default) || !strings.Contains(string(configs.Default), `platform "ptrace"`) {
		t.Error("configs.Default differs from default.hcl")
	}
}

// TestReferenceUpToDate keeps docs/config.md in step with the schemas the
// standard build registers.
func TestReferenceUpToDate(t *testing.T) {
	want, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	config.WriteReference(&got)
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("docs/config.md is out of date; regenerate it with: go run ./tools/gendocs > docs/config.md")
	}
}
