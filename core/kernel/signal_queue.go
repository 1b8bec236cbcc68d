package kernel

import "github.com/seed-a9fb2a21/ward/core/abi/linux"

// sigPending is a set of pending signals with their information. A
// standard signal (1 to 31) is pending once however often it is sent, with
// the information of the first; a real-time signal (32 and up) queues every
// instance, in the order sent, each delivered on its own (signal(7)), up to
// maxQueuedRT instances beyond the first, after which more are dropped
// (Linux refuses them with EAGAIN once RLIMIT_SIGPENDING is reached).
//
// Guarded by Kernel.mu, like the task or thread group that holds it.
type sigPending struct {
	set  sigSet
	info [NumSignals + 1]linux.Siginfo // of each pending signal's first instance
	more map[int][]linux.Siginfo       // later instances of real-time signals
}

// sigRTMin is the first real-time signal as the kernel counts them (the C
// library keeps the first two for itself).
const sigRTMin = 32

// maxQueuedRT bounds the queued instances of one real-time signal.
const maxQueuedRT = 1024

// has reports whether sig is pending.
func (p *sigPending) has(sig int) bool { return p.set&sigBit(sig) != 0 }

// add makes sig pending with info, or queues another instance of a pending
// real-time signal.
func (p *sigPending) add(sig int, info *linux.Siginfo) {
	if !p.has(sig) {
		p.set |= sigBit(sig)
		p.info[sig] = *info
		return
	}
	if sig < sigRTMin || len(p.more[sig]) >= maxQueuedRT {
		return
	}
	if p.more == nil {
		p.more = make(map[int][]linux.Siginfo)
	}
	p.more[sig] = append(p.more[sig], *info)
}

// take removes one instance of sig, which is pending, and returns its
// information; a real-time signal with more instances stays pending.
func (p *sigPending) take(sig int) linux.Siginfo {
	info := p.info[sig]
	if q := p.more[sig]; len(q) > 0 {
		p.info[sig] = q[0]
		if len(q) == 1 {
			delete(p.more, sig)
		} else {
			p.more[sig] = q[1:]
		}
		return info
	}
	p.set &^= sigBit(sig)
	return info
}

// find returns the pending instance of sig that match accepts, or nil.
func (p *sigPending) find(sig int, match func(*linux.Siginfo) bool) *linux.Siginfo {
	if !p.has(sig) {
		return nil
	}
	if match(&p.info[sig]) {
		return &p.info[sig]
	}
	q := p.more[sig]
	for i := range q {
		if match(&q[i]) {
			return &q[i]
		}
	}
	return nil
}

// drop discards every instance of the signals of set.
func (p *sigPending) drop(set sigSet) {
	p.set &^= set
	for sig := range p.more {
		if set&sigBit(sig) != 0 {
			delete(p.more, sig)
		}
	}
}
