package hostpath

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func snapshotProto(sn *Snapshot) *csi.Snapshot {
	return &csi.Snapshot{
		SnapshotId:     sn.ID,
		SourceVolumeId: sn.SourceVolumeID,
		SizeBytes:      sn.SizeBytes,
		CreationTime:   timestamppb.New(sn.CreatedAt),
		ReadyToUse:     true, // the copy is complete before CreateSnapshot returns
	}
}

func (s *controllerServer) CreateSnapshot(_ context.Context, req *csi.CreateSnapshotRequest) (*csi.CreateSnapshotResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name missing in request")
	}
	if req.GetSourceVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "source_volume_id missing in request")
	}
	var out *Snapshot
	err := s.store.Locked(func() (err error) {
		out, err = s.createSnapshot(req.GetName(), req.GetSourceVolumeId())
		return err
	})
	if err != nil {
		return nil, asStatus(err)
	}
	return &csi.CreateSnapshotResponse{Snapshot: snapshotProto(out)}, nil
}

// createSnapshot runs under the store lock.
func (s *controllerServer) createSnapshot(name, sourceID string) (*Snapshot, error) {
	snaps, err := s.store.Snapshots()
	if err != nil {
		return nil, err
	}
	for _, sn := range snaps {
		if sn.Name != name {
			continue
		}
		if sn.SourceVolumeID != sourceID {
			return nil, status.Errorf(codes.AlreadyExists, "snapshot %q exists (%s) of another volume, %s", name, sn.ID, sn.SourceVolumeID)
		}
		return &sn, nil
	}
	v, err := s.store.Volume(sourceID)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, status.Errorf(codes.NotFound, "source volume %s not found", sourceID)
	}
	// size_bytes is the source's capacity, as for a block-level snapshot, so that a restore
	// requesting the PVC's original size is accepted.
	sn := Snapshot{ID: NewID("snap"), Name: name, SourceVolumeID: v.ID, SizeBytes: v.CapacityBytes, CreatedAt: time.Now().UTC()}
	tmp := s.store.TempPath()
	err = CopyTree(s.store.VolumePath(v.ID), tmp)
	if err == nil {
		err = s.store.CommitSnapshot(sn, tmp)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("snapshot %s of volume %s: %w", name, v.ID, err)
	}
	return &sn, nil
}

func (s *controllerServer) DeleteSnapshot(_ context.Context, req *csi.DeleteSnapshotRequest) (*csi.DeleteSnapshotResponse, error) {
	if req.GetSnapshotId() == "" {
		return nil, status.Error(codes.InvalidArgument, "snapshot_id missing in request")
	}
	if err := s.store.Locked(func() error { return s.store.DeleteSnapshot(req.GetSnapshotId()) }); err != nil {
		return nil, asStatus(err)
	}
	return &csi.DeleteSnapshotResponse{}, nil
}

// ListSnapshots filters by snapshot id and/or source volume id, ordered by creation time. The
// pagination token is the index of the next entry in that order.
func (s *controllerServer) ListSnapshots(_ context.Context, req *csi.ListSnapshotsRequest) (*csi.ListSnapshotsResponse, error) {
	if req.GetMaxEntries() < 0 {
		return nil, status.Error(codes.InvalidArgument, "max_entries must not be negative")
	}
	start := 0
	if t := req.GetStartingToken(); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return nil, status.Errorf(codes.Aborted, "starting_token %q is not a token this driver returned", t)
		}
		start = n
	}
	var all []Snapshot
	err := s.store.Locked(func() (err error) { all, err = s.store.Snapshots(); return err })
	if err != nil {
		return nil, asStatus(err)
	}
	var match []Snapshot
	for _, sn := range all {
		if id := req.GetSnapshotId(); id != "" && sn.ID != id {
			continue
		}
		if id := req.GetSourceVolumeId(); id != "" && sn.SourceVolumeID != id {
			continue
		}
		match = append(match, sn)
	}
	sort.Slice(match, func(i, j int) bool {
		if !match[i].CreatedAt.Equal(match[j].CreatedAt) {
			return match[i].CreatedAt.Before(match[j].CreatedAt)
		}
		return match[i].ID < match[j].ID
	})
	if start > len(match) {
		return nil, status.Errorf(codes.Aborted, "starting_token %d is past the last of %d snapshots", start, len(match))
	}
	end := len(match)
	if m := int(req.GetMaxEntries()); m > 0 && start+m < end {
		end = start + m
	}
	resp := &csi.ListSnapshotsResponse{}
	for i := start; i < end; i++ {
		resp.Entries = append(resp.Entries, &csi.ListSnapshotsResponse_Entry{Snapshot: snapshotProto(&match[i])})
	}
	if end < len(match) {
		resp.NextToken = strconv.Itoa(end)
	}
	return resp, nil
}
