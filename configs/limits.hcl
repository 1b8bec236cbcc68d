# A sandbox with resource limits: cgroup controllers for the whole sandbox,
# rlimits for its init process.

platform "ptrace" {}

root {
  type  = "overlay"
  lower = "/"
}

mount "/tmp" {
  type = "tmpfs"
  size = "64MiB" # writes past this fail with ENOSPC
}

network "none" {}

cgroup "cpu" {
  cpus = "1.5" # at most one and a half CPUs of time
}

cgroup "memory" {
  limit = "256MiB"
}

cgroup "pids" {
  max = 64
}

process {
  args = ["/bin/sh", "-c", "ulimit -n"]
  env = {
    PATH = "/usr/local/bin:/usr/bin:/bin"
    HOME = "/tmp"
  }
  cwd = "/tmp"

  user {
    uid    = 1000
    gid    = 1000
    groups = [100]
  }

  rlimit "nofile" {
    soft = 256
    hard = 1024
  }

  rlimit "core" {
    soft = 0
    hard = "unlimited"
  }
}
