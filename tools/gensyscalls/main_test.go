package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"read": "Read", "rt_sigaction": "RtSigaction", "_sysctl": "Sysctl",
		"clone3": "Clone3", "pread64": "Pread64", "set_mempolicy_home_node": "SetMempolicyHomeNode",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	const header = `#ifndef X
#define __NR_read 0
#define __NR_write 1
#define __NR_x32_thing (512 + 1)
#define	EPERM		 1	/* Operation not permitted */
#define	EWOULDBLOCK	EAGAIN	/* Operation would block */
#endif
`
	sys, err := parse(strings.NewReader(header), sysnoRE)
	if err != nil || len(sys) != 2 || sys[1] != (define{name: "write", num: 1}) {
		t.Errorf("sysno parse = %+v, %v", sys, err)
	}
	errs, err := parse(strings.NewReader(header), errnoRE)
	if err != nil || len(errs) != 1 || errs[0] != (define{name: "EPERM", num: 1, comment: "Operation not permitted"}) {
		t.Errorf("errno parse = %+v, %v", errs, err)
	}
	if err := check([]define{{name: "a", num: 1}, {name: "b", num: 1}}); err == nil {
		t.Errorf("duplicate numbers accepted")
	}
}

// TestGeneratedFilesUpToDate regenerates the committed tables from this
// machine's headers and compares.
func TestGeneratedFilesUpToDate(t *testing.T) {
	for _, tc := range []struct {
		kind, out string
		headers   []string
	}{
		{"sysno", "../../core/abi/linux/sysno_amd64.go", []string{"/usr/include/x86_64-linux-gnu/asm/unistd_64.h"}},
		{"errno", "../../core/abi/linux/errno_names.go", []string{"/usr/include/asm-generic/errno-base.h", "/usr/include/asm-generic/errno.h"}},
	} {
		if _, err := os.Stat(tc.headers[0]); err != nil {
			t.Skipf("no kernel headers: %v", err)
		}
		got, err := generate(tc.kind, "linux", tc.headers)
		if err != nil {
			t.Fatalf("generate %s: %v", tc.kind, err)
		}
		want, err := os.ReadFile(tc.out)
		if err != nil {
			// Under Bazel the source tree is not in the runfiles.
			t.Skipf("generated file not available: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale or edited by hand: run go generate ./core/abi/linux", tc.out)
		}
	}
}
