// Command cairn-csi-hostpath is a minimal CSI driver for Cairn's single-node e2e cluster. It is
// the one test double on the path: everything else in that cluster is an upstream component
// (kubelet, external-provisioner, csi-snapshotter, snapshot-controller), but the storage behind
// the CSI calls is plain directories.
//
// Volumes are directories under --state-dir/volumes, snapshots are full copies under
// --state-dir/snapshots, and clones and restores copy from a volume or a snapshot, preserving
// owners, modes, times and symlinks. Publishing bind-mounts the volume onto the pod's target path.
// Metadata lives in small JSON files next to the directories, so state survives a restart, and a
// controller-only instance and a node instance may share one state directory.
//
// The module proxy does not serve node-driver-registrar, so with --plugin-registration-dir the
// driver serves the kubelet plugin registration API itself on <dir>/<driver-name>-reg.sock.
//
// Exit codes: 0 after SIGTERM/SIGINT, 1 on a runtime failure, 2 on bad flags.
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"cairn.dev/e2e/cluster/internal/hostpath"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("cairn-csi-hostpath", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg hostpath.Config
	fl.StringVar(&cfg.Endpoint, "endpoint", "", "CSI socket, unix:///path/csi.sock (required)")
	fl.StringVar(&cfg.NodeID, "node-id", "", "node name reported by NodeGetInfo (required)")
	fl.StringVar(&cfg.StateDir, "state-dir", "", "directory holding volumes, snapshots and their metadata (required)")
	fl.StringVar(&cfg.DriverName, "driver-name", "hostpath.csi.cairn.dev", "CSI driver name")
	fl.StringVar(&cfg.RegistrationDir, "plugin-registration-dir", "",
		"kubelet plugins_registry directory to register in; omit for a controller-only instance")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	for _, f := range []struct{ name, value string }{
		{"endpoint", cfg.Endpoint}, {"node-id", cfg.NodeID}, {"state-dir", cfg.StateDir}, {"driver-name", cfg.DriverName},
	} {
		if f.value == "" {
			_, _ = fmt.Fprintf(stderr, "cairn-csi-hostpath: --%s is required (see --help)\n", f.name)
			return 2
		}
	}
	if fl.NArg() > 0 {
		_, _ = fmt.Fprintf(stderr, "cairn-csi-hostpath: unexpected argument %q; all settings are flags\n", fl.Arg(0))
		return 2
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))

	// Subscribe before serving so a SIGTERM that arrives during start-up is not lost.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	srv, err := hostpath.Start(cfg)
	if err != nil {
		cfg.Log.Error("start failed", "error", err)
		return 1
	}
	select {
	case sig := <-sigs:
		cfg.Log.Info("stopping", "signal", sig.String())
		srv.Stop()
		return 0
	case err := <-srv.Errors():
		cfg.Log.Error("server stopped", "error", err)
		srv.Stop()
		return 1
	}
}
