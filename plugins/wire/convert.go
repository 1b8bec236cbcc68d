package wire

import "github.com/seed-a9fb2a21/ward/plugins/wire/pluginv1"

// This file converts between the Go types of this package and the generated
// protobuf messages. Nothing outside this package sees the messages.

func describeToProto(d Description) *pluginv1.DescribeResponse {
	resp := &pluginv1.DescribeResponse{
		Kind:    string(d.Kind),
		Name:    d.Name,
		Version: d.Version,
	}
	for _, a := range d.Attributes {
		resp.Attributes = append(resp.Attributes, &pluginv1.Attribute{
			Name:     a.Name,
			Type:     a.Type,
			Required: a.Required,
			Doc:      a.Doc,
		})
	}
	return resp
}

func describeFromProto(resp *pluginv1.DescribeResponse) Description {
	d := Description{
		Kind:    Kind(resp.GetKind()),
		Name:    resp.GetName(),
		Version: resp.GetVersion(),
	}
	for _, a := range resp.GetAttributes() {
		d.Attributes = append(d.Attributes, Attribute{
			Name:     a.GetName(),
			Type:     a.GetType(),
			Required: a.GetRequired(),
			Doc:      a.GetDoc(),
		})
	}
	return d
}

func diagnosticsToProto(ds Diagnostics) []*pluginv1.Diagnostic {
	out := make([]*pluginv1.Diagnostic, len(ds))
	for i, d := range ds {
		out[i] = &pluginv1.Diagnostic{Attribute: d.Attribute, Summary: d.Summary, Detail: d.Detail}
	}
	return out
}

func diagnosticsFromProto(ps []*pluginv1.Diagnostic) Diagnostics {
	if len(ps) == 0 {
		return nil
	}
	out := make(Diagnostics, len(ps))
	for i, p := range ps {
		out[i] = Diagnostic{Attribute: p.GetAttribute(), Summary: p.GetSummary(), Detail: p.GetDetail()}
	}
	return out
}
