package kernel

import (
	"testing"
	"time"
)

// TestCPUBandwidthDebt: time used past the quota is paid off by later
// periods before anyone runs again, and admit reports what is left.
func TestCPUBandwidthDebt(t *testing.T) {
	b := newCPUBandwidth(200, 50000) // 0.2 CPUs: 10 ms per 50 ms
	if b.quota != 10*time.Millisecond || b.period != 50*time.Millisecond {
		t.Fatalf("quota %v per %v", b.quota, b.period)
	}
	task := &Task{intr: make(chan struct{}, 1)}
	if left, ok := b.admit(task); !ok || left <= 0 || left > b.quota {
		t.Fatalf("fresh account: admit = %v, %v", left, ok)
	}
	b.charge(30 * time.Millisecond) // three quotas: two periods of debt
	start := time.Now()
	if _, ok := b.admit(task); !ok {
		t.Fatal("admit failed")
	}
	// The debt takes at least two whole periods to pay off (less what
	// was left of the current one).
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("admitted after %v with 20 ms of debt at 10 ms per 50 ms", waited)
	}
	st := b.nrThrottled
	if st != 1 || b.usage != 30*time.Millisecond {
		t.Errorf("nr_throttled %d, usage %v", st, b.usage)
	}
	if newCPUBandwidth(0, 0) != nil {
		t.Error("no limit still makes an account")
	}
}

// TestCPUBandwidthKill: a throttled task that is killed stops waiting.
func TestCPUBandwidthKill(t *testing.T) {
	b := newCPUBandwidth(1, 1000000) // 1 ms per second
	task := &Task{intr: make(chan struct{}, 1)}
	b.charge(time.Hour)
	done := make(chan bool)
	go func() {
		_, ok := b.admit(task)
		done <- ok
	}()
	time.Sleep(10 * time.Millisecond)
	task.killed.Store(true)
	task.intr <- struct{}{}
	select {
	case ok := <-done:
		if ok {
			t.Error("a killed task was admitted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a killed task still waits")
	}
}
