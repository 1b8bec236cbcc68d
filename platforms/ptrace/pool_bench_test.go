//go:build linux && amd64

package ptrace

import "testing"

// BenchmarkStubStart measures a pooled stub start (forked from the
// template) and BenchmarkStubStartExec one from the image (fork and exec),
// the first with its spare thread; the reaping is not timed.
func BenchmarkStubStart(b *testing.B) {
	p := newPlatform(b)
	for i := 0; i < b.N; i++ {
		var s *stub
		if err := p.m.do(func() (err error) { s, err = p.startPooled(); return }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.m.do(func() error { s.kill(); return nil })
		b.StartTimer()
	}
}

func BenchmarkStubStartExec(b *testing.B) {
	p := newPlatform(b)
	for i := 0; i < b.N; i++ {
		var s *stub
		if err := p.m.do(func() (err error) { s, err = startStub(p.image); return }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.m.do(func() error { s.kill(); return nil })
		b.StartTimer()
	}
}
