# The smallest useful sandbox: every block left out takes its default
# (platform "ptrace", root of type "overlay", network "loopback").

process {
  args = ["/bin/busybox", "echo", "hello from ward"]
}
