package local

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// shellEnvoy is a command line shaped like Envoy's (-c first) whose epochs
// are shells: what the supervisor does with processes, signals and output
// needs no real Envoy (e2e/local runs the real one). Each epoch prints a
// line at Envoy's info and warning levels with its RESTART_EPOCH, then
// runs script.
func shellEnvoy(script string) []string {
	return []string{"sh", "-c", `echo "[2026-01-01 00:00:00.000][1][info][main] [x.cc:1] info of $RESTART_EPOCH"; ` +
		`echo "[2026-01-01 00:00:00.000][1][warning][main] [x.cc:1] warning of $RESTART_EPOCH"; ` + script, "envoy.yaml"}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // the processes' output has no event to wait on
	}
}

// TestSupervisorStartsEpochsAndEndsThemAll: SIGHUP starts the next epoch
// with RESTART_EPOCH and --restart-epoch; Envoy's lines are shown from the
// chosen level, prefixed by their epoch; Stop ends every epoch, one that
// ignores SIGTERM by SIGKILL; no goroutine is left.
func TestSupervisorStartsEpochsAndEndsThemAll(t *testing.T) {
	defer goleak.VerifyNone(t)
	out := &envoytest.SyncBuffer{}
	s := &Supervisor{Argv: shellEnvoy(`trap "" TERM; echo "args: $*"; while :; do sleep 0.05; done`), Out: out, Level: LevelWarning, StopTimeout: 300 * time.Millisecond}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Signal(context.Background(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both epochs' lines", func() bool {
		return strings.Contains(out.String(), "[epoch 0] args: --restart-epoch 0") && strings.Contains(out.String(), "[epoch 1] args: --restart-epoch 1")
	})
	got := out.String()
	for _, want := range []string{"[epoch 0] [2026-01-01 00:00:00.000][1][warning][main] [x.cc:1] warning of 0", "[epoch 1] [2026-01-01 00:00:00.000][1][warning][main] [x.cc:1] warning of 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "info of") {
		t.Errorf("info lines shown at level warning:\n%s", got)
	}
	// The lines that say why an epoch failed: its warnings, not its info.
	logs := s.LogsSince(context.Background(), time.Time{}, 0)
	if !slices.Contains(logs, "[2026-01-01 00:00:00.000][1][warning][main] [x.cc:1] warning of 1") || slices.Contains(logs, "[2026-01-01 00:00:00.000][1][info][main] [x.cc:1] info of 1") {
		t.Errorf("the lines for diagnosis: %q", logs)
	}
	pids := s.pids()
	if len(pids) != 2 {
		t.Fatalf("epochs running: %v", pids)
	}
	s.Stop()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("epoch process %d is still there after Stop: %v", pid, err)
		}
	}
	if !strings.Contains(s.Exit(), "exited with code 137") {
		t.Errorf("exit %q: the TERM-ignoring epochs were not killed", s.Exit())
	}
}

func (s *Supervisor) pids() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pids []int
	for pid := range s.epochs {
		pids = append(pids, pid)
	}
	return pids
}

// TestSupervisorFailedEpoch: a new epoch that exits non-zero is the
// watchdog's failure, its number is used again by the next epoch, and the
// running one keeps going; once no epoch is left, Gone closes and Check
// fails.
func TestSupervisorFailedEpoch(t *testing.T) {
	defer goleak.VerifyNone(t)
	marker := t.TempDir() + "/fail"
	// Epochs fail while the marker file exists.
	s := &Supervisor{Argv: shellEnvoy(`if [ -e ` + marker + ` ]; then exit 3; fi; echo "serving $RESTART_EPOCH"; exec sleep 30`)}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	logs := func() string { return strings.Join(s.LogsSince(context.Background(), time.Time{}, 0), "\n") }
	waitFor(t, "epoch 0 serving", func() bool { return strings.Contains(logs(), "serving 0") })
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	if err := s.Signal(context.Background(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	watchdog := s.Watchdog(signalled)
	var failed error
	waitFor(t, "the watchdog to see epoch 1 fail", func() bool { failed = watchdog(context.Background()); return failed != nil })
	var child *restart.ChildFailedError
	if !errors.As(failed, &child) || child.Code != 3 {
		t.Fatalf("watchdog: %v", failed)
	}
	if instance, err := s.Check(context.Background()); err != nil || instance == "" {
		t.Fatalf("Check with epoch 0 running: %q, %v", instance, err)
	}
	since := strings.Join(s.LogsSince(context.Background(), signalled, 0), "\n")
	if !strings.Contains(since, "exited with code=3") || !strings.Contains(since, "next restart is epoch 1") {
		t.Errorf("the failure is not in the log since the signal:\n%s", since)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	if err := s.Signal(context.Background(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "epoch 1 serving", func() bool { return strings.Contains(logs(), "serving 1") })
	if got := strings.Count(logs(), "at epoch 1"); got != 2 {
		t.Errorf("epoch 1 started %d times, want 2 (the failed number used again)", got)
	}
	for _, pid := range s.pids() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case <-s.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("Gone did not close once every epoch was killed")
	}
	if _, err := s.Check(context.Background()); err == nil {
		t.Error("Check passed with no epoch left")
	}
}

func TestCheckArgv(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		wantErr string
	}{
		{[]string{"envoy", "-c", "envoy.yaml", "--base-id", "3"}, ""},
		{[]string{"envoy", "--config-path=envoy.yaml"}, ""},
		{nil, "no Envoy command"},
		{[]string{"envoy", "--concurrency", "1"}, "has no -c"},
		{[]string{"envoy", "-c", "e.yaml", "--restart-epoch", "0"}, "leave --restart-epoch out"},
		{[]string{"envoy", "-c", "e.yaml", "--use-dynamic-base-id"}, "give a fixed --base-id"},
		{[]string{"envoy", "-c", "e.yaml", "--mode=validate"}, "leave --mode out"},
	} {
		err := CheckArgv(tc.argv)
		if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("CheckArgv(%q) = %v, want %q", tc.argv, err, tc.wantErr)
		}
	}
}

func TestLineLevel(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Level
		ok   bool
	}{
		{"[2026-12-03 05:44:41.175][2428][warning][main] [source/server/server.cc:1059] There is no configured limit", LevelWarning, true},
		{"[2026-12-03 05:44:41.175][2428][critical][main] [source/server/server.cc:1] error initializing config", LevelCritical, true},
		{"[2026-12-03 05:44:41.175][2428][info][main] [x] y", LevelInfo, true},
		{"previous envoy process is still initializing", 0, false},
		{"[oops", 0, false},
	} {
		got, ok := lineLevel(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("lineLevel(%q) = %v, %v; want %v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel took an unknown level")
	}
}

func TestLogRingKeepsTheLast(t *testing.T) {
	r := newLogRing(3)
	for i := range 5 {
		r.add(strconv.Itoa(i), Level(i))
	}
	if got := r.since(time.Time{}, 0, 0); !slices.Equal(got, []string{"2", "3", "4"}) {
		t.Errorf("kept %q", got)
	}
	if got := r.since(time.Time{}, LevelWarning, 0); !slices.Equal(got, []string{"3", "4"}) {
		t.Errorf("at warning and above: %q", got)
	}
	if got := r.since(time.Time{}, 0, 1); !slices.Equal(got, []string{"4"}) {
		t.Errorf("last 1: %q", got)
	}
}
