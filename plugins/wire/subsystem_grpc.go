package wire

import (
	"context"
	"fmt"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seed-a9fb2a21/ward/plugins/wire/pluginv1"
)

// SubsystemPlugin carries the Subsystem service over go-plugin's gRPC
// transport. Only gRPC is supported: net/rpc methods fail.
type SubsystemPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	// Impl is the implementation served in the plugin process; nil in ward.
	Impl Subsystem
}

var _ plugin.GRPCPlugin = (*SubsystemPlugin)(nil)

// GRPCServer registers the Subsystem service in the plugin process.
func (p *SubsystemPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return fmt.Errorf("wire: serving %q with no implementation", SubsystemPluginName)
	}
	pluginv1.RegisterSubsystemServer(s, &subsystemServer{impl: p.Impl})
	return nil
}

// GRPCClient returns a Subsystem that calls the plugin over conn.
func (p *SubsystemPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &subsystemClient{c: pluginv1.NewSubsystemClient(conn)}, nil
}

// subsystemServer adapts a Subsystem to the generated gRPC server interface.
type subsystemServer struct {
	pluginv1.UnimplementedSubsystemServer
	impl Subsystem
}

func (s *subsystemServer) Describe(ctx context.Context, _ *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "describe: %v", err)
	}
	return describeToProto(d), nil
}

func (s *subsystemServer) Configure(ctx context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	diags, err := s.impl.Configure(ctx, req.GetConfigJson())
	if err != nil {
		return nil, status.Errorf(codes.Internal, "configure: %v", err)
	}
	return &pluginv1.ConfigureResponse{Diagnostics: diagnosticsToProto(diags)}, nil
}

// subsystemClient adapts the generated gRPC client to Subsystem.
type subsystemClient struct {
	c pluginv1.SubsystemClient
}

func (c *subsystemClient) Describe(ctx context.Context) (Description, error) {
	resp, err := c.c.Describe(ctx, &pluginv1.DescribeRequest{})
	if err != nil {
		return Description{}, fmt.Errorf("Describe: %w", err)
	}
	return describeFromProto(resp), nil
}

func (c *subsystemClient) Configure(ctx context.Context, config []byte) (Diagnostics, error) {
	resp, err := c.c.Configure(ctx, &pluginv1.ConfigureRequest{ConfigJson: config})
	if err != nil {
		return nil, fmt.Errorf("Configure: %w", err)
	}
	return diagnosticsFromProto(resp.GetDiagnostics()), nil
}
