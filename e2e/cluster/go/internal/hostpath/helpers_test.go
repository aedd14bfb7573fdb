package hostpath_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"cairn.dev/e2e/cluster/internal/hostpath"
)

const driverName = "hostpath.csi.cairn.dev"

// driver is a running driver and a client connected to its CSI socket.
type driver struct {
	srv      *hostpath.Server
	conn     *grpc.ClientConn
	sock     string
	stateDir string
	ctrl     csi.ControllerClient
	node     csi.NodeClient
	ident    csi.IdentityClient
}

// shortTempDir returns a directory whose paths fit in a unix socket address (108 bytes), which
// t.TempDir() paths with long test names do not.
func shortTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "csi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// startDriver serves a driver on a fresh socket over stateDir; registrationDir may be empty.
func startDriver(t *testing.T, stateDir, registrationDir string) *driver {
	t.Helper()
	sock := filepath.Join(shortTempDir(t), "csi.sock")
	srv, err := hostpath.Start(hostpath.Config{
		DriverName:      driverName,
		NodeID:          "node-1",
		StateDir:        stateDir,
		Endpoint:        "unix://" + sock,
		RegistrationDir: registrationDir,
		Log:             discardLog(),
	})
	if err != nil {
		t.Fatalf("start driver: %v", err)
	}
	conn := dial(t, sock)
	d := &driver{srv: srv, conn: conn, sock: sock, stateDir: stateDir,
		ctrl: csi.NewControllerClient(conn), node: csi.NewNodeClient(conn), ident: csi.NewIdentityClient(conn)}
	t.Cleanup(d.stop)
	return d
}

func (d *driver) stop() {
	if d.srv != nil {
		_ = d.conn.Close()
		d.srv.Stop()
		d.srv = nil
	}
}

func dial(t *testing.T, sock string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", sock, err)
	}
	return conn
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mountCap() []*csi.VolumeCapability {
	return []*csi.VolumeCapability{{
		AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER},
	}}
}

func blockCap() []*csi.VolumeCapability {
	return []*csi.VolumeCapability{{
		AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER},
	}}
}

func createVolume(t *testing.T, d *driver, req *csi.CreateVolumeRequest) *csi.Volume {
	t.Helper()
	if req.VolumeCapabilities == nil {
		req.VolumeCapabilities = mountCap()
	}
	resp, err := d.ctrl.CreateVolume(ctx(t), req)
	if err != nil {
		t.Fatalf("CreateVolume %s: %v", req.Name, err)
	}
	return resp.GetVolume()
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func volumeDir(d *driver, id string) string { return filepath.Join(d.stateDir, "volumes", id) }

// unmountOnCleanup detaches anything still mounted at target when the test ends, pass or fail.
func unmountOnCleanup(t *testing.T, target string) {
	t.Cleanup(func() {
		for range 8 {
			if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
				break
			}
		}
	})
}

func exists(t *testing.T, p string) bool {
	t.Helper()
	_, err := os.Lstat(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// unmountAll detaches every mount under dir (deepest first), for cleanup after a failed test.
func unmountAll(t *testing.T, dir string) {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		t.Errorf("list mounts under %s: %v", dir, err)
		return
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := unix.Unmount(mounts[i].Mountpoint, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount leftover %s: %v", mounts[i].Mountpoint, err)
		}
	}
}
