// Command pause is the pod sandbox's PID 1 for Cairn's e2e cluster, built here because there is
// no registry to pull registry.k8s.io/pause from. Like upstream's pause.c it sleeps until SIGINT or
// SIGTERM (then exits 0) and reaps every child it inherits, so zombies never pile up in a pod that
// shares its PID namespace.
//
// As PID 1 of a namespace it only receives the signals it has handlers for, which is why both are
// subscribed explicitly. Build it static (CGO_ENABLED=0): it runs in an otherwise empty rootfs.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		_, _ = os.Stdout.WriteString("pause (cairn e2e)\n")
		return
	}
	if os.Getpid() != 1 {
		_, _ = os.Stderr.WriteString("pause: warning: not running as PID 1\n")
	}
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		os.Exit(0)
	}
}

// reap collects every exited child. Signals coalesce, so one SIGCHLD may stand for many exits.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
