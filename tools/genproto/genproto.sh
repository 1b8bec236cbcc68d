#!/usr/bin/env bash
# genproto regenerates the committed Go code for ward's plugin protocol from
# its .proto source of truth (plugins/wire/pluginv1/*.proto).
#
# Usage (from anywhere inside the repository):
#
#	tools/genproto/genproto.sh
#
# It needs protoc (Debian: apt-get install -y protobuf-compiler). The Go code
# generators are installed into a private directory at versions tied to
# go.mod: protoc-gen-go at the google.golang.org/protobuf version the module
# uses, protoc-gen-go-grpc at the newest release whose output compiles
# against the google.golang.org/grpc version the module uses (v1.3.0 emits
# SupportPackageIsVersion7, which grpc >= 1.32 accepts; v1.4+ needs grpc >=
# 1.62). Bump PROTOC_GEN_GO_GRPC_VERSION together with grpc in go.mod.
set -euo pipefail

PROTOC_GEN_GO_GRPC_VERSION=v1.3.0

root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/../.." && pwd))"
cd "$root"

if ! command -v protoc >/dev/null; then
	echo "genproto: protoc not found; install it with: apt-get install -y protobuf-compiler" >&2
	exit 1
fi

protobuf_version="$(go list -m -f '{{.Version}}' google.golang.org/protobuf)"

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@${protobuf_version}"
GOBIN="$bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC_VERSION}"

# Paths are relative to the repository root so that each file registers
# under a unique name ("plugins/wire/pluginv1/subsystem.proto") in the
# protobuf global registry.
protos=(plugins/wire/pluginv1/*.proto)
PATH="$bin:$PATH" protoc -I . \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	"${protos[@]}"

gofmt -l plugins/wire/pluginv1 | (! grep .) || { echo "genproto: generated code is not gofmt'd" >&2; exit 1; }
echo "genproto: regenerated ${protos[*]} (protoc $(protoc --version | cut -d' ' -f2), protoc-gen-go ${protobuf_version}, protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION})"
