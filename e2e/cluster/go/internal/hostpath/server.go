package hostpath

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// Config is what the command line sets.
type Config struct {
	DriverName string
	NodeID     string
	StateDir   string
	// Endpoint is unix:///path/csi.sock or a plain socket path.
	Endpoint string
	// RegistrationDir is the kubelet's plugins_registry directory; empty serves no registration
	// socket (a controller-only instance).
	RegistrationDir string
	Log             *slog.Logger
}

// Server is a running driver: the CSI socket and, optionally, the registration socket.
type Server struct {
	store    *Store
	csi, reg *grpc.Server
	sockets  []string
	errs     chan error
}

// SocketPath turns an --endpoint value into a socket path.
func SocketPath(endpoint string) (string, error) {
	p := strings.TrimPrefix(endpoint, "unix://")
	if p == "" || !filepath.IsAbs(p) {
		return "", fmt.Errorf("--endpoint %q must be unix:///absolute/path.sock", endpoint)
	}
	return p, nil
}

// RegistrationSocket is where the kubelet's plugin watcher looks for this driver.
func RegistrationSocket(dir, driverName string) string {
	return filepath.Join(dir, driverName+"-reg.sock")
}

// Start opens the state directory and serves CSI, then registration (so the kubelet never finds a
// registration socket whose CSI endpoint is not answering yet).
func Start(cfg Config) (*Server, error) {
	sock, err := SocketPath(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	store, err := OpenStore(cfg.StateDir, cfg.Log)
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, errs: make(chan error, 2)}
	s.csi = grpc.NewServer(grpc.UnaryInterceptor(logRPC(cfg.Log)))
	csi.RegisterIdentityServer(s.csi, &identityServer{name: cfg.DriverName})
	csi.RegisterControllerServer(s.csi, &controllerServer{store: store})
	csi.RegisterNodeServer(s.csi, &nodeServer{store: store, nodeID: cfg.NodeID})
	if err := s.serve(s.csi, sock); err != nil {
		s.Stop()
		return nil, err
	}
	if cfg.RegistrationDir != "" {
		s.reg = grpc.NewServer()
		registerapi.RegisterRegistrationServer(s.reg, &registrationServer{name: cfg.DriverName, endpoint: sock, log: cfg.Log})
		if err := s.serve(s.reg, RegistrationSocket(cfg.RegistrationDir, cfg.DriverName)); err != nil {
			s.Stop()
			return nil, err
		}
	}
	cfg.Log.Info("serving", "driver", cfg.DriverName, "node", cfg.NodeID, "endpoint", sock,
		"registration", cfg.RegistrationDir != "", "stateDir", cfg.StateDir)
	return s, nil
}

func (s *Server) serve(g *grpc.Server, sock string) error {
	if err := removeStaleSocket(sock); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(sock), 0o750); err != nil {
		return err
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", sock, err)
	}
	s.sockets = append(s.sockets, sock)
	go func() { s.errs <- g.Serve(l) }()
	return nil
}

// Errors reports a server that stopped serving on its own.
func (s *Server) Errors() <-chan error { return s.errs }

// Stop stops serving (registration first, so the kubelet sees the plugin go away) and removes
// the sockets.
func (s *Server) Stop() {
	for _, g := range []*grpc.Server{s.reg, s.csi} {
		if g != nil {
			g.Stop()
		}
	}
	for _, sock := range s.sockets {
		_ = os.Remove(sock)
	}
	_ = s.store.Close()
}

// removeStaleSocket removes a socket left by an earlier run; anything else at the path is an error
// rather than something to delete.
func removeStaleSocket(sock string) error {
	st, err := os.Lstat(sock)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket; remove it or choose another path", sock)
	}
	return os.Remove(sock)
}
