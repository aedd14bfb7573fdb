package hostpath_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestIdentity(t *testing.T) {
	d := startDriver(t, t.TempDir(), "")
	info, err := d.ident.GetPluginInfo(ctx(t), &csi.GetPluginInfoRequest{})
	if err != nil || info.GetName() != driverName || info.GetVendorVersion() == "" {
		t.Fatalf("GetPluginInfo = %v, %v", info, err)
	}
	caps, err := d.ident.GetPluginCapabilities(ctx(t), &csi.GetPluginCapabilitiesRequest{})
	if err != nil || len(caps.GetCapabilities()) != 1 ||
		caps.GetCapabilities()[0].GetService().GetType() != csi.PluginCapability_Service_CONTROLLER_SERVICE {
		t.Fatalf("GetPluginCapabilities = %v, %v", caps, err)
	}
	probe, err := d.ident.Probe(ctx(t), &csi.ProbeRequest{})
	if err != nil || !probe.GetReady().GetValue() {
		t.Fatalf("Probe = %v, %v", probe, err)
	}
	cc, err := d.ctrl.ControllerGetCapabilities(ctx(t), &csi.ControllerGetCapabilitiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[csi.ControllerServiceCapability_RPC_Type]bool{}
	for _, c := range cc.GetCapabilities() {
		got[c.GetRpc().GetType()] = true
	}
	for _, want := range []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME, csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT,
		csi.ControllerServiceCapability_RPC_CLONE_VOLUME, csi.ControllerServiceCapability_RPC_LIST_SNAPSHOTS,
	} {
		if !got[want] {
			t.Errorf("controller capability %s missing", want)
		}
	}
}

func TestCreateDeleteVolume(t *testing.T) {
	d := startDriver(t, t.TempDir(), "")
	req := &csi.CreateVolumeRequest{Name: "pvc-1", CapacityRange: &csi.CapacityRange{RequiredBytes: 5 << 20}}
	v := createVolume(t, d, req)
	if v.GetCapacityBytes() != 5<<20 || !strings.HasPrefix(v.GetVolumeId(), "vol-") {
		t.Fatalf("volume = %v", v)
	}
	var st unix.Stat_t
	if err := unix.Stat(volumeDir(d, v.GetVolumeId()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o7777 != 0o755 || st.Uid != 0 || st.Gid != 0 {
		t.Errorf("root of a new volume is %o %d:%d, want 755 0:0", st.Mode&0o7777, st.Uid, st.Gid)
	}
	if entries, _ := os.ReadDir(volumeDir(d, v.GetVolumeId())); len(entries) != 0 {
		t.Errorf("new volume without lostFound is not empty: %v", entries)
	}

	// Idempotent by name; a different size under the same name is a conflict.
	if again := createVolume(t, d, req); again.GetVolumeId() != v.GetVolumeId() {
		t.Errorf("second CreateVolume made %s, want %s", again.GetVolumeId(), v.GetVolumeId())
	}
	_, err := d.ctrl.CreateVolume(ctx(t), &csi.CreateVolumeRequest{Name: "pvc-1", VolumeCapabilities: mountCap(),
		CapacityRange: &csi.CapacityRange{RequiredBytes: 50 << 20}})
	wantCode(t, err, codes.AlreadyExists)

	// Bad requests.
	_, err = d.ctrl.CreateVolume(ctx(t), &csi.CreateVolumeRequest{Name: "blk", VolumeCapabilities: blockCap()})
	wantCode(t, err, codes.InvalidArgument)
	_, err = d.ctrl.CreateVolume(ctx(t), &csi.CreateVolumeRequest{VolumeCapabilities: mountCap()})
	wantCode(t, err, codes.InvalidArgument)
	_, err = d.ctrl.CreateVolume(ctx(t), &csi.CreateVolumeRequest{Name: "nocaps"})
	wantCode(t, err, codes.InvalidArgument)

	// ValidateVolumeCapabilities: mount confirmed, block not.
	vr, err := d.ctrl.ValidateVolumeCapabilities(ctx(t), &csi.ValidateVolumeCapabilitiesRequest{VolumeId: v.GetVolumeId(), VolumeCapabilities: mountCap()})
	if err != nil || vr.GetConfirmed() == nil {
		t.Errorf("validate mount = %v, %v", vr, err)
	}
	vr, err = d.ctrl.ValidateVolumeCapabilities(ctx(t), &csi.ValidateVolumeCapabilitiesRequest{VolumeId: v.GetVolumeId(), VolumeCapabilities: blockCap()})
	if err != nil || vr.GetConfirmed() != nil || vr.GetMessage() == "" {
		t.Errorf("validate block = %v, %v", vr, err)
	}
	_, err = d.ctrl.ValidateVolumeCapabilities(ctx(t), &csi.ValidateVolumeCapabilitiesRequest{VolumeId: "vol-nope", VolumeCapabilities: mountCap()})
	wantCode(t, err, codes.NotFound)

	for range 2 { // the second delete of the same id succeeds too
		if _, err := d.ctrl.DeleteVolume(ctx(t), &csi.DeleteVolumeRequest{VolumeId: v.GetVolumeId()}); err != nil {
			t.Fatal(err)
		}
	}
	if exists(t, volumeDir(d, v.GetVolumeId())) || exists(t, volumeDir(d, v.GetVolumeId())+".json") {
		t.Error("volume data or metadata left after DeleteVolume")
	}
	_, err = d.ctrl.DeleteVolume(ctx(t), &csi.DeleteVolumeRequest{})
	wantCode(t, err, codes.InvalidArgument)
}

func TestLostFoundParameter(t *testing.T) {
	d := startDriver(t, t.TempDir(), "")
	v := createVolume(t, d, &csi.CreateVolumeRequest{Name: "lf", Parameters: map[string]string{"lostFound": "true"}})
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(volumeDir(d, v.GetVolumeId()), "lost+found"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Mode&0o7777 != 0o700 || st.Uid != 0 || st.Gid != 0 {
		t.Errorf("lost+found is %o %d:%d, want a 0700 root:root directory", st.Mode, st.Uid, st.Gid)
	}
	entries, err := os.ReadDir(volumeDir(d, v.GetVolumeId()))
	if err != nil || len(entries) != 1 {
		t.Errorf("volume root holds %v, want only lost+found", entries)
	}

	_, err = d.ctrl.CreateVolume(ctx(t), &csi.CreateVolumeRequest{Name: "bad", VolumeCapabilities: mountCap(),
		Parameters: map[string]string{"lostFound": "yes"}})
	wantCode(t, err, codes.InvalidArgument)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "lostFound") {
		t.Errorf("error %q does not name the parameter", msg)
	}
}

func TestSnapshotRestoreAndClone(t *testing.T) {
	d := startDriver(t, t.TempDir(), "")
	src := createVolume(t, d, &csi.CreateVolumeRequest{Name: "src", CapacityRange: &csi.CapacityRange{RequiredBytes: 1 << 30}})
	srcDir := volumeDir(d, src.GetVolumeId())
	fillTree(t, srcDir)

	snapResp, err := d.ctrl.CreateSnapshot(ctx(t), &csi.CreateSnapshotRequest{Name: "snap-1", SourceVolumeId: src.GetVolumeId()})
	if err != nil {
		t.Fatal(err)
	}
	snap := snapResp.GetSnapshot()
	if !snap.GetReadyToUse() || snap.GetSizeBytes() != 1<<30 || snap.GetCreationTime() == nil || snap.GetSourceVolumeId() != src.GetVolumeId() {
		t.Fatalf("snapshot = %v", snap)
	}
	again, err := d.ctrl.CreateSnapshot(ctx(t), &csi.CreateSnapshotRequest{Name: "snap-1", SourceVolumeId: src.GetVolumeId()})
	if err != nil || again.GetSnapshot().GetSnapshotId() != snap.GetSnapshotId() {
		t.Errorf("second CreateSnapshot = %v, %v; want the same snapshot", again, err)
	}

	restoreReq := func(name string) *csi.CreateVolumeRequest {
		return &csi.CreateVolumeRequest{Name: name, VolumeContentSource: &csi.VolumeContentSource{
			Type: &csi.VolumeContentSource_Snapshot{Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: snap.GetSnapshotId()}}}}
	}
	restored := createVolume(t, d, restoreReq("restored"))
	if restored.GetCapacityBytes() != 1<<30 || restored.GetContentSource().GetSnapshot().GetSnapshotId() != snap.GetSnapshotId() {
		t.Errorf("restored volume = %v", restored)
	}
	clone := createVolume(t, d, &csi.CreateVolumeRequest{Name: "clone", VolumeContentSource: &csi.VolumeContentSource{
		Type: &csi.VolumeContentSource_Volume{Volume: &csi.VolumeContentSource_VolumeSource{VolumeId: src.GetVolumeId()}}}})
	t.Run("restore equals source", func(t *testing.T) { sameTree(t, srcDir, volumeDir(d, restored.GetVolumeId())) })
	t.Run("clone equals source", func(t *testing.T) { sameTree(t, srcDir, volumeDir(d, clone.GetVolumeId())) })

	// The snapshot is a copy: changing the source afterwards does not change what it restores.
	if err := os.WriteFile(filepath.Join(srcDir, "data/nested/deep/note.txt"), []byte("changed\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	later := createVolume(t, d, restoreReq("restored-later"))
	t.Run("snapshot is independent of its source", func(t *testing.T) {
		sameTree(t, volumeDir(d, restored.GetVolumeId()), volumeDir(d, later.GetVolumeId()))
	})

	// Sources that are missing or larger than the request.
	small := restoreReq("too-small")
	small.CapacityRange = &csi.CapacityRange{RequiredBytes: 1 << 20}
	small.VolumeCapabilities = mountCap()
	_, err = d.ctrl.CreateVolume(ctx(t), small)
	wantCode(t, err, codes.OutOfRange)
	missing := restoreReq("missing")
	missing.VolumeContentSource.GetSnapshot().SnapshotId = "snap-nope"
	missing.VolumeCapabilities = mountCap()
	_, err = d.ctrl.CreateVolume(ctx(t), missing)
	wantCode(t, err, codes.NotFound)
	_, err = d.ctrl.CreateSnapshot(ctx(t), &csi.CreateSnapshotRequest{Name: "snap-1", SourceVolumeId: clone.GetVolumeId()})
	wantCode(t, err, codes.AlreadyExists)
	_, err = d.ctrl.CreateSnapshot(ctx(t), &csi.CreateSnapshotRequest{Name: "snap-x", SourceVolumeId: "vol-nope"})
	wantCode(t, err, codes.NotFound)

	// Deleting the source volume leaves the snapshot usable.
	if _, err := d.ctrl.DeleteVolume(ctx(t), &csi.DeleteVolumeRequest{VolumeId: src.GetVolumeId()}); err != nil {
		t.Fatal(err)
	}
	createVolume(t, d, restoreReq("after-source-deleted"))
	for range 2 {
		if _, err := d.ctrl.DeleteSnapshot(ctx(t), &csi.DeleteSnapshotRequest{SnapshotId: snap.GetSnapshotId()}); err != nil {
			t.Fatal(err)
		}
	}
	if exists(t, filepath.Join(d.stateDir, "snapshots", snap.GetSnapshotId())) {
		t.Error("snapshot data left after DeleteSnapshot")
	}
}

func TestListSnapshots(t *testing.T) {
	d := startDriver(t, t.TempDir(), "")
	a := createVolume(t, d, &csi.CreateVolumeRequest{Name: "a"})
	b := createVolume(t, d, &csi.CreateVolumeRequest{Name: "b"})
	var ids []string
	for i, v := range []*csi.Volume{a, a, a, b} {
		r, err := d.ctrl.CreateSnapshot(ctx(t), &csi.CreateSnapshotRequest{Name: "s" + string(rune('0'+i)), SourceVolumeId: v.GetVolumeId()})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.GetSnapshot().GetSnapshotId())
	}
	list := func(req *csi.ListSnapshotsRequest) ([]string, string) {
		t.Helper()
		r, err := d.ctrl.ListSnapshots(ctx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range r.GetEntries() {
			out = append(out, e.GetSnapshot().GetSnapshotId())
		}
		return out, r.GetNextToken()
	}
	if got, _ := list(&csi.ListSnapshotsRequest{SnapshotId: ids[1]}); len(got) != 1 || got[0] != ids[1] {
		t.Errorf("by id: %v", got)
	}
	if got, _ := list(&csi.ListSnapshotsRequest{SnapshotId: "snap-nope"}); len(got) != 0 {
		t.Errorf("unknown id: %v", got)
	}
	if got, _ := list(&csi.ListSnapshotsRequest{SourceVolumeId: a.GetVolumeId()}); strings.Join(got, ",") != strings.Join(ids[:3], ",") {
		t.Errorf("by source: %v, want %v", got, ids[:3])
	}
	page1, next := list(&csi.ListSnapshotsRequest{MaxEntries: 3})
	page2, last := list(&csi.ListSnapshotsRequest{StartingToken: next})
	if strings.Join(append(page1, page2...), ",") != strings.Join(ids, ",") || next == "" || last != "" {
		t.Errorf("pages %v (next %q) + %v (next %q), want %v", page1, next, page2, last, ids)
	}
	_, err := d.ctrl.ListSnapshots(ctx(t), &csi.ListSnapshotsRequest{StartingToken: "bogus"})
	wantCode(t, err, codes.Aborted)
}

// Ids arrive in requests; one that is a path must not reach the filesystem.
func TestDeleteRefusesPathIDs(t *testing.T) {
	state := t.TempDir()
	d := startDriver(t, state, "")
	victim := filepath.Join(filepath.Dir(state), "victim")
	if err := os.MkdirAll(filepath.Join(victim, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../../victim", "../victim", "..", ".", "/"} {
		if _, err := d.ctrl.DeleteVolume(ctx(t), &csi.DeleteVolumeRequest{VolumeId: id}); err != nil {
			t.Errorf("DeleteVolume(%q): %v", id, err)
		}
		if _, err := d.ctrl.DeleteSnapshot(ctx(t), &csi.DeleteSnapshotRequest{SnapshotId: id}); err != nil {
			t.Errorf("DeleteSnapshot(%q): %v", id, err)
		}
	}
	if !exists(t, filepath.Join(victim, "x")) || !exists(t, filepath.Join(state, "volumes")) {
		t.Error("a path-shaped id deleted something outside the driver's objects")
	}
}
