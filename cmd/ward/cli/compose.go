package cli

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/seed-a9fb2a21/ward/core/config"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// writeComposition prints the composed sandbox as canonical HCL: every
// subsystem resolved to its implementation, defaults filled in, and a
// comment saying where each implementation comes from.
func writeComposition(w io.Writer, sb *config.Sandbox, ps *plugins) {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	comment(body, fmt.Sprintf("Sandbox composed from %s.", sb.Filename))
	body.SetAttributeValue("hostname", cty.StringVal(sb.Hostname))
	body.AppendNewline()

	for _, p := range sb.Plugins {
		what := "not started"
		if d, ok := ps.described(p.Name); ok {
			what = "started: " + d
		}
		comment(body, fmt.Sprintf("external plugin, %s", what))
		b := body.AppendNewBlock("plugin", []string{p.Name}).Body()
		b.SetAttributeValue("kind", cty.StringVal(string(p.Kind)))
		b.SetAttributeValue("command", cty.StringVal(p.Command))
		if len(p.Args) > 0 {
			b.SetAttributeValue("args", stringList(p.Args))
		}
		if p.SHA256 != "" {
			b.SetAttributeValue("sha256", cty.StringVal(p.SHA256))
		}
		body.AppendNewline()
	}

	subsystem(body, "platform", []string{sb.Platform.Name}, sb.Platform, "")
	subsystem(body, "root", nil, &sb.Root.Subsystem, sb.Root.Name)
	for _, m := range sb.Mounts {
		subsystem(body, "mount", []string{m.Path}, &m.Subsystem, m.Name)
	}
	subsystem(body, "network", []string{sb.Network.Name}, sb.Network, "")
	for _, c := range sb.Cgroups {
		subsystem(body, "cgroup", []string{c.Name}, c, "")
	}

	pb := body.AppendNewBlock("process", nil).Body()
	pr := sb.Process
	pb.SetAttributeValue("args", stringList(pr.Args))
	if len(pr.Env) > 0 {
		env := map[string]cty.Value{}
		for k, v := range pr.Env {
			env[k] = cty.StringVal(v)
		}
		pb.SetAttributeValue("env", cty.MapVal(env))
	}
	pb.SetAttributeValue("inherit_env", cty.BoolVal(pr.InheritEnv))
	if pr.Cwd != "" {
		pb.SetAttributeValue("cwd", cty.StringVal(pr.Cwd))
	} else {
		comment(pb, "cwd: ward's own working directory")
	}
	pb.SetAttributeValue("terminal", cty.BoolVal(pr.Terminal))
	ub := pb.AppendNewBlock("user", nil).Body()
	ub.SetAttributeValue("uid", cty.NumberUIntVal(uint64(pr.User.UID)))
	ub.SetAttributeValue("gid", cty.NumberUIntVal(uint64(pr.User.GID)))
	if len(pr.User.Groups) > 0 {
		var gs []cty.Value
		for _, g := range pr.User.Groups {
			gs = append(gs, cty.NumberUIntVal(uint64(g)))
		}
		ub.SetAttributeValue("groups", cty.ListVal(gs))
	}
	for _, r := range pr.Rlimits {
		rb := pb.AppendNewBlock("rlimit", []string{r.Name}).Body()
		rb.SetAttributeValue("soft", limitValue(r.Soft))
		rb.SetAttributeValue("hard", limitValue(r.Hard))
	}
	w.Write(hclwrite.Format(f.Bytes()))
}

func comment(b *hclwrite.Body, text string) {
	b.AppendUnstructuredTokens(hclwrite.Tokens{{Type: 0, Bytes: []byte("# " + text + "\n")}})
}

// subsystem appends one subsystem block. typ, when not empty, is written as
// the block's type attribute (root and mount blocks).
func subsystem(body *hclwrite.Body, blockType string, labels []string, s *config.Subsystem, typ string) {
	var origin string
	switch {
	case s.Factory != nil:
		origin = fmt.Sprintf("%s %q: built-in, package %s", s.Kind, s.Name, s.Factory.Package)
	case s.Plugin != nil:
		origin = fmt.Sprintf("%s %q: external plugin %q (%s)", s.Kind, s.Name, s.Plugin.Name, s.Plugin.Command)
	default:
		origin = fmt.Sprintf("%s %q: NOT IN THIS BUILD", s.Kind, s.Name)
	}
	if s.DefRange.Filename == "" {
		origin += " (default)"
	}
	comment(body, origin)
	b := body.AppendNewBlock(blockType, labels).Body()
	if typ != "" {
		b.SetAttributeValue("type", cty.StringVal(typ))
	}
	if s.Config != nil {
		writeStruct(b, s.Config)
	}
	names := make([]string, 0, len(s.Attrs))
	for n := range s.Attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.SetAttributeValue(n, s.Attrs[n])
	}
	body.AppendNewline()
}

// writeStruct writes the attributes of a decoded config struct, skipping
// optional attributes that were left out.
func writeStruct(b *hclwrite.Body, cfg any) {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("hcl")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || (opts != "" && opts != "attr" && opts != "optional") {
			continue
		}
		fv := v.Field(i)
		if (fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.IsNil() {
			continue
		}
		ty, err := gocty.ImpliedType(fv.Interface())
		if err != nil {
			continue
		}
		val, err := gocty.ToCtyValue(fv.Interface(), ty)
		if err != nil {
			continue
		}
		b.SetAttributeValue(name, val)
	}
}

func stringList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = cty.StringVal(s)
	}
	return cty.ListVal(vs)
}

func limitValue(v uint64) cty.Value {
	if v == config.RlimInfinity {
		return cty.StringVal("unlimited")
	}
	return cty.NumberUIntVal(v)
}
