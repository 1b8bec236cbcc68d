# A sandbox that mounts a filesystem served by an out-of-process plugin.
# The plugin block names the program ward starts (with go-plugin) and,
# optionally, the sha256 of that binary: ward refuses to start a binary
# whose checksum differs. A mount whose type is the plugin's name is served
# by it; the plugin checks the mount's other attributes itself.

plugin "echofs" {
  kind    = "fs"
  command = "/usr/local/libexec/ward/echofs" # relative paths are resolved against this file's directory
  args    = ["--log-level=info"]
  # sha256 = "…64 hex digits, the output of sha256sum…"
}

root {
  type  = "overlay"
  lower = "/"
}

mount "/echo" {
  type = "echofs"
}

process {
  args = ["/bin/ls", "/echo"]
}
