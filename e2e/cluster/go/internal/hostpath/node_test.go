package hostpath_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"

	"cairn.dev/e2e/cluster/internal/hostpath"
)

func publish(t *testing.T, d *driver, volumeID, target string, readonly bool) error {
	t.Helper()
	unmountOnCleanup(t, target)
	_, err := d.node.NodePublishVolume(ctx(t), &csi.NodePublishVolumeRequest{
		VolumeId: volumeID, TargetPath: target, VolumeCapability: mountCap()[0], Readonly: readonly,
	})
	return err
}

func unpublish(t *testing.T, d *driver, volumeID, target string) {
	t.Helper()
	if _, err := d.node.NodeUnpublishVolume(ctx(t), &csi.NodeUnpublishVolumeRequest{VolumeId: volumeID, TargetPath: target}); err != nil {
		t.Fatalf("NodeUnpublishVolume: %v", err)
	}
}

func mounted(t *testing.T, p string) bool {
	t.Helper()
	m, err := mountinfo.Mounted(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return m
}

func TestPublishUnpublish(t *testing.T) {
	d := startDriver(t, t.TempDir(), "")
	v := createVolume(t, d, &csi.CreateVolumeRequest{Name: "pub"})
	if err := os.WriteFile(filepath.Join(volumeDir(d, v.GetVolumeId()), "hello"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "pods/uid/volumes/kubernetes.io~csi/pvc/mount")

	for range 2 { // publishing twice is idempotent: one mount, no error
		if err := publish(t, d, v.GetVolumeId(), target, false); err != nil {
			t.Fatalf("NodePublishVolume: %v", err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(target, "hello")); err != nil || string(b) != "hi" {
		t.Fatalf("read through the mount: %q, %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(target, "written"), []byte("w"), 0o644); err != nil {
		t.Fatalf("write through a read-write mount: %v", err)
	}
	if !exists(t, filepath.Join(volumeDir(d, v.GetVolumeId()), "written")) {
		t.Error("a write through the mount did not reach the volume")
	}
	for range 2 { // unpublishing twice is idempotent too
		unpublish(t, d, v.GetVolumeId(), target)
	}
	if mounted(t, target) || exists(t, target) {
		t.Error("target still mounted or present after NodeUnpublishVolume")
	}

	ro := filepath.Join(t.TempDir(), "ro")
	if err := publish(t, d, v.GetVolumeId(), ro, true); err != nil {
		t.Fatalf("read-only NodePublishVolume: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(ro, "hello")); err != nil || string(b) != "hi" {
		t.Fatalf("read through the read-only mount: %q, %v", b, err)
	}
	err := os.WriteFile(filepath.Join(ro, "nope"), []byte("x"), 0o644)
	if !errors.Is(err, unix.EROFS) {
		t.Errorf("write through a read-only mount: %v, want EROFS", err)
	}
	unpublish(t, d, v.GetVolumeId(), ro)
	if mounted(t, ro) {
		t.Error("read-only target still mounted")
	}

	// Bad requests.
	err = publish(t, d, "vol-nope", filepath.Join(t.TempDir(), "x"), false)
	wantCode(t, err, codes.NotFound)
	_, err = d.node.NodePublishVolume(ctx(t), &csi.NodePublishVolumeRequest{
		VolumeId: v.GetVolumeId(), TargetPath: filepath.Join(t.TempDir(), "blk"), VolumeCapability: blockCap()[0]})
	wantCode(t, err, codes.InvalidArgument)
	_, err = d.node.NodePublishVolume(ctx(t), &csi.NodePublishVolumeRequest{VolumeId: v.GetVolumeId(), VolumeCapability: mountCap()[0]})
	wantCode(t, err, codes.InvalidArgument)

	info, err := d.node.NodeGetInfo(ctx(t), &csi.NodeGetInfoRequest{})
	if err != nil || info.GetNodeId() != "node-1" {
		t.Errorf("NodeGetInfo = %v, %v", info, err)
	}
}

func TestRegistrationSocket(t *testing.T) {
	regDir := shortTempDir(t)
	regSock := hostpath.RegistrationSocket(regDir, driverName)
	// A socket left behind by a killed earlier run must not stop the start.
	l, err := net.Listen("unix", regSock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = l.Close()

	d := startDriver(t, t.TempDir(), regDir)
	conn := dial(t, regSock)
	defer func() { _ = conn.Close() }()
	reg := registerapi.NewRegistrationClient(conn)
	info, err := reg.GetInfo(ctx(t), &registerapi.InfoRequest{})
	if err != nil {
		t.Fatalf("GetInfo: %v", err)
	}
	if info.GetType() != registerapi.CSIPlugin || info.GetName() != driverName || info.GetEndpoint() != d.sock ||
		len(info.GetSupportedVersions()) != 1 || info.GetSupportedVersions()[0] != "1.0.0" {
		t.Errorf("GetInfo = %v", info)
	}
	if _, err := reg.NotifyRegistrationStatus(ctx(t), &registerapi.RegistrationStatus{PluginRegistered: true}); err != nil {
		t.Errorf("NotifyRegistrationStatus: %v", err)
	}

	d.stop()
	if exists(t, regSock) || exists(t, d.sock) {
		t.Error("sockets left after Stop")
	}
}

func TestRefusesToReplaceANonSocket(t *testing.T) {
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "csi.sock")
	if err := os.WriteFile(sock, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := hostpath.Start(hostpath.Config{DriverName: driverName, NodeID: "n", StateDir: t.TempDir(),
		Endpoint: "unix://" + sock, Log: discardLog()})
	if err == nil {
		t.Fatal("Start replaced a regular file at the endpoint")
	}
	if b, _ := os.ReadFile(sock); string(b) != "not a socket" {
		t.Error("the file at the endpoint was changed")
	}
}
