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

mount "/proc" {
  type = "proc"
}

mount "/sys" {
  type = "sys"
}

# The cgroup blocks below as cgroup2 files (memory.max, pids.max, cpu.max),
# found through /proc/self/cgroup and /proc/self/mountinfo as in a
# container: the Go runtime's GOMAXPROCS and the JVM's heap follow them.
mount "/sys/fs/cgroup" {
  type = "cgroupfs"
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
