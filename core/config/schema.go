package config

import "github.com/hashicorp/hcl/v2"

// The defaults used for a block a config leaves out.
const (
	DefaultPlatform = "ptrace"
	DefaultRootType = "overlay"
	// DefaultNetwork is the isolated loopback stack (127.0.0.1 and ::1
	// only; net/loopback).
	DefaultNetwork  = "loopback"
	DefaultHostname = "ward"
)

// Block type names of the top-level schema.
const (
	blockPlatform = "platform"
	blockRoot     = "root"
	blockMount    = "mount"
	blockNetwork  = "network"
	blockCgroup   = "cgroup"
	blockPlugin   = "plugin"
	blockProcess  = "process"
)

var topSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "hostname"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockPlatform, LabelNames: []string{"name"}},
		{Type: blockRoot},
		{Type: blockMount, LabelNames: []string{"path"}},
		{Type: blockNetwork, LabelNames: []string{"name"}},
		{Type: blockCgroup, LabelNames: []string{"controller"}},
		{Type: blockPlugin, LabelNames: []string{"name"}},
		{Type: blockProcess},
	},
}

// mountSchema is the part of a root or mount block that the sandbox itself
// reads; the rest belongs to the filesystem named by type.
var mountSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true},
	},
}

// pluginBlock is the body of a plugin block.
type pluginBlock struct {
	Kind    string   `hcl:"kind"`
	Command string   `hcl:"command"`
	Args    []string `hcl:"args,optional"`
	SHA256  *string  `hcl:"sha256,optional"`
}

// processBlock is the body of the process block.
type processBlock struct {
	Args       []string          `hcl:"args,optional"`
	Env        map[string]string `hcl:"env,optional"`
	InheritEnv *bool             `hcl:"inherit_env,optional"`
	Cwd        *string           `hcl:"cwd,optional"`
	Terminal   *bool             `hcl:"terminal,optional"`
	User       *userBlock        `hcl:"user,block"`
	Rlimits    []rlimitBlock     `hcl:"rlimit,block"`
}

type userBlock struct {
	UID    *int64  `hcl:"uid,optional"`
	GID    *int64  `hcl:"gid,optional"`
	Groups []int64 `hcl:"groups,optional"`
}

type rlimitBlock struct {
	Name string         `hcl:"name,label"`
	Soft hcl.Expression `hcl:"soft,optional"`
	Hard hcl.Expression `hcl:"hard,optional"`

	DefRange hcl.Range `hcl:",def_range"`
}

// rlimitResources maps the config's rlimit names to RLIMIT_* numbers
// (<asm-generic/resource.h>).
var rlimitResources = map[string]int{
	"cpu":        0,
	"fsize":      1,
	"data":       2,
	"stack":      3,
	"core":       4,
	"rss":        5,
	"nproc":      6,
	"nofile":     7,
	"memlock":    8,
	"as":         9,
	"locks":      10,
	"sigpending": 11,
	"msgqueue":   12,
	"nice":       13,
	"rtprio":     14,
	"rttime":     15,
}
