package tests

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Threads, signals, futexes and job control (issue 5): a static C probe,
// the host's python3 using threads, subprocesses, multiprocessing, signals
// and asyncio, a static Go program that needs async preemption, and the
// forwarding of SIGINT to the sandbox.

// threadsProbeChecks are the lines the probe prints when every check
// passes, in order.
var threadsProbeChecks = []string{
	"threads16-barrier",
	"thread-exit-vs-exit-group",
	"sigaltstack-nested",
	"segv-siglongjmp",
	"sa-restart-read",
	"eintr-read",
	"tgkill-thread-directed",
	"process-signal-unblocked-thread",
	"robust-mutex-owner-died",
	"cond-broadcast",
	"futex-cmp-requeue",
	"futex-wake-op",
	"shared-futex-across-fork",
	"exec-multithreaded",
	"job-control-wait4",
	"job-control-waitid",
	"sched-and-membarrier",
	"rt-signal-queue",
	"cpu-itimers",
}

// TestThreadsProbe runs a static C program that checks 16 threads on a
// barrier, thread exit against exit_group, nested handlers on the
// alternate signal stack, a SIGSEGV handler that siglongjmps, SA_RESTART
// and EINTR reads on a pipe, tgkill to one thread and kill to the only
// thread not blocking a signal, robust mutexes whose owner dies,
// pthread_cond_broadcast with many waiters, FUTEX_CMP_REQUEUE and
// FUTEX_WAKE_OP, a process-shared semaphore across fork, execve from a
// thread of a multi-threaded process, job control (SIGSTOP, SIGTSTP,
// SIGCONT with wait4 and waitid, SIGCHLD and SA_NOCLDSTOP), sched_* and
// membarrier. It must pass natively (the probe's own check) and under
// ward.
func TestThreadsProbe(t *testing.T) {
	probe := buildProbe(t, "threads_probe", "-pthread")
	for _, underWard := range []bool{false, true} {
		name := "native"
		if underWard {
			name = "ward"
		}
		t.Run(name, func(t *testing.T) {
			r := run(t, underWard, probe)
			if r.status != 0 || !strings.HasSuffix(r.stdout, "PASSED\n") {
				t.Errorf("status %d\n%s\n%s", r.status, r.stdout, r.stderr)
			}
			var want strings.Builder
			for _, c := range threadsProbeChecks {
				want.WriteString("ok " + c + "\n")
			}
			want.WriteString("PASSED\n")
			if r.stdout != want.String() {
				t.Errorf("checks:\n%s\nwant:\n%s", r.stdout, want.String())
			}
		})
	}
}

// shmConfig writes a sandbox config with an explicit tmpfs on /dev/shm,
// where POSIX semaphores (sem_open, Python's multiprocessing locks) and
// O_TMPFILE files live, so those tests do not depend on the default
// config.
func shmConfig(t *testing.T) string {
	t.Helper()
	return sandboxConfig(t, `mount "/dev/shm" {
  type = "tmpfs"
}
network "none" {}`)
}

// pythonCases are Python programs and what they must print.
var pythonCases = []struct {
	name, script, want string
}{
	{"threads-lock-condition", `
import threading
cond = threading.Condition(threading.Lock())
items, total = [], [0]
def producer(i):
    for j in range(100):
        with cond:
            items.append(i * 100 + j)
            cond.notify()
def consumer():
    while True:
        with cond:
            while not items:
                cond.wait()
            v = items.pop()
            if v < 0:
                return
            total[0] += v
cs = [threading.Thread(target=consumer) for _ in range(4)]
ps = [threading.Thread(target=producer, args=(i,)) for i in range(4)]
for t in cs + ps:
    t.start()
for t in ps:
    t.join()
with cond:
    items[:0] = [-1] * 4
    cond.notify_all()
for t in cs:
    t.join()
print("total", total[0], threading.active_count())
`, "total 79800 1\n"},
	{"subprocess-20", `
import subprocess
outs = [subprocess.run(["/bin/echo", "child", str(i)], capture_output=True, text=True, check=True).stdout for i in range(20)]
print(len(outs), outs[0].strip(), outs[19].strip())
`, "20 child 0 child 19\n"},
	{"multiprocessing-pool", `
import multiprocessing
def square(x):
    return x * x
if __name__ == "__main__":
    with multiprocessing.Pool(2) as p:
        print(p.map(square, range(10)))
`, "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n"},
	{"alarm-interrupts-sleep", `
import signal, time
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(1)
start = time.monotonic()
try:
    time.sleep(10)
    print("not interrupted")
except Alarm:
    print("interrupted", round(time.monotonic() - start) == 1)
`, "interrupted True\n"},
	{"kill-self-sigusr1", `
import os, signal
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
print("handled", got == [signal.SIGUSR1])
`, "handled True\n"},
	{"asyncio-pipe-echo", `
import asyncio, os
async def main():
    loop = asyncio.get_running_loop()
    r, w = os.pipe()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(r, "rb"))
    wt, wp = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(w, "wb"))
    writer = asyncio.StreamWriter(wt, wp, None, loop)
    got = []
    for i in range(5):
        writer.write(b"line %d\n" % i)
        await writer.drain()
        got.append((await asyncio.wait_for(reader.readline(), 5)).decode().strip())
    writer.close()
    print(",".join(got))
asyncio.run(main())
`, "line 0,line 1,line 2,line 3,line 4\n"},
	{"sleep-accuracy", `
import time
start = time.monotonic()
time.sleep(0.2)
d = time.monotonic() - start
print("ok" if 0.16 <= d <= 0.24 else "slept %.3f s" % d)
`, "ok\n"},
}

// TestPythonThreadsAndSignals runs the host's python3 under ward with
// threads, subprocesses, a process pool, signals and asyncio.
func TestPythonThreadsAndSignals(t *testing.T) {
	needFile(t, "/usr/bin/python3")
	cfg := shmConfig(t)
	for _, tc := range pythonCases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, false, wardBinary(t), "run", "--config", cfg, "--", "/usr/bin/python3", "-c", tc.script)
			if r.status != 0 || r.stdout != tc.want {
				t.Errorf("status %d, stdout %q, want %q\nstderr:\n%s", r.status, r.stdout, tc.want, r.stderr)
			}
		})
	}
}

// goProgram needs the Go runtime's threads, futexes and signals: 1000
// goroutines in a ring of channels, a timer, and a tight loop that only
// asynchronous preemption (SIGURG sent with tgkill to the spinning
// thread) can interrupt when GOMAXPROCS is 1.
const goProgram = `package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	const n = 1000
	chans := make([]chan int, n+1)
	for i := range chans {
		chans[i] = make(chan int)
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v := <-chans[i]
			chans[i+1] <- v + i
		}(i)
	}
	go func() { chans[0] <- 0 }()
	sum := <-chans[n]
	wg.Wait()

	start := time.Now()
	timer := time.NewTimer(50 * time.Millisecond)
	<-timer.C
	timerOK := time.Since(start) >= 50*time.Millisecond

	runtime.GOMAXPROCS(1)
	var stop atomic.Bool
	go func() {
		time.Sleep(100 * time.Millisecond)
		stop.Store(true)
	}()
	spins := 0
	for !stop.Load() {
		spins++
	}
	fmt.Println("sum", sum, "timer", timerOK, "preempted", spins > 0)
}
`

// TestGoProgram builds a static Go program and runs it under ward.
func TestGoProgram(t *testing.T) {
	bin := buildGoProgram(t, "go_preempt", goProgram, "1.21")
	r := run(t, true, bin)
	if want := "sum 499500 timer true preempted true\n"; r.status != 0 || r.stdout != want {
		t.Errorf("status %d, stdout %q, want %q\nstderr:\n%s", r.status, r.stdout, want, r.stderr)
	}
}

// TestSIGINTEndsSandbox sends SIGINT to ward while the sandbox sleeps: ward
// must end promptly with status 130 (128+SIGINT).
func TestSIGINTEndsSandbox(t *testing.T) {
	needFile(t, "/bin/sh")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wardBinary(t), "run", "--", "/bin/sh", "-c", "echo started; sleep 100")
	cmd.Dir = "/"
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if _, err := out.Read(buf); err != nil {
		t.Fatalf("reading ward's output: %v\n%s", err, errb.String())
	}
	time.Sleep(200 * time.Millisecond) // let sleep start
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	elapsed := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("ward ended with %v, want exit status 130\n%s", err, errb.String())
	}
	if elapsed > 5*time.Second {
		t.Errorf("ward took %v to end after SIGINT", elapsed)
	}
}

// TestBusyLoopDoesNotBlockSignals runs a runaway loop in the sandbox and
// checks that another process still runs and can kill it.
func TestBusyLoopDoesNotBlockSignals(t *testing.T) {
	needFile(t, "/bin/sh")
	r := run(t, true, "/bin/sh", "-c", `/bin/sh -c 'while :; do :; done' & pid=$!; sleep 0.3; kill $pid; wait $pid; echo status $?`)
	if r.status != 0 || r.stdout != "status 143\n" {
		t.Errorf("status %d, stdout %q, want \"status 143\\n\"\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}
