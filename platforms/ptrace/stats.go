//go:build linux && amd64

package ptrace

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// Counters of the platform's costly operations, for finding where a
// workload's time goes. Counting is a few atomic adds per operation, always
// on; Close prints them to standard error when WARD_PTRACE_STATS is set in
// Ward's environment (never the sandbox's).
type statCounter struct {
	n  atomic.Int64
	ns atomic.Int64
}

func (c *statCounter) add(since time.Time) {
	c.n.Add(1)
	c.ns.Add(int64(time.Since(since)))
}

type platformStats struct {
	switches      statCounter // Context.Switch, whole
	syscallStops  atomic.Int64
	faultStops    atomic.Int64
	newThreads    statCounter // take or clone a stub thread, seize it
	flushes       statCounter // first Switch applying the queue
	flushOps      atomic.Int64
	batches       statCounter // EndBatch that applied something
	directInject  statCounter // MapFile/Unmap injected by the caller's own thread
	masterInject  statCounter // MapFile/Unmap handed to the master
	poolMisses    statCounter // NewAddressSpace started a stub itself
	stubStarts    statCounter // pooled stub starts (background)
	ctxReleases   statCounter
	threadExits   statCounter // injected exit(2) of a stub thread
	addressSpaces atomic.Int64
	successions   atomic.Int64 // exec took over the old stub (succession.go)
}

var stats platformStats

func (s *platformStats) write(w io.Writer) {
	line := func(name string, c *statCounter) {
		n, ns := c.n.Load(), c.ns.Load()
		avg := time.Duration(0)
		if n > 0 {
			avg = time.Duration(ns / n)
		}
		fmt.Fprintf(w, "  %-14s %8d  total %-12v avg %v\n", name, n, time.Duration(ns).Round(time.Microsecond), avg.Round(100*time.Nanosecond))
	}
	fmt.Fprintf(w, "ward ptrace stats: %d address spaces (%d took over their predecessor's stub), %d syscall stops, %d fault stops, %d queued ops flushed\n",
		s.addressSpaces.Load(), s.successions.Load(), s.syscallStops.Load(), s.faultStops.Load(), s.flushOps.Load())
	line("switch", &s.switches)
	line("new thread", &s.newThreads)
	line("flush", &s.flushes)
	line("batch", &s.batches)
	line("inject direct", &s.directInject)
	line("inject master", &s.masterInject)
	line("pool miss", &s.poolMisses)
	line("stub start", &s.stubStarts)
	line("ctx release", &s.ctxReleases)
	line("thread exit", &s.threadExits)
}

// reportStats prints the counters if WARD_PTRACE_STATS is set.
func reportStats() {
	if os.Getenv("WARD_PTRACE_STATS") != "" {
		stats.write(os.Stderr)
	}
}
