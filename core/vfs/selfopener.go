package vfs

// SelfOpener is implemented by an Inode that opens itself even though its
// Stat says FIFO: /proc/[pid]/fd's links to anonymous pipes, whose Open
// returns the existing pipe. The VFS opens any other FIFO as a named pipe
// (fifo.go) without calling the Inode's Open.
type SelfOpener interface {
	OpensItself() bool
}

// opensItself reports whether inode is a SelfOpener that says so.
func opensItself(inode Inode) bool {
	s, ok := inode.(SelfOpener)
	return ok && s.OpensItself()
}
