package kernel

import "golang.org/x/sys/unix"

// RlimInfinity is RLIM_INFINITY.
const RlimInfinity = ^uint64(0)

// NumLimits is RLIM_NLIMITS.
const NumLimits = 16

// Limit is one resource limit.
type Limit struct {
	Cur, Max uint64
}

// Limits are a process's resource limits, indexed by RLIMIT_*.
type Limits [NumLimits]Limit

// DefaultLimits are the limits of the init process unless the config says
// otherwise; they follow a typical Linux login.
func DefaultLimits() Limits {
	var l Limits
	for i := range l {
		l[i] = Limit{RlimInfinity, RlimInfinity}
	}
	l[unix.RLIMIT_STACK] = Limit{8 << 20, RlimInfinity}
	l[unix.RLIMIT_CORE] = Limit{0, RlimInfinity}
	l[unix.RLIMIT_NOFILE] = Limit{1024, 1 << 20}
	l[unix.RLIMIT_NPROC] = Limit{1 << 15, 1 << 15}
	l[unix.RLIMIT_MEMLOCK] = Limit{8 << 20, 8 << 20}
	l[unix.RLIMIT_SIGPENDING] = Limit{1 << 15, 1 << 15}
	l[unix.RLIMIT_MSGQUEUE] = Limit{819200, 819200}
	l[unix.RLIMIT_NICE] = Limit{0, 0}
	l[unix.RLIMIT_RTPRIO] = Limit{0, 0}
	return l
}

// Limit returns one of the process's limits.
func (tg *ThreadGroup) Limit(resource int) Limit {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.limits[resource]
}

// PrLimit implements prlimit64 on process tg for a caller with
// credentials c: it returns the old limit and installs newLim if not nil.
func (tg *ThreadGroup) PrLimit(c *Credentials, resource int, newLim *Limit) (Limit, error) {
	if resource < 0 || resource >= NumLimits {
		return Limit{}, unix.EINVAL
	}
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	old := tg.limits[resource]
	if newLim == nil {
		return old, nil
	}
	if newLim.Cur > newLim.Max {
		return Limit{}, unix.EINVAL
	}
	if newLim.Max > old.Max && !c.Privileged() {
		return Limit{}, unix.EPERM
	}
	if resource == unix.RLIMIT_NOFILE && newLim.Max > 1<<20 {
		return Limit{}, unix.EPERM
	}
	tg.limits[resource] = *newLim
	return old, nil
}
