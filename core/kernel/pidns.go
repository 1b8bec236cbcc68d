package kernel

// maxPID is the largest PID handed out (like /proc/sys/kernel/pid_max).
const maxPID = 1 << 22

// pidNamespace allocates thread IDs and finds tasks and thread groups by
// them. The sandbox has one; its first task is PID 1.
//
// Preconditions: all methods need Kernel.mu.
type pidNamespace struct {
	last  int32
	tasks map[int32]*Task
	// groups maps a TGID to its thread group, including zombies (whose
	// TGID stays reserved until they are reaped).
	groups map[int32]*ThreadGroup
}

func newPIDNamespace() *pidNamespace {
	return &pidNamespace{tasks: map[int32]*Task{}, groups: map[int32]*ThreadGroup{}}
}

// allocate returns a free ID, or 0 when all are in use.
func (ns *pidNamespace) allocate() int32 {
	for i := 0; i < maxPID; i++ {
		ns.last++
		if ns.last >= maxPID {
			ns.last = 1
		}
		if ns.tasks[ns.last] == nil && ns.groups[ns.last] == nil {
			return ns.last
		}
	}
	return 0
}
