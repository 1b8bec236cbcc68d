package config

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/seed-a9fb2a21/ward/core/registry"
	"github.com/zclconf/go-cty/cty"
)

// Parse parses src as HCL without resolving it. The parser is returned so
// that callers can print diagnostics with source snippets.
func Parse(src []byte, filename string) (*hcl.File, *hclparse.Parser, hcl.Diagnostics) {
	p := hclparse.NewParser()
	f, diags := p.ParseHCL(src, filename)
	return f, p, diags
}

// Load parses and validates a sandbox config. It returns the Sandbox (as
// complete as it could be made) and every diagnostic found; the Sandbox
// must not be booted when the diagnostics contain an error.
func Load(src []byte, filename string, opts Options) (*Sandbox, hcl.Diagnostics) {
	f, _, diags := Parse(src, filename)
	if diags.HasErrors() {
		return nil, diags
	}
	l := &loader{sb: &Sandbox{Filename: filename}, opts: opts, dir: filepath.Dir(filename)}
	l.load(f.Body)
	return l.sb, append(diags, l.diags...)
}

type loader struct {
	sb    *Sandbox
	opts  Options
	dir   string
	diags hcl.Diagnostics
}

func (l *loader) errorf(rng *hcl.Range, summary, detailFormat string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detailFormat, args...),
		Subject:  rng,
	})
}

func (l *loader) load(body hcl.Body) {
	content, diags := body.Content(topSchema)
	l.diags = append(l.diags, diags...)

	l.sb.Hostname = DefaultHostname
	if attr, ok := content.Attributes["hostname"]; ok {
		l.diags = append(l.diags, gohcl.DecodeExpression(attr.Expr, nil, &l.sb.Hostname)...)
		if !validHostname(l.sb.Hostname) {
			l.errorf(attr.Expr.Range().Ptr(), "Invalid hostname", "%q is not a valid hostname: use 1 to 64 letters, digits, '-' and '.'.", l.sb.Hostname)
		}
	}

	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	for _, t := range []string{blockPlatform, blockRoot, blockNetwork, blockProcess} {
		if bs := byType[t]; len(bs) > 1 {
			l.errorf(bs[1].DefRange.Ptr(), fmt.Sprintf("Duplicate %s block", t),
				"A sandbox has one %s block; the first is at %s.", t, bs[0].DefRange)
		}
	}

	// Plugins first: subsystem blocks may name them.
	for _, b := range byType[blockPlugin] {
		l.plugin(b)
	}

	l.sb.Platform = l.single(registry.KindPlatform, byType[blockPlatform], DefaultPlatform, l.opts.Platform)
	l.sb.Network = l.single(registry.KindNet, byType[blockNetwork], DefaultNetwork, l.opts.Network)

	if bs := byType[blockRoot]; len(bs) > 0 {
		l.sb.Root = l.mount("/", bs[0])
	} else {
		l.sb.Root = &Mount{Path: "/", Subsystem: *l.resolve(registry.KindFS, DefaultRootType, hcl.EmptyBody(), hcl.Range{}, hcl.Range{})}
	}
	seen := map[string]*hcl.Block{}
	for _, b := range byType[blockMount] {
		p := b.Labels[0]
		switch {
		case !path.IsAbs(p) || path.Clean(p) != p:
			l.errorf(b.LabelRanges[0].Ptr(), "Invalid mount path", "%q is not a clean absolute path; write it like \"/data\" (no trailing slash, no \"..\").", p)
			continue
		case p == "/":
			l.errorf(b.LabelRanges[0].Ptr(), "Invalid mount path", "The root filesystem is set with a root block, not mount \"/\".")
			continue
		case seen[p] != nil:
			l.errorf(b.LabelRanges[0].Ptr(), "Duplicate mount", "%q is already mounted at %s.", p, seen[p].DefRange)
			continue
		}
		seen[p] = b
		l.sb.Mounts = append(l.sb.Mounts, l.mount(p, b))
	}

	cgroups := map[string]*hcl.Block{}
	for _, b := range byType[blockCgroup] {
		name := b.Labels[0]
		if prev := cgroups[name]; prev != nil {
			l.errorf(b.LabelRanges[0].Ptr(), "Duplicate cgroup block", "The %q controller is already configured at %s.", name, prev.DefRange)
			continue
		}
		cgroups[name] = b
		l.sb.Cgroups = append(l.sb.Cgroups, l.resolve(registry.KindCgroup, name, b.Body, b.DefRange, b.LabelRanges[0]))
	}

	var proc *hcl.Block
	if bs := byType[blockProcess]; len(bs) > 0 {
		proc = bs[0]
	}
	l.process(proc)
}

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$`)

func validHostname(h string) bool { return hostnameRE.MatchString(h) }

// single resolves a platform or network block, of which a sandbox has one.
func (l *loader) single(kind registry.Kind, blocks []*hcl.Block, def, override string) *Subsystem {
	if override != "" {
		return l.resolve(kind, override, hcl.EmptyBody(), hcl.Range{}, hcl.Range{})
	}
	if len(blocks) == 0 {
		return l.resolve(kind, def, hcl.EmptyBody(), hcl.Range{}, hcl.Range{})
	}
	b := blocks[0]
	return l.resolve(kind, b.Labels[0], b.Body, b.DefRange, b.LabelRanges[0])
}

// mount resolves a root or mount block: its type attribute names the
// filesystem, and the rest of the body is that filesystem's.
func (l *loader) mount(p string, b *hcl.Block) *Mount {
	content, remain, diags := b.Body.PartialContent(mountSchema)
	l.diags = append(l.diags, diags...)
	m := &Mount{Path: p}
	attr, ok := content.Attributes["type"]
	if !ok {
		m.Subsystem = Subsystem{Kind: registry.KindFS, DefRange: b.DefRange}
		return m
	}
	var typ string
	if d := gohcl.DecodeExpression(attr.Expr, nil, &typ); d.HasErrors() {
		l.diags = append(l.diags, d...)
		m.Subsystem = Subsystem{Kind: registry.KindFS, DefRange: b.DefRange}
		return m
	}
	m.Subsystem = *l.resolve(registry.KindFS, typ, remain, b.DefRange, attr.Expr.Range())
	return m
}

// resolve finds the implementation of kind named name and decodes body
// against its schema. nameRange is where the name was written.
func (l *loader) resolve(kind registry.Kind, name string, body hcl.Body, def, nameRange hcl.Range) *Subsystem {
	s := &Subsystem{Kind: kind, Name: name, DefRange: def}
	var subject *hcl.Range
	if nameRange.Filename != "" {
		subject = nameRange.Ptr()
	} else if def.Filename != "" {
		subject = def.Ptr()
	}

	plug := l.findPlugin(kind, name)
	f, builtin := registry.Lookup(kind, name)
	switch {
	case plug != nil && builtin:
		l.errorf(subject, fmt.Sprintf("Ambiguous %s %q", kind, name),
			"Both the built-in %s %q (package %s) and the plugin block at %s provide it; rename the plugin.", kind, name, f.Package, plug.DefRange)
		return s
	case plug != nil:
		s.Plugin = plug
		s.Attrs, s.AttrRanges, l.diags = attrsOf(body, l.diags)
		return s
	case builtin:
		s.Factory = f
		s.Config = f.NewConfig()
		var at hcl.Range
		if subject != nil {
			at = *subject
		}
		l.decodeBuiltin(s, body, at)
		return s
	}

	detail := fmt.Sprintf("This build of ward has no %s named %q", kind, name)
	if names := registry.Names(kind); len(names) > 0 {
		detail += fmt.Sprintf("; it has: %s.", strings.Join(names, ", "))
	} else {
		detail += fmt.Sprintf("; it has no %s implementations at all.", kind)
	}
	if kind != registry.KindPlatform {
		detail += fmt.Sprintf(" An external implementation can be declared with a plugin block of kind %q.", kind)
	}
	if subject == nil {
		detail += " (This is the default for a config without this block; choose another in the config.)"
		subject = &hcl.Range{Filename: l.sb.Filename, Start: hcl.InitialPos, End: hcl.InitialPos}
	}
	// Keep what was written, for display; its problems are secondary.
	s.Attrs, s.AttrRanges, _ = attrsOf(body, nil)
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Unknown %s %q", kind, name),
		Detail:   detail,
		Subject:  subject,
		Extra:    MissingImplementation{Kind: kind, Name: name},
	})
	return s
}

func (l *loader) decodeBuiltin(s *Subsystem, body hcl.Body, def hcl.Range) {
	if s.Config == nil {
		// The implementation takes no attributes: any is an error.
		_, diags := body.Content(&hcl.BodySchema{})
		l.diags = append(l.diags, diags...)
		return
	}
	diags := gohcl.DecodeBody(body, nil, s.Config)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	schema, _ := gohcl.ImpliedBodySchema(s.Config)
	content, _ := body.Content(schema)
	units := checkUnits(s.Config, content)
	l.diags = append(l.diags, units...)
	if !units.HasErrors() {
		l.diags = append(l.diags, checkConfig(s.Config, content, def, string(s.Kind), s.Name)...)
	}
}

// attrsOf evaluates the attributes of a body whose schema ward does not
// know, appending problems to diags.
func attrsOf(body hcl.Body, diags hcl.Diagnostics) (map[string]cty.Value, map[string]hcl.Range, hcl.Diagnostics) {
	attrs, d := body.JustAttributes()
	diags = append(diags, d...)
	vals := make(map[string]cty.Value, len(attrs))
	ranges := make(map[string]hcl.Range, len(attrs))
	for name, a := range attrs {
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		vals[name] = v
		ranges[name] = a.Expr.Range()
	}
	return vals, ranges, diags
}

func (l *loader) findPlugin(kind registry.Kind, name string) *Plugin {
	for _, p := range l.sb.Plugins {
		if p.Name == name && p.Kind == kind {
			return p
		}
	}
	return nil
}

var sha256RE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func (l *loader) plugin(b *hcl.Block) {
	var pb pluginBlock
	diags := gohcl.DecodeBody(b.Body, nil, &pb)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	schema, _ := gohcl.ImpliedBodySchema(&pb)
	content, _ := b.Body.Content(schema)
	at := func(name string) *hcl.Range {
		if a, ok := content.Attributes[name]; ok {
			return a.Expr.Range().Ptr()
		}
		return b.DefRange.Ptr()
	}
	name := b.Labels[0]
	for _, p := range l.sb.Plugins {
		if p.Name == name {
			l.errorf(b.LabelRanges[0].Ptr(), "Duplicate plugin", "A plugin named %q is already declared at %s.", name, p.DefRange)
			return
		}
	}
	p := &Plugin{Name: name, Kind: registry.Kind(pb.Kind), Command: pb.Command, Args: pb.Args, DefRange: b.DefRange}
	ok := true
	switch {
	case !p.Kind.Valid():
		l.errorf(at("kind"), "Invalid plugin kind", "%q is not a subsystem kind; use one of %s.", pb.Kind, kindList())
		ok = false
	case p.Kind == registry.KindPlatform:
		l.errorf(at("kind"), "Invalid plugin kind", "Platforms always run inside ward (a tracer must own its threads); they cannot be external plugins.")
		ok = false
	}
	if p.Command == "" {
		l.errorf(at("command"), "Invalid plugin command", "The command that starts plugin %q is empty.", name)
		ok = false
	} else if !filepath.IsAbs(p.Command) {
		p.Command = filepath.Join(l.dir, p.Command)
	}
	if pb.SHA256 != nil {
		if !sha256RE.MatchString(*pb.SHA256) {
			l.errorf(at("sha256"), "Invalid plugin checksum", "sha256 must be 64 hexadecimal digits (the output of sha256sum); got %q.", *pb.SHA256)
			ok = false
		}
		p.SHA256 = strings.ToLower(*pb.SHA256)
	}
	if ok {
		l.sb.Plugins = append(l.sb.Plugins, p)
	}
}

func kindList() string {
	var ks []string
	for _, k := range registry.Kinds {
		ks = append(ks, fmt.Sprintf("%q", k))
	}
	return strings.Join(ks, ", ")
}

func (l *loader) process(b *hcl.Block) {
	pr := &l.sb.Process
	if b == nil {
		return
	}
	var pb processBlock
	diags := gohcl.DecodeBody(b.Body, nil, &pb)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	schema, _ := gohcl.ImpliedBodySchema(&pb)
	content, _ := b.Body.Content(schema)
	at := func(name string) *hcl.Range {
		if a, ok := content.Attributes[name]; ok {
			return a.Expr.Range().Ptr()
		}
		return b.DefRange.Ptr()
	}
	pr.Args = pb.Args
	pr.Env = pb.Env
	for k := range pb.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			l.errorf(at("env"), "Invalid environment variable", "%q is not a valid variable name: it must be non-empty and contain no '=' or NUL.", k)
		}
	}
	if pb.InheritEnv != nil {
		pr.InheritEnv = *pb.InheritEnv
	}
	if pb.Terminal != nil {
		pr.Terminal = *pb.Terminal
	}
	if pb.Cwd != nil {
		pr.Cwd = *pb.Cwd
		if !path.IsAbs(pr.Cwd) {
			l.errorf(at("cwd"), "Invalid working directory", "cwd must be an absolute path inside the sandbox; got %q.", pr.Cwd)
		}
	}
	if u := pb.User; u != nil {
		id := func(name string, v int64) uint32 {
			if v < 0 || v > 1<<32-2 {
				l.errorf(b.DefRange.Ptr(), "Invalid user", "%s %d is out of range (0 to 4294967294).", name, v)
				return 0
			}
			return uint32(v)
		}
		if u.UID != nil {
			pr.User.UID = id("uid", *u.UID)
		}
		if u.GID != nil {
			pr.User.GID = id("gid", *u.GID)
		}
		for _, g := range u.Groups {
			pr.User.Groups = append(pr.User.Groups, id("group", g))
		}
	}
	seen := map[string]bool{}
	for _, rb := range pb.Rlimits {
		l.rlimit(rb, seen)
	}
	sort.Slice(pr.Rlimits, func(i, j int) bool { return pr.Rlimits[i].Resource < pr.Rlimits[j].Resource })
}

func (l *loader) rlimit(rb rlimitBlock, seen map[string]bool) {
	res, ok := rlimitResources[rb.Name]
	if !ok {
		var names []string
		for n := range rlimitResources {
			names = append(names, n)
		}
		sort.Strings(names)
		l.errorf(rb.DefRange.Ptr(), "Unknown resource limit", "%q is not a resource limit; use one of: %s.", rb.Name, strings.Join(names, ", "))
		return
	}
	if seen[rb.Name] {
		l.errorf(rb.DefRange.Ptr(), "Duplicate resource limit", "rlimit %q is set twice.", rb.Name)
		return
	}
	seen[rb.Name] = true
	soft, softOK := l.limitValue(rb.Soft)
	hard, hardOK := l.limitValue(rb.Hard)
	switch {
	case !softOK && !hardOK:
		l.errorf(rb.DefRange.Ptr(), "Empty resource limit", "rlimit %q needs soft, hard or both (a missing one takes the other's value).", rb.Name)
		return
	case !softOK:
		soft = hard
	case !hardOK:
		hard = soft
	}
	if soft > hard {
		l.errorf(rb.DefRange.Ptr(), "Invalid resource limit", "rlimit %q has soft limit above its hard limit.", rb.Name)
		return
	}
	l.sb.Process.Rlimits = append(l.sb.Process.Rlimits, Rlimit{Name: rb.Name, Resource: res, Soft: soft, Hard: hard})
}

// limitValue evaluates a soft or hard limit: a whole number, or
// "unlimited". ok is false when the attribute is absent or wrong.
func (l *loader) limitValue(expr hcl.Expression) (v uint64, ok bool) {
	if expr == nil {
		return 0, false
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		l.diags = append(l.diags, diags...)
		return 0, false
	}
	if val.IsNull() {
		return 0, false
	}
	bad := func() (uint64, bool) {
		l.errorf(expr.Range().Ptr(), "Invalid resource limit", "A limit is a whole number from 0 to 2^63 or \"unlimited\".")
		return 0, false
	}
	switch val.Type() {
	case cty.String:
		if val.AsString() == "unlimited" {
			return RlimInfinity, true
		}
		return bad()
	case cty.Number:
		bf := val.AsBigFloat()
		if !bf.IsInt() || bf.Sign() < 0 {
			return bad()
		}
		u, acc := bf.Uint64()
		if acc != 0 || u > 1<<63 {
			return bad()
		}
		return u, true
	}
	return bad()
}
