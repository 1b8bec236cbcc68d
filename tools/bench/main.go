// Command bench measures ward against native execution and gVisor's runsc
// in the same run, and prints the ratios as a Markdown table.
//
//	go run ./tools/bench                 # all benchmarks, 5 repetitions
//	go run ./tools/bench -reps 3 -only syscall
//
// The benchmark programs (src/*.c) are built with gcc -static into a
// directory outside /tmp's reach problems (/var/tmp); every figure is the
// median of the repetitions. The machines are shared and noisy: compare
// ratios measured in one run, not absolute numbers across runs.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

type benchmark struct {
	name   string
	unit   string
	lower  bool // lower is better
	argv   func(bin string) []string
	reps   int
	parse  func(stdout string, wall time.Duration) (float64, error)
	native bool
}

func printed(stdout string, _ time.Duration) (float64, error) {
	return strconv.ParseFloat(strings.TrimSpace(lastLine(stdout)), 64)
}

func wallMillis(_ string, wall time.Duration) (float64, error) {
	return float64(wall.Microseconds()) / 1000, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

var benchmarks = []benchmark{
	{name: "syscall", unit: "ns per getppid()", lower: true, parse: printed,
		argv: func(bin string) []string { return []string{filepath.Join(bin, "getppid_loop"), "100000"} }},
	{name: "forkexec", unit: "µs per fork+exec+wait of /bin/true (dynamic)", lower: true, parse: printed,
		argv: func(bin string) []string {
			return []string{filepath.Join(bin, "forkexec_loop"), "200", "/bin/true"}
		}},
	{name: "forkexec-static", unit: "µs per fork+exec+wait of a static C program", lower: true, parse: printed,
		argv: func(bin string) []string {
			return []string{filepath.Join(bin, "forkexec_loop"), "200", filepath.Join(bin, "true_static")}
		}},
	{name: "pipe", unit: "MiB/s through a pipe", lower: false, parse: printed,
		argv: func(bin string) []string { return []string{filepath.Join(bin, "pipe_tput"), "256"} }},
	{name: "tcp", unit: "MiB/s over TCP on 127.0.0.1", lower: false, parse: printed,
		argv: func(bin string) []string { return []string{filepath.Join(bin, "tcp_tput"), "256"} }},
	{name: "clock", unit: "ns per clock_gettime(CLOCK_MONOTONIC)", lower: true, parse: printed,
		argv: func(bin string) []string { return []string{filepath.Join(bin, "clock_loop"), "1000000"} }},
	{name: "startup", unit: "ms wall for `/bin/busybox true`", lower: true, parse: wallMillis,
		argv: func(string) []string { return []string{"/bin/busybox", "true"} }},
	{name: "startup-dynamic", unit: "ms wall for `/bin/true` (dynamic: ld.so, libc)", lower: true, parse: wallMillis,
		argv: func(string) []string { return []string{"/bin/true"} }},
	{name: "startup-python", unit: "ms wall for `python3 -c pass`", lower: true, parse: wallMillis,
		argv: func(string) []string { return []string{"/usr/bin/python3", "-c", "pass"} }},
	{name: "python-threads", unit: "ms wall for python3: 8 threads, 20000 locked increments each", lower: true, parse: wallMillis,
		argv: func(string) []string { return []string{"/usr/bin/python3", "-c", pythonThreads} }},
	{name: "bash-loop", unit: "ms wall for bash running /bin/true 20 times", lower: true, parse: wallMillis,
		argv: func(string) []string {
			return []string{"/bin/bash", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; done"}
		}},
}

// pythonThreads contends on a lock from 8 threads: the interpreter reads
// the clock for every switch of its global lock.
const pythonThreads = `import threading
lock = threading.Lock()
n = [0]
def work():
    for _ in range(20000):
        with lock:
            n[0] += 1
ts = [threading.Thread(target=work) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
assert n[0] == 160000`

func main() {
	reps := flag.Int("reps", 5, "repetitions per benchmark and mode (the median is reported)")
	only := flag.String("only", "", "run only benchmarks whose name matches this regexp")
	ward := flag.String("ward", "", "ward binary (default: build ./cmd/ward)")
	flag.Parse()

	bin, err := os.MkdirTemp("/var/tmp", "ward-bench-")
	check(err)
	defer os.RemoveAll(bin)
	for _, src := range []string{"getppid_loop", "forkexec_loop", "pipe_tput", "tcp_tput", "clock_loop", "true_static"} {
		out, err := exec.Command("gcc", "-static", "-O2", "-o", filepath.Join(bin, src), filepath.Join(srcDir(), src+".c")).CombinedOutput()
		if err != nil {
			fatalf("gcc %s: %v\n%s", src, err, out)
		}
	}
	if *ward == "" {
		*ward = filepath.Join(bin, "ward")
		out, err := exec.Command("go", "build", "-o", *ward, "./cmd/ward").CombinedOutput()
		if err != nil {
			fatalf("go build ./cmd/ward: %v\n%s", err, out)
		}
	}
	modes := []struct {
		name   string
		prefix []string
	}{
		{"native", nil},
		{"ward", []string{*ward, "run", "--"}},
	}
	if rs, err := exec.LookPath("runsc"); err == nil {
		modes = append(modes, struct {
			name   string
			prefix []string
		}{"runsc", []string{rs, "--rootless", "--network=none", "--platform=ptrace", "do"}})
	} else {
		fmt.Fprintln(os.Stderr, "bench: runsc not installed (apt-get install runsc); its column stays empty")
	}

	var re *regexp.Regexp
	if *only != "" {
		re = regexp.MustCompile(*only)
	}
	fmt.Printf("Measured %s on %s/%s, %d CPUs; median of %d runs.\n\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *reps)
	fmt.Println("| benchmark | unit | native | ward | runsc | ward/native | ward/runsc |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, b := range benchmarks {
		if re != nil && !re.MatchString(b.name) {
			continue
		}
		// The modes take turns, repetition by repetition, so that a
		// burst of load on this shared machine hits them alike.
		vals := map[string][]float64{}
		failed := map[string]bool{}
		for i := 0; i < *reps; i++ {
			for _, m := range modes {
				if failed[m.name] {
					continue
				}
				argv := append(append([]string{}, m.prefix...), b.argv(bin)...)
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Dir = "/"
				start := time.Now()
				out, err := cmd.Output()
				wall := time.Since(start)
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: %s under %s: %v\n", b.name, m.name, err)
					failed[m.name] = true
					continue
				}
				v, err := b.parse(string(out), wall)
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: %s under %s printed %q\n", b.name, m.name, out)
					failed[m.name] = true
					continue
				}
				vals[m.name] = append(vals[m.name], v)
			}
		}
		res := map[string]float64{}
		for m, vs := range vals {
			sort.Float64s(vs)
			res[m] = vs[len(vs)/2]
		}
		cell := func(m string) string {
			if v, ok := res[m]; ok {
				return strconv.FormatFloat(v, 'f', 1, 64)
			}
			return "—"
		}
		ratio := func(a, b string) string {
			x, ok1 := res[a]
			y, ok2 := res[b]
			if !ok1 || !ok2 || y == 0 {
				return "—"
			}
			return fmt.Sprintf("%.2f×", x/y)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", b.name, b.unit, cell("native"), cell("ward"), cell("runsc"), ratio("ward", "native"), ratio("ward", "runsc"))
	}
}

func srcDir() string {
	if _, err := os.Stat("tools/bench/src"); err == nil {
		return "tools/bench/src"
	}
	return "src"
}

func check(err error) {
	if err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}
