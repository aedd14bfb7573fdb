package hostpath_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
)

func TestRestartKeepsState(t *testing.T) {
	state := t.TempDir()
	d := startDriver(t, state, "")
	v := createVolume(t, d, &csi.CreateVolumeRequest{Name: "keep", CapacityRange: &csi.CapacityRange{RequiredBytes: 7 << 20}})
	if err := os.WriteFile(filepath.Join(volumeDir(d, v.GetVolumeId()), "f"), []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	sn, err := d.ctrl.CreateSnapshot(ctx(t), &csi.CreateSnapshotRequest{Name: "keep-snap", SourceVolumeId: v.GetVolumeId()})
	if err != nil {
		t.Fatal(err)
	}
	d.stop()

	// Leftovers of operations interrupted by a crash: a half-built copy and a directory whose
	// metadata was never committed.
	for _, p := range []string{"tmp/tmp-half", "volumes/vol-uncommitted", "snapshots/snap-uncommitted"} {
		if err := os.MkdirAll(filepath.Join(state, p, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	d2 := startDriver(t, state, "")
	again := createVolume(t, d2, &csi.CreateVolumeRequest{Name: "keep", CapacityRange: &csi.CapacityRange{RequiredBytes: 7 << 20}})
	if again.GetVolumeId() != v.GetVolumeId() || again.GetCapacityBytes() != 7<<20 {
		t.Errorf("after restart CreateVolume(keep) = %v, want %s", again, v.GetVolumeId())
	}
	if b, err := os.ReadFile(filepath.Join(volumeDir(d2, v.GetVolumeId()), "f")); err != nil || string(b) != "data" {
		t.Errorf("volume data after restart: %q, %v", b, err)
	}
	l, err := d2.ctrl.ListSnapshots(ctx(t), &csi.ListSnapshotsRequest{})
	if err != nil || len(l.GetEntries()) != 1 || l.GetEntries()[0].GetSnapshot().GetSnapshotId() != sn.GetSnapshot().GetSnapshotId() ||
		!l.GetEntries()[0].GetSnapshot().GetCreationTime().AsTime().Equal(sn.GetSnapshot().GetCreationTime().AsTime()) {
		t.Errorf("after restart ListSnapshots = %v, %v", l, err)
	}
	for _, p := range []string{"tmp/tmp-half", "volumes/vol-uncommitted", "snapshots/snap-uncommitted"} {
		if exists(t, filepath.Join(state, p)) {
			t.Errorf("leftover %s not removed at start", p)
		}
	}
}

// Two instances over one state directory (a controller-only one and a node one, as the cluster
// may run them) see each other's volumes: nothing is cached in memory.
func TestSharedStateDir(t *testing.T) {
	state := t.TempDir()
	ctrl := startDriver(t, state, "")
	nodeSide := startDriver(t, state, "")
	v := createVolume(t, ctrl, &csi.CreateVolumeRequest{Name: "shared"})
	target := filepath.Join(t.TempDir(), "mnt")
	if err := publish(t, nodeSide, v.GetVolumeId(), target, false); err != nil {
		t.Fatalf("publish a volume created by the other instance: %v", err)
	}
	unpublish(t, nodeSide, v.GetVolumeId(), target)
}
