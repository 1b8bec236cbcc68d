package none

import (
	"testing"

	"github.com/seed-a9fb2a21/ward/core/inet"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"golang.org/x/sys/unix"
)

func TestNone(t *testing.T) {
	f, ok := registry.Lookup(registry.KindNet, "none")
	if !ok {
		t.Fatal("net none is not registered")
	}
	v, err := f.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := v.(inet.Stack)
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6, unix.AF_NETLINK} {
		if _, err := s.Socket(fam, unix.SOCK_STREAM, 0); err != unix.EAFNOSUPPORT {
			t.Errorf("Socket(%d) = %v, want EAFNOSUPPORT", fam, err)
		}
	}
	if len(s.Interfaces()) != 0 {
		t.Error("none has interfaces")
	}
}
