package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Size is an amount of bytes written the way people write it in a config:
// "64MiB", "1.5GiB", "512k", "4096". Binary suffixes (KiB, MiB, GiB, TiB)
// and the short forms K, M, G, T are powers of 1024; KB, MB, GB, TB are
// powers of 1000. A plain number is bytes.
type Size string

// CPUs is a number of CPUs, possibly fractional: "1.5", "0.25", "2".
type CPUs string

// Duration is a Go duration string: "300ms", "1.5s", "2m".
type Duration string

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	// Longest suffixes first so "KiB" is not read as "B".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"B", 1},
}

// Bytes parses s.
func (s Size) Bytes() (uint64, error) {
	str := strings.TrimSpace(string(s))
	if str == "" {
		return 0, fmt.Errorf("empty size; write a number of bytes or a number with a unit such as \"64MiB\"")
	}
	mult := 1.0
	num := str
	for _, u := range sizeUnits {
		if strings.HasSuffix(str, u.suffix) {
			mult = u.mult
			num = strings.TrimSpace(strings.TrimSuffix(str, u.suffix))
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a size; write a number of bytes or a number with a unit such as \"64MiB\", \"1.5GiB\", \"512KB\"", str)
	}
	if v < 0 {
		return 0, fmt.Errorf("size %q is negative", str)
	}
	b := v * mult
	if b >= math.MaxUint64 {
		return 0, fmt.Errorf("size %q is too large", str)
	}
	if b != math.Trunc(b) {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", str)
	}
	return uint64(b), nil
}

// Milli parses c as thousandths of a CPU (1.5 → 1500).
func (c CPUs) Milli() (uint64, error) {
	str := strings.TrimSpace(string(c))
	v, err := strconv.ParseFloat(str, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number of CPUs; write e.g. \"1.5\" or \"2\"", str)
	}
	if v <= 0 {
		return 0, fmt.Errorf("number of CPUs %q must be positive", str)
	}
	if v > 1<<20 {
		return 0, fmt.Errorf("number of CPUs %q is too large", str)
	}
	m := math.Round(v * 1000)
	if m < 1 {
		return 0, fmt.Errorf("number of CPUs %q is below the resolution of 0.001", str)
	}
	return uint64(m), nil
}

// Duration parses d.
func (d Duration) Duration() (time.Duration, error) {
	str := strings.TrimSpace(string(d))
	v, err := time.ParseDuration(str)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write e.g. \"300ms\", \"1.5s\", \"2m\"", str)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q is negative", str)
	}
	return v, nil
}
