package hostpath

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// defaultCapacity is recorded for a volume whose request names no size.
const defaultCapacity int64 = 1 << 30

// ParamLostFound is the StorageClass parameter that gives a new empty volume a root-owned 0700
// lost+found directory, so that its root looks like a freshly made ext4 filesystem.
const ParamLostFound = "lostFound"

type controllerServer struct {
	csi.UnimplementedControllerServer
	store *Store
}

var controllerCaps = []csi.ControllerServiceCapability_RPC_Type{
	csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
	csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT,
	csi.ControllerServiceCapability_RPC_CLONE_VOLUME,
	csi.ControllerServiceCapability_RPC_LIST_SNAPSHOTS,
}

func (s *controllerServer) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	caps := make([]*csi.ControllerServiceCapability, 0, len(controllerCaps))
	for _, c := range controllerCaps {
		caps = append(caps, &csi.ControllerServiceCapability{
			Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: c}},
		})
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

// checkCapabilities accepts any access mode (there is one node) but only filesystem access.
func checkCapabilities(caps []*csi.VolumeCapability) error {
	if len(caps) == 0 {
		return status.Error(codes.InvalidArgument, "volume_capabilities missing in request")
	}
	for _, c := range caps {
		if c.GetBlock() != nil {
			return status.Error(codes.InvalidArgument, "block access is not supported; use a Filesystem volumeMode")
		}
		if c.GetMount() == nil {
			return status.Error(codes.InvalidArgument, "volume capability has no access type; set mount")
		}
	}
	return nil
}

// capacityFor picks the size to record: the required bytes, else the limit, else the source's
// size, else defaultCapacity.
func capacityFor(r *csi.CapacityRange, sourceSize int64) (int64, error) {
	req, lim := r.GetRequiredBytes(), r.GetLimitBytes()
	if req < 0 || lim < 0 {
		return 0, status.Error(codes.InvalidArgument, "capacity_range bytes must not be negative")
	}
	if lim > 0 && req > lim {
		return 0, status.Errorf(codes.InvalidArgument, "capacity_range required_bytes %d exceeds limit_bytes %d", req, lim)
	}
	switch {
	case req > 0:
		return req, nil
	case lim > 0:
		return lim, nil
	case sourceSize > 0:
		return sourceSize, nil
	}
	return defaultCapacity, nil
}

func parseLostFound(params map[string]string) (bool, error) {
	switch v, ok := params[ParamLostFound]; {
	case !ok || v == "false":
		return false, nil
	case v == "true":
		return true, nil
	default:
		return false, status.Errorf(codes.InvalidArgument, "StorageClass parameter %s must be \"true\" or \"false\", got %q", ParamLostFound, v)
	}
}

func (s *controllerServer) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name missing in request")
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return nil, err
	}
	lostFound, err := parseLostFound(req.GetParameters())
	if err != nil {
		return nil, err
	}
	if len(req.GetMutableParameters()) > 0 {
		return nil, status.Error(codes.InvalidArgument, "mutable_parameters are not supported (no VolumeAttributesClass support)")
	}
	want := Volume{
		Name:             req.GetName(),
		SourceSnapshotID: req.GetVolumeContentSource().GetSnapshot().GetSnapshotId(),
		SourceVolumeID:   req.GetVolumeContentSource().GetVolume().GetVolumeId(),
		LostFound:        lostFound && req.GetVolumeContentSource() == nil,
	}
	var out *Volume
	err = s.store.Locked(func() error {
		out, err = s.createVolume(want, req.GetCapacityRange())
		return err
	})
	if err != nil {
		return nil, asStatus(err)
	}
	return &csi.CreateVolumeResponse{Volume: &csi.Volume{
		VolumeId:      out.ID,
		CapacityBytes: out.CapacityBytes,
		ContentSource: req.GetVolumeContentSource(),
	}}, nil
}

// createVolume runs under the store lock.
func (s *controllerServer) createVolume(want Volume, capRange *csi.CapacityRange) (*Volume, error) {
	vols, err := s.store.Volumes()
	if err != nil {
		return nil, err
	}
	for _, v := range vols {
		if v.Name != want.Name {
			continue
		}
		lim := capRange.GetLimitBytes()
		if v.CapacityBytes < capRange.GetRequiredBytes() || (lim > 0 && v.CapacityBytes > lim) ||
			v.SourceSnapshotID != want.SourceSnapshotID || v.SourceVolumeID != want.SourceVolumeID {
			return nil, status.Errorf(codes.AlreadyExists, "volume %q exists (%s) with a different size or content source", v.Name, v.ID)
		}
		return &v, nil
	}

	srcPath, srcSize := "", int64(0)
	switch {
	case want.SourceSnapshotID != "":
		sn, err := s.store.Snapshot(want.SourceSnapshotID)
		if err != nil {
			return nil, err
		}
		if sn == nil {
			return nil, status.Errorf(codes.NotFound, "source snapshot %s not found", want.SourceSnapshotID)
		}
		srcPath, srcSize = s.store.SnapshotPath(sn.ID), sn.SizeBytes
	case want.SourceVolumeID != "":
		v, err := s.store.Volume(want.SourceVolumeID)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, status.Errorf(codes.NotFound, "source volume %s not found", want.SourceVolumeID)
		}
		srcPath, srcSize = s.store.VolumePath(v.ID), v.CapacityBytes
	}
	want.CapacityBytes, err = capacityFor(capRange, srcSize)
	if err != nil {
		return nil, err
	}
	if want.CapacityBytes < srcSize {
		return nil, status.Errorf(codes.OutOfRange, "requested %d bytes, smaller than the source's %d bytes", want.CapacityBytes, srcSize)
	}

	want.ID, want.CreatedAt = NewID("vol"), time.Now().UTC()
	tmp := s.store.TempPath()
	if srcPath != "" {
		err = CopyTree(srcPath, tmp)
	} else {
		err = makeEmptyRoot(tmp, want.LostFound)
	}
	if err == nil {
		err = s.store.CommitVolume(want, tmp)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("create volume %s: %w", want.Name, err)
	}
	return &want, nil
}

// makeEmptyRoot makes the root of a new volume root:root 0755, whatever our umask is.
func makeEmptyRoot(dir string, lostFound bool) error {
	for _, d := range []struct {
		path string
		mode os.FileMode
		make bool
	}{{dir, 0o755, true}, {dir + "/lost+found", 0o700, lostFound}} {
		if !d.make {
			continue
		}
		if err := os.Mkdir(d.path, d.mode); err != nil {
			return err
		}
		if err := os.Lchown(d.path, 0, 0); err != nil {
			return err
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			return err
		}
	}
	return nil
}

func (s *controllerServer) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id missing in request")
	}
	if err := s.store.Locked(func() error { return s.store.DeleteVolume(req.GetVolumeId()) }); err != nil {
		return nil, asStatus(err)
	}
	return &csi.DeleteVolumeResponse{}, nil
}

func (s *controllerServer) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id missing in request")
	}
	if len(req.GetVolumeCapabilities()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "volume_capabilities missing in request")
	}
	var v *Volume
	err := s.store.Locked(func() (err error) { v, err = s.store.Volume(req.GetVolumeId()); return err })
	if err != nil {
		return nil, asStatus(err)
	}
	if v == nil {
		return nil, status.Errorf(codes.NotFound, "volume %s not found", req.GetVolumeId())
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: status.Convert(err).Message()}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeContext:      req.GetVolumeContext(),
		VolumeCapabilities: req.GetVolumeCapabilities(),
		Parameters:         req.GetParameters(),
	}}, nil
}

// asStatus passes gRPC status errors through and reports anything else (I/O) as Internal.
func asStatus(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Internal, err.Error())
}
