package tests

import "testing"

// sandboxConfig writes the sandbox config of a test that needs more than
// the default one: the host's root under an overlay, /proc and /dev, then
// extra (more mounts, the network, cgroup blocks), and a process that is
// /bin/sh as root with ward's own environment but PATH=/usr/bin:/bin.
func sandboxConfig(t *testing.T, extra string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), "sandbox.hcl", `
platform "ptrace" {}
root {
  type  = "overlay"
  lower = "/"
}
mount "/proc" {
  type = "proc"
}
mount "/dev" {
  type = "dev"
}
`+extra+`
process {
  args        = ["/bin/sh"]
  inherit_env = true
  env = {
    PATH = "/usr/bin:/bin"
  }
  user {
    uid = 0
    gid = 0
  }
}
`, 0o644)
}
