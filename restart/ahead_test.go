package restart

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// validatingProcess is a local Envoy whose `--mode validate` is counted
// and whose verdict the test sets.
type validatingProcess struct {
	*pidTarget
	runs    atomic.Int32
	rejects atomic.Bool
}

func (v *validatingProcess) EnvoyValidate(ctx context.Context, _ bool) (Validation, error) {
	v.runs.Add(1)
	instance, err := v.Check(ctx)
	if err != nil {
		return Validation{}, err
	}
	if v.rejects.Load() {
		return Validation{Output: []string{"error initializing configuration: rejected by the test"}, Instance: instance}, nil
	}
	return Validation{OK: true, Instance: instance}, nil
}

// A validate run ahead of its reload is used for the very bytes it judged,
// its verdict included, and run again when a file changed since.
func TestEnvoyValidateRunAheadIsUsedOnlyForTheSameBytes(t *testing.T) {
	e := startLocalEnvoy(t)
	target := &validatingProcess{pidTarget: &pidTarget{PID: e.restarter.PID()}}
	h := &HotRestart{Target: target, Signal: syscall.SIGHUP, Confirmer: e.confirmer(), EnvoyValidate: true}
	ca := filepath.Join(filepath.Dir(e.config), "ca.pem")
	writeFile(t, ca, "ca v1\n")
	save := func(body string) {
		writeFile(t, e.config, envoytest.HTTPConfig(e.adminPort, body, e.listenerPort, ca))
	}

	// The same bytes: one run, ahead.
	save("v2")
	res := loadFile(t, e.config)
	h.Prepare(context.Background(), res)
	out, err := h.Reload(context.Background(), res)
	if err != nil || target.runs.Load() != 1 || out.EnvoyValidate == 0 || !out.EnvoyValidateAhead {
		t.Fatalf("reload: %v, %d validate runs, want 1 (ahead); phase %s", err, target.runs.Load(), out.EnvoyValidate)
	}

	// A referenced file changed after the run ahead: run again.
	save("v3")
	res = loadFile(t, e.config)
	h.Prepare(context.Background(), res)
	writeFile(t, ca, "ca v2\n")
	if _, err := h.Reload(context.Background(), res); err != nil || target.runs.Load() != 3 {
		t.Fatalf("reload: %v, %d validate runs, want 3 (the one ahead judged the old certificate)", err, target.runs.Load())
	}

	// A rejection ahead is a rejection: no signal.
	save("v4")
	res = loadFile(t, e.config)
	target.rejects.Store(true)
	h.Prepare(context.Background(), res)
	target.rejects.Store(false) // a run now would accept: only the verdict ahead rejects
	out, err = h.Reload(context.Background(), res)
	if !errors.Is(err, ErrEnvoyRejected) || len(out.EnvoyLog) != 1 || target.runs.Load() != 4 {
		t.Fatalf("reload: %v %q, %d runs, want the rejection ahead", err, out.EnvoyLog, target.runs.Load())
	}
	if got := e.listenerEpoch(t); got != "2" {
		t.Fatalf("listener served by epoch %s, want 2: the rejected config was signalled", got)
	}
}

// A verdict ahead is taken once: a later reload of the same bytes (a retry,
// a revert) validates again, for the container may have changed meanwhile.
func TestEnvoyValidateRunAheadIsTakenOnce(t *testing.T) {
	e := startLocalEnvoy(t)
	target := &validatingProcess{pidTarget: &pidTarget{PID: e.restarter.PID()}}
	h := &HotRestart{Target: target, Signal: syscall.SIGHUP, Confirmer: e.confirmer(), EnvoyValidate: true}
	writeFile(t, e.config, envoytest.HTTPConfig(e.adminPort, "v2", e.listenerPort, ""))
	res := loadFile(t, e.config)
	h.Prepare(context.Background(), res)
	if out, err := h.Reload(context.Background(), res); err != nil || !out.EnvoyValidateAhead || target.runs.Load() != 1 {
		t.Fatalf("first reload: %v, ahead %v, %d runs", err, out.EnvoyValidateAhead, target.runs.Load())
	}
	if out, err := h.Reload(context.Background(), res); err != nil || out.EnvoyValidateAhead || target.runs.Load() != 2 {
		t.Fatalf("second reload of the same bytes: %v, ahead %v, %d runs, want a run of its own", err, out.EnvoyValidateAhead, target.runs.Load())
	}
}
