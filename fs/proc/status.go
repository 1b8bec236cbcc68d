package proc

import (
	"fmt"
	"strings"
)

// statusInfo is what /proc/[pid]/status shows.
type statusInfo struct {
	Name    string
	Umask   int64 // -1: unknown (the line is left out)
	State   byte
	Tgid    int32
	Pid     int32
	PPid    int32
	UIDs    [4]uint32 // real, effective, saved, filesystem
	GIDs    [4]uint32
	FDSize  int
	Groups  []uint32
	VmSize  uint64 // bytes
	VmRSS   uint64 // bytes
	Threads int
}

// stateNames are the words Linux puts after the state letter.
var stateNames = map[byte]string{'R': "running", 'S': "sleeping", 'D': "disk sleep", 'Z': "zombie", 'T': "stopped"}

// formatStatus formats /proc/[pid]/status in Linux's layout ("Key:\tvalue"),
// with the lines Ward can fill.
func formatStatus(s statusInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Name:\t%s\n", s.Name)
	if s.Umask >= 0 {
		fmt.Fprintf(&b, "Umask:\t%04o\n", s.Umask)
	}
	fmt.Fprintf(&b, "State:\t%c (%s)\n", s.State, stateNames[s.State])
	fmt.Fprintf(&b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", s.Tgid, s.Pid, s.PPid)
	fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\n", s.UIDs[0], s.UIDs[1], s.UIDs[2], s.UIDs[3])
	fmt.Fprintf(&b, "Gid:\t%d\t%d\t%d\t%d\n", s.GIDs[0], s.GIDs[1], s.GIDs[2], s.GIDs[3])
	fmt.Fprintf(&b, "FDSize:\t%d\n", s.FDSize)
	b.WriteString("Groups:\t")
	for _, g := range s.Groups {
		fmt.Fprintf(&b, "%d ", g)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "VmPeak:\t%8d kB\nVmSize:\t%8d kB\n", s.VmSize/1024, s.VmSize/1024)
	fmt.Fprintf(&b, "VmHWM:\t%8d kB\nVmRSS:\t%8d kB\n", s.VmRSS/1024, s.VmRSS/1024)
	fmt.Fprintf(&b, "Threads:\t%d\n", s.Threads)
	b.WriteString("SigQ:\t0/0\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n")
	b.WriteString("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n")
	b.WriteString("CapInh:\t0000000000000000\n")
	if s.UIDs[1] == 0 {
		b.WriteString("CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n")
	} else {
		b.WriteString("CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n")
	}
	b.WriteString("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n")
	return b.String()
}

// statusInfo gathers the status fields of the directory's process or
// thread.
func (d *pidDir) statusInfo() statusInfo {
	info := d.tg.Info()
	t := d.thread()
	c := info.Credentials
	s := statusInfo{
		Name:    t.Comm(),
		Umask:   -1,
		State:   d.fs.stateOf(t),
		Tgid:    info.PID,
		Pid:     info.PID,
		PPid:    info.PPID,
		UIDs:    [4]uint32{c.RealUID, c.EffectiveUID, c.SavedUID, c.FilesystemUID},
		GIDs:    [4]uint32{c.RealGID, c.EffectiveGID, c.SavedGID, c.FilesystemGID},
		Groups:  c.Groups,
		Threads: len(info.Threads),
	}
	if d.task != nil {
		s.Pid = d.task.TID()
	}
	if fsc := fsContext(d.tg); fsc != nil {
		s.Umask = int64(fsc.Umask())
	}
	if tbl := fdTable(d.tg); tbl != nil {
		s.FDSize = 64
		if fds := tbl.FDs(); len(fds) > 0 {
			for s.FDSize <= fds[len(fds)-1] {
				s.FDSize *= 2
			}
		}
	}
	if m := d.tg.MM(); m != nil {
		s.VmSize = uint64(m.VirtualSize())
		s.VmRSS = uint64(m.ResidentSize())
	}
	return s
}
