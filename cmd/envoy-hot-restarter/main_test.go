package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

func startStandin(t *testing.T, o envoytest.Options) (*envoytest.Restarter, *restart.Admin, int) {
	t.Helper()
	adminPort := envoytest.FreePort(t)
	o.ConfigPath = filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(o.ConfigPath, []byte(envoytest.Config(adminPort, "backend", envoytest.FreePort(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	r := envoytest.StartRestarter(t, o)
	admin, err := restart.NewAdmin("http://127.0.0.1:"+strconv.Itoa(adminPort), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.WaitLog(t, "starting main dispatch loop", 10*time.Second)
	return r, admin, adminPort
}

// children lists the restarter's child processes with their ps state.
func children(t *testing.T, pid int) []string {
	t.Helper()
	out, err := exec.Command("ps", "-o", "pid=,stat=", "--ppid", strconv.Itoa(pid)).Output()
	if err != nil && len(out) > 0 {
		t.Fatal(err)
	}
	return strings.Fields(strings.TrimSpace(string(out)))
}

// TestTwentyRestartsLeaveNoZombies: every exited epoch is reaped.
func TestTwentyRestartsLeaveNoZombies(t *testing.T) {
	r, admin, _ := startStandin(t, envoytest.Options{DrainTimeS: 1, ParentShutdownTime: 1})
	c := &restart.Confirmer{Admin: admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}
	for epoch := uint32(1); epoch <= 20; epoch++ {
		_, before, err := c.Before(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(r.PID(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if info, _, err := c.Wait(context.Background(), before, nil); err != nil || restart.Epoch(info) != epoch {
			t.Fatalf("restart %d: %v", epoch, err)
		}
	}
	// Every parent is told to exit one second after its child is live.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(r.Log(), "exited with code=0") < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d epochs exited", strings.Count(r.Log(), "exited with code=0"))
		}
		time.Sleep(50 * time.Millisecond) // the parents exit on their own timers
	}
	ps := children(t, r.PID())
	t.Logf("ps --ppid %d after 20 restarts: %v", r.PID(), ps)
	if len(ps) != 2 { // one pid and one state: only the live epoch remains
		t.Fatalf("children after 20 restarts: %v, want just the live epoch", ps)
	}
	if strings.Contains(ps[1], "Z") {
		t.Fatalf("zombie child: %v", ps)
	}
}

func TestSignalsAreForwardedAndStatusIsKept(t *testing.T) {
	r, _, _ := startStandin(t, envoytest.Options{})
	if err := syscall.Kill(r.PID(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	r.WaitLog(t, "caught SIGUSR1. Reopening access logs.", 5*time.Second)
	if err := syscall.Kill(r.PID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := r.Cmd.Wait()
	if err != nil {
		t.Fatalf("after SIGTERM the restarter exited with %v, want status 0", err)
	}
	if !strings.Contains(r.Log(), "caught ENVOY_SIGTERM") {
		t.Errorf("SIGTERM did not reach the child")
	}
}

// TestExitModeKillsEverythingOnAFailedEpoch: hot-restarter.py's behaviour,
// the default: a child exiting non-zero ends all children and the
// restarter with status 1. (keep mode is covered by the restart and e2e tests.)
func TestExitModeKillsEverythingOnAFailedEpoch(t *testing.T) {
	r, _, _ := startStandin(t, envoytest.Options{OnChildFailure: "exit"})
	// The next epoch fails at once: the config file disappears.
	cfg := r.Cmd.Args[slices.Index(r.Cmd.Args, "-c")+1]
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(r.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	err := r.Cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("restarter exit %v, want status 1", err)
	}
	if !strings.Contains(r.Log(), "Due to abnormal exit, force killing all child processes and exiting") {
		t.Errorf("log:\n%s", r.Log())
	}
	if ps := children(t, r.PID()); len(ps) != 0 {
		t.Errorf("children left: %v", ps)
	}
}

func TestUsage(t *testing.T) {
	var out, errOut strings.Builder
	for _, args := range [][]string{{}, {"--on-child-failure=maybe", "--", "true"}} {
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}
