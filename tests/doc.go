// Package tests holds Ward's end-to-end tests: they run the ward binary
// the way a user does and check what it prints and how it exits.
//
// The binaries under test come from the environment when set (Bazel passes
// them in as data: WARD_BINARY, WARD_EXAMPLE_PLUGIN) and are otherwise built
// with `go build` into a temporary directory.
package tests
