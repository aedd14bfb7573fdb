package hostpath

import (
	"context"
	"log/slog"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// The request and response fields worth a log line. Secrets are never read: CSI requests carry
// them in a secrets map that this interceptor does not touch.
type (
	hasVolumeID       interface{ GetVolumeId() string }
	hasSnapshotID     interface{ GetSnapshotId() string }
	hasSourceVolumeID interface{ GetSourceVolumeId() string }
	hasName           interface{ GetName() string }
	hasTargetPath     interface{ GetTargetPath() string }
)

// logRPC writes one line per RPC: method, the ids involved, the result code and the duration.
func logRPC(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		attrs := []any{"method", info.FullMethod}
		attrs = append(attrs, idAttrs(req)...)
		attrs = append(attrs, resultAttrs(resp)...)
		st := status.Convert(err)
		attrs = append(attrs, "code", st.Code().String(), "ms", time.Since(start).Milliseconds())
		if err != nil {
			attrs = append(attrs, "error", st.Message())
			log.Warn("rpc", attrs...)
		} else {
			log.Info("rpc", attrs...)
		}
		return resp, err
	}
}

func idAttrs(req any) []any {
	var out []any
	if r, ok := req.(hasName); ok && r.GetName() != "" {
		out = append(out, "name", r.GetName())
	}
	if r, ok := req.(hasVolumeID); ok && r.GetVolumeId() != "" {
		out = append(out, "volume", r.GetVolumeId())
	}
	if r, ok := req.(hasSnapshotID); ok && r.GetSnapshotId() != "" {
		out = append(out, "snapshot", r.GetSnapshotId())
	}
	if r, ok := req.(hasSourceVolumeID); ok && r.GetSourceVolumeId() != "" {
		out = append(out, "sourceVolume", r.GetSourceVolumeId())
	}
	if r, ok := req.(hasTargetPath); ok && r.GetTargetPath() != "" {
		out = append(out, "target", r.GetTargetPath())
	}
	return out
}

// resultAttrs names what a create call made.
func resultAttrs(resp any) []any {
	switch r := resp.(type) {
	case *csi.CreateVolumeResponse:
		return []any{"created", r.GetVolume().GetVolumeId()}
	case *csi.CreateSnapshotResponse:
		return []any{"created", r.GetSnapshot().GetSnapshotId()}
	}
	return nil
}
