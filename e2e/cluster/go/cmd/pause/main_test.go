package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildPause builds the real binary (static, as build.sh does) into a temp dir.
func buildPause(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pause")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitExit waits for cmd with a deadline, killing it if the deadline passes.
func waitExit(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("pause did not exit within 10s of the signal")
		return nil
	}
}

// TestExitsZeroOnSignal runs pause as an ordinary process. It writes its "not PID 1" warning only
// after subscribing to signals, so reading that line is the readiness handshake.
func TestExitsZeroOnSignal(t *testing.T) {
	bin := buildPause(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stderr).ReadString('\n')
			if err != nil || !strings.Contains(line, "not running as PID 1") {
				t.Fatalf("first stderr line %q, %v", line, err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := waitExit(t, cmd); err != nil {
				t.Fatalf("exit after %s: %v, want status 0", sig, err)
			}
		})
	}
}

// TestPID1InNewNamespace runs pause as PID 1 of a new PID namespace, where the kernel drops
// signals that have no handler, and checks it exits 0 on SIGTERM and reaps an orphan it inherits.
func TestPID1InNewNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a new PID namespace")
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("needs nsenter (util-linux)")
	}
	cmd := exec.Command(buildPause(t))
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // still running: the test failed before SIGTERM
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	pid := cmd.Process.Pid
	waitFor(t, "pause to block in its signal loop", func() bool { return allThreadsSleeping(t, pid) })

	// sh starts inside the namespace, backgrounds a reader of a fifo and exits: the reader is
	// orphaned and re-parented to the namespace's PID 1, pause. It exits when we write to the fifo,
	// and pause must then reap it.
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// nsenter's output is not captured: the orphan would inherit the pipe and keep it open.
	script := "read x < '" + fifo + "' & exit 0"
	nsCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exec.CommandContext(nsCtx, "nsenter", "-t", strconv.Itoa(pid), "-p", "--", "sh", "-c", script).Run(); err != nil {
		t.Fatalf("nsenter: %v", err)
	}
	kids := children(t, pid)
	if len(kids) != 1 {
		t.Fatalf("pause has children %v, want the orphaned reader", kids)
	}
	wrote := make(chan error, 1)
	go func() { wrote <- os.WriteFile(fifo, []byte("go\n"), 0o600) }() // blocks until the reader opens it
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the orphaned reader never opened the fifo")
	}
	waitFor(t, "the orphan to exit and be reaped", func() bool {
		_, err := os.Stat("/proc/" + kids[0])
		return errors.Is(err, os.ErrNotExist) // a zombie keeps its /proc entry until reaped
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, cmd); err != nil {
		t.Fatalf("exit after SIGTERM as PID 1: %v, want status 0", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

func allThreadsSleeping(t *testing.T, pid int) bool {
	t.Helper()
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/stat")
		if err != nil {
			return false
		}
		// The state follows the parenthesised command name.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) == 0 || fields[0] != "S" {
			return false
		}
	}
	return len(tasks) > 0
}

// children lists the host PIDs of pid's children, over all its threads.
func children(t *testing.T, pid int) []string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/children")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Fields(string(b))...)
	}
	return out
}
