package config

import (
	"testing"
	"time"
)

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"4096", 4096, true},
		{"64MiB", 64 << 20, true},
		{"64M", 64 << 20, true},
		{"1.5GiB", 3 << 29, true},
		{"512KB", 512000, true},
		{"1 GB", 1e9, true},
		{"2TiB", 2 << 40, true},
		{"0", 0, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-1MiB", 0, false},
		{"1.5", 0, false},
		{"12 apples", 0, false},
		{"1e30TiB", 0, false},
		{"NaN", 0, false},
	} {
		got, err := Size(tc.in).Bytes()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Size(%q).Bytes() = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCPUs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1.5", 1500, true},
		{"2", 2000, true},
		{"0.25", 250, true},
		{"0", 0, false},
		{"-1", 0, false},
		{"0.0001", 0, false},
		{"many", 0, false},
		{"Inf", 0, false},
	} {
		got, err := CPUs(tc.in).Milli()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("CPUs(%q).Milli() = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"300ms", 300 * time.Millisecond, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{"2m", 2 * time.Minute, true},
		{"-1s", 0, false},
		{"soon", 0, false},
		{"5", 0, false},
	} {
		got, err := Duration(tc.in).Duration()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Duration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
