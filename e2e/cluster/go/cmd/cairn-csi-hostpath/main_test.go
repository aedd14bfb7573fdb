package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--node-id", "n", "--state-dir", "/x"}, "--endpoint is required"},
		{[]string{"--endpoint", "unix:///x.sock", "--state-dir", "/x"}, "--node-id is required"},
		{[]string{"--endpoint", "unix:///x.sock", "--node-id", "n"}, "--state-dir is required"},
		{[]string{"--endpoint", "unix:///x.sock", "--node-id", "n", "--state-dir", "/x", "extra"}, "unexpected argument"},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line containing %q", tc.args, stderr.String(), tc.want)
		}
	}
}

// TestServesUntilSIGTERM runs the built binary as the cluster will: it serves CSI and the kubelet
// registration socket, answers a Probe, and on SIGTERM removes both sockets and exits 0.
func TestServesUntilSIGTERM(t *testing.T) {
	dir, err := os.MkdirTemp("", "csibin") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	bin := filepath.Join(dir, "cairn-csi-hostpath")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "plugin/csi.sock")
	regDir := filepath.Join(dir, "registry")
	regSock := filepath.Join(regDir, "hostpath.csi.cairn.dev-reg.sock")
	if err := os.MkdirAll(regDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--endpoint", "unix://"+sock, "--node-id", "node-1",
		"--state-dir", filepath.Join(dir, "state"), "--plugin-registration-dir", regDir)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The registration socket appears only once the CSI socket is serving.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(regSock); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("driver exited before serving: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond): // polling interval
		}
		if time.Now().After(deadline) {
			t.Fatalf("no registration socket after 10s\n%s", stderr.String())
		}
	}
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := csi.NewIdentityClient(conn).Probe(ctx, &csi.ProbeRequest{}); err != nil {
		t.Fatalf("Probe: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want 0\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("driver did not exit within 10s of SIGTERM")
	}
	for _, s := range []string{sock, regSock} {
		if _, err := os.Lstat(s); !os.IsNotExist(err) {
			t.Errorf("socket %s left after SIGTERM", s)
		}
	}
	if !strings.Contains(stderr.String(), "method=/csi.v1.Identity/Probe") {
		t.Errorf("no log line for the Probe RPC in:\n%s", stderr.String())
	}
}
