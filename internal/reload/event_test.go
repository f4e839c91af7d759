package reload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// TestRecordClassifiesByErrorNotByText: each way a hot restart ends gives
// its result, reason and retry from the error's identity, whatever the
// message says.
func TestRecordClassifiesByErrorNotByText(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		result Result
		reason Reason
		retry  bool
	}{
		{"confirmed", nil, ResultOK, "", false},
		{"stale", &restart.StaleError{Target: "container envoy", EnvoyPath: "/etc/envoy/envoy.yaml", HostPath: "/p/envoy.yaml"}, ResultStale, ReasonStale, false},
		{"envoy rejects", fmt.Errorf("the Envoy in x %w", restart.ErrEnvoyRejected), ResultInvalid, ReasonEnvoyRejected, false},
		{"validate could not run", fmt.Errorf("%w: no such file", restart.ErrEnvoyValidateUnavailable), ResultFailed, ReasonEnvoyValidateFailed, false},
		{"changed", restart.ErrChangedSinceValidation, ResultFailed, ReasonChanged, false},
		{"unreachable", fmt.Errorf("PID file: %w", restart.ErrUnreachable), ResultFailed, ReasonUnreachable, true},
		{"ambiguous", fmt.Errorf("%w: a, b", restart.ErrAmbiguous), ResultFailed, ReasonAmbiguous, false},
		{"stopped", fmt.Errorf("%w: %w", restart.ErrNotConfirmed, &restart.StoppedError{Target: "c", Status: "exited"}), ResultFailed, ReasonTargetStopped, false},
		{"child exited", fmt.Errorf("%w: %w", restart.ErrNotConfirmed, &restart.ChildFailedError{Code: 1}), ResultFailed, ReasonChildExited, false},
		{"not confirmed", fmt.Errorf("%w: no epoch above 3 was LIVE", restart.ErrNotConfirmed), ResultFailed, ReasonNotConfirmed, false},
		{"interrupted", fmt.Errorf("interrupted while confirming: %w", context.Canceled), ResultFailed, ReasonInterrupted, false},
		{"interrupted before the signal", fmt.Errorf("inspect: %w", fmt.Errorf("%w: %w", restart.ErrUnreachable, context.Canceled)), ResultFailed, ReasonInterrupted, false},
		{"a step's own deadline", fmt.Errorf("%w: %w", restart.ErrEnvoyValidateUnavailable, context.DeadlineExceeded), ResultFailed, ReasonEnvoyValidateFailed, false},
		// A message that reads like another outcome does not make it one.
		{"text is not identity", errors.New("the target could not be reached: Envoy did not take the new config"), ResultFailed, ReasonOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			epoch := uint32(2)
			ev := Event{Warnings: []string{"earlier"}}
			record(&ev, restart.Outcome{Signal: time.Millisecond, Epoch: &epoch, Warnings: []string{"later"}}, tt.err)
			if ev.Result != tt.result || ev.Reason != tt.reason || ev.Retry != tt.retry {
				t.Errorf("result %q reason %q retry %v, want %q %q %v", ev.Result, ev.Reason, ev.Retry, tt.result, tt.reason, tt.retry)
			}
			if (tt.err == nil) != (ev.Error == "") {
				t.Errorf("error text %q for %v", ev.Error, tt.err)
			}
			if ev.SignalMs == nil || ev.ConfirmMs != nil || ev.Epoch == nil || len(ev.Warnings) != 2 {
				t.Errorf("outcome not carried over: %+v", ev)
			}
		})
	}
}

// A valid config's event lists its diagnostics as [] in JSON, not null
// (scripts iterate over it).
func TestValidConfigEventHasAnEmptyDiagnosticsList(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	ev := (&Pipeline{Bootstrap: file}).Run(context.Background(), []string{file})
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Result != ResultDryRun || !strings.Contains(string(data), `"diagnostics":[]`) {
		t.Fatalf("event %s", data)
	}
}
