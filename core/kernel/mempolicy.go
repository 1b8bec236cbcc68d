package kernel

// MemPolicy is a thread's NUMA memory policy (set_mempolicy(2)). The
// sandbox has one memory node, node 0, so a policy changes where nothing
// goes; it is kept so that get_mempolicy reports what was set. Children
// inherit it, as on Linux.
type MemPolicy struct {
	// Mode is MPOL_DEFAULT, MPOL_PREFERRED, ... with its mode flags.
	Mode int32
	// Nodes is the node mask (bit 0: node 0).
	Nodes uint64
}

// MemPolicy returns the task's memory policy.
func (t *Task) MemPolicy() MemPolicy {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.memPolicy
}

// SetMemPolicy sets the task's memory policy.
func (t *Task) SetMemPolicy(p MemPolicy) {
	t.mu.Lock()
	t.memPolicy = p
	t.mu.Unlock()
}
