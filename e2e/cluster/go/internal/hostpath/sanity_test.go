package hostpath_test

import (
	"path/filepath"
	"testing"

	"github.com/kubernetes-csi/csi-test/v5/pkg/sanity"
)

// TestSanity runs the upstream CSI conformance suite (csi-test's csi-sanity) against the driver.
func TestSanity(t *testing.T) {
	d := startDriver(t, t.TempDir(), "")
	work := t.TempDir()
	cfg := sanity.NewTestConfig()
	cfg.Address = "unix://" + d.sock
	cfg.TargetPath = filepath.Join(work, "target")
	cfg.StagingPath = filepath.Join(work, "staging")
	cfg.TestVolumeSize = 10 << 20
	cfg.IDGen = &sanity.DefaultIDGenerator{}
	t.Cleanup(func() { unmountAll(t, work) })
	sanity.Test(t, cfg)
}
