package main

import (
	"context"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

func hup(t *testing.T, r *envoytest.Restarter) {
	t.Helper()
	if err := syscall.Kill(r.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// TestFailedEpochIsRestoredSoTheNextStarts: an epoch that dies while
// initializing (its listener's port is taken) leaves Envoy's shared memory
// marked, as a real Envoy's does; the restarter clears the mark, and the
// next epoch, with a good config, goes live. Without the restore that next
// epoch exits with "previous envoy process is still initializing".
func TestFailedEpochIsRestoredSoTheNextStarts(t *testing.T) {
	r, admin, adminPort := startStandin(t, envoytest.Options{DrainTimeS: 1, ParentShutdownTime: 2})
	cfg := r.Cmd.Args[slices.Index(r.Cmd.Args, "-c")+1]
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(cfg, []byte(envoytest.Config(adminPort, "backend", takenPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	hup(t, r)
	r.WaitLog(t, "epoch 1 failed while initializing; restored Envoy's hot-restart state", 10*time.Second)

	if err := os.WriteFile(cfg, []byte(envoytest.Config(adminPort, "backend", envoytest.FreePort(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &restart.Confirmer{Admin: admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}
	hup(t, r)
	info, _, err := c.Wait(context.Background(), 0, nil)
	if err != nil || restart.Epoch(info) != 1 {
		t.Fatalf("after the restore, epoch 1 did not go live: %v\n%s", err, r.Log())
	}
	if info.GetHotRestartInitializing() {
		t.Errorf("the new epoch reports hot_restart_initializing: true")
	}
	if strings.Contains(r.Log(), "\nprevious envoy process is still initializing\n") { // Envoy's bare line
		t.Errorf("an epoch met the mark the failed one left:\n%s", r.Log())
	}
}

// TestSIGHUPDuringInitializationIsHeld: a second SIGHUP while the new
// epoch still initializes would start an epoch Envoy refuses; it is held
// and starts the epoch after, once the first is done.
func TestSIGHUPDuringInitializationIsHeld(t *testing.T) {
	r, admin, _ := startStandin(t, envoytest.Options{DrainTimeS: 1, ParentShutdownTime: 2, ExtraArgs: []string{"--init-delay", "400ms"}})
	hup(t, r)
	r.WaitLog(t, "forking and execing new child process at epoch 1", 5*time.Second)
	hup(t, r)
	r.WaitLog(t, "got SIGHUP while epoch 1 is still initializing", 5*time.Second)
	c := &restart.Confirmer{Admin: admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}
	info, _, err := c.Wait(context.Background(), 1, nil)
	if err != nil || restart.Epoch(info) != 2 {
		t.Fatalf("epoch 2 never went live: %v\n%s", err, r.Log())
	}
	if strings.Contains(r.Log(), "exited with code=1") {
		t.Errorf("an epoch failed:\n%s", r.Log())
	}
}

// TestSIGUSR1IsHeldForAnInitializingEpoch: before its handlers are
// installed, SIGUSR1's default action would end the new epoch; it gets the
// signal once initialized.
func TestSIGUSR1IsHeldForAnInitializingEpoch(t *testing.T) {
	r, admin, _ := startStandin(t, envoytest.Options{DrainTimeS: 1, ParentShutdownTime: 2, ExtraArgs: []string{"--init-delay", "400ms"}})
	hup(t, r)
	r.WaitLog(t, "forking and execing new child process at epoch 1", 5*time.Second)
	if err := syscall.Kill(r.PID(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	r.WaitLog(t, "holding SIGUSR1 for epoch 1 until it is initialized", 5*time.Second)
	c := &restart.Confirmer{Admin: admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}
	if info, _, err := c.Wait(context.Background(), 0, nil); err != nil || restart.Epoch(info) != 1 {
		t.Fatalf("epoch 1 never went live: %v\n%s", err, r.Log())
	}
	r.WaitLog(t, "forwarding the held SIGUSR1 to epoch 1", 5*time.Second)
	// Epoch 0 at once, epoch 1 once initialized: both reopen their logs.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(r.Log(), "caught SIGUSR1. Reopening access logs.") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("not both epochs reopened their logs:\n%s", r.Log())
		}
		time.Sleep(10 * time.Millisecond) // polling a log that has no notification
	}
}

// TestStopStartsNoHeldEpoch: SIGTERM while a SIGHUP is held ends every
// epoch; the held one is never started.
func TestStopStartsNoHeldEpoch(t *testing.T) {
	r, _, _ := startStandin(t, envoytest.Options{DrainTimeS: 1, ParentShutdownTime: 2, ExtraArgs: []string{"--init-delay", "400ms"}})
	hup(t, r)
	r.WaitLog(t, "forking and execing new child process at epoch 1", 5*time.Second)
	hup(t, r)
	r.WaitLog(t, "got SIGHUP while epoch 1 is still initializing", 5*time.Second)
	if err := syscall.Kill(r.PID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the restarter did not end within 10 s of SIGTERM:\n%s", r.Log())
	}
	if after := r.Log()[strings.Index(r.Log(), "got SIGTERM"):]; strings.Contains(after, "forking and execing") {
		t.Errorf("an epoch was started after SIGTERM:\n%s", r.Log())
	}
}
