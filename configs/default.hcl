# The embedded default sandbox: what `ward run` uses when no --config is
# given. It runs a program against the host's root filesystem, read-only,
# under an in-memory overlay, so the program can write anywhere and the host
# is never modified.

hostname = "ward"

# Every system call of the application stops in ward's tracer and is served
# by ward; the host never executes one.
platform "ptrace" {}

# The root: the host's "/" below (read-only), an in-memory layer above.
# /tmp is part of it, so files the caller left there are visible (as with
# `runsc do`) and whatever the sandbox writes there stays in memory.
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

# POSIX shared memory (shm_open, multiprocessing): in memory.
mount "/dev/shm" {
  type = "tmpfs"
}

# The sandbox's own /sys: CPUs; never the host's.
mount "/sys" {
  type = "sys"
}

# The sandbox's cgroup (cgroup2): the limits of its cgroup blocks (none
# here) and their usage, which the Go runtime and the JVM size themselves by.
mount "/sys/fs/cgroup" {
  type = "cgroupfs"
}

# An isolated network with only the loopback interface: TCP and UDP over
# 127.0.0.1 and ::1 between the sandbox's own processes, nothing in or out.
# "none" takes even that away (IP sockets fail with EAFNOSUPPORT).
network "loopback" {}

process {
  # Replaced by the command given after `ward run --`.
  args = ["/bin/sh"]

  # Pass ward's own environment through, like `runsc do`.
  # With no cwd, the process starts in ward's own working directory (or
  # "/" if the sandbox has no such directory), like `runsc do`.
  inherit_env = true

  # root inside the sandbox; no privilege on the host.
  user {
    uid = 0
    gid = 0
  }
}
