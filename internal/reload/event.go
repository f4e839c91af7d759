package reload

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Result is how a reload attempt ended: Event.Result.
type Result string

// Results of a reload attempt.
const (
	ResultOK      Result = "ok"      // Envoy runs the new config: a higher epoch is LIVE
	ResultInvalid Result = "invalid" // the config was rejected before any signal
	ResultFailed  Result = "failed"  // signalled, but Envoy did not take the config (or could not be reached)
	ResultDryRun  Result = "dry-run" // valid; no signal sent by request
	// ResultStale: valid, but Envoy would not run the saved bytes (a
	// single-file bind mount that kept the old file, a bootstrap not mounted
	// from here); not signalled before, or found after LIVE by /config_dump.
	ResultStale Result = "stale"
)

// Reason says, for scripts, why an attempt did not end "ok": Event.Reason.
type Reason string

// Reasons an attempt did not end "ok".
const (
	ReasonInvalidConfig       Reason = "invalid_config"           // this tool's validation rejected it
	ReasonEnvoyRejected       Reason = "envoy_rejected"           // the target's envoy --mode validate rejected it
	ReasonEnvoyValidateFailed Reason = "envoy_validate_failed"    // that validate could not run
	ReasonChanged             Reason = "changed_since_validation" // saved again before the signal; the newer save follows
	ReasonUnreachable         Reason = "target_unreachable"       // not signalled: the target did not answer
	ReasonAmbiguous           Reason = "target_ambiguous"         // the settings match several containers
	ReasonStale               Reason = "stale"                    // Envoy would not run (or does not run) the saved bytes
	ReasonTargetStopped       Reason = "target_stopped"           // the target stopped after the signal
	ReasonChildExited         Reason = "child_exited"             // the restarter saw the new epoch exit
	ReasonNotConfirmed        Reason = "not_confirmed"            // no new epoch became LIVE in time
	ReasonInterrupted         Reason = "interrupted"              // stopped (Ctrl-C) during the attempt
	ReasonOther               Reason = "other"                    // none of the above: the error says what
)

// Event is one reload attempt. Its JSON form (one object per attempt, with
// "event":"reload") is a stable interface that editors and scripts read.
type Event struct {
	Event  string    `json:"event"`
	Envoy  string    `json:"envoy,omitempty"`
	Time   time.Time `json:"time"`
	Result Result    `json:"result"`
	// Reason is one of the Reason constants when Result is not "ok".
	Reason      Reason                 `json:"reason,omitempty"`
	Files       []string               `json:"files"`
	Diagnostics []bootstrap.Diagnostic `json:"diagnostics"`
	// Phase durations in milliseconds, present where the phase ran.
	ValidateMs      *float64 `json:"validate_ms,omitempty"`
	EnvoyValidateMs *float64 `json:"envoy_validate_ms,omitempty"`
	// EnvoyValidateAhead: the target's validate ran during the wait for the
	// batch; EnvoyValidateMs is only what was left of it.
	EnvoyValidateAhead bool     `json:"envoy_validate_ahead,omitempty"`
	ReachMs            *float64 `json:"reach_ms,omitempty"`
	SignalMs           *float64 `json:"signal_ms,omitempty"`
	ConfirmMs          *float64 `json:"confirm_ms,omitempty"`
	LoadedMs           *float64 `json:"loaded_ms,omitempty"`
	TotalMs            float64  `json:"total_ms"`
	// PreviousEpoch and Epoch are the restart epochs before and after.
	PreviousEpoch *uint32 `json:"previous_epoch,omitempty"`
	Epoch         *uint32 `json:"epoch,omitempty"`
	// Error says why a failed reload failed; EnvoyLog holds Envoy's own
	// lines about it (its validate-mode output or the container's log).
	Error    string   `json:"error,omitempty"`
	Hint     string   `json:"hint,omitempty"`
	EnvoyLog []string `json:"envoy_log,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Retry is set when the reload failed before any signal because the
	// target could not be reached: the loop retries the latest save.
	Retry bool `json:"retry,omitempty"`
	// Changes are the clusters, listeners and routes this reload added (+),
	// removed (-) or modified (~), e.g. "+cluster backend-v2".
	Changes []string `json:"changes,omitempty"`
	// StaleFields are the bootstrap's fields in which the config Envoy
	// loaded (/config_dump) differs from the saved one (result "stale").
	StaleFields []string `json:"stale_fields,omitempty"`

	// Bootstrap is the validated config, for callers; not serialised.
	Bootstrap *bootstrap.Result `json:"-"`
}

// Notice is a message of the loop that is not a reload attempt: the start,
// a deleted bootstrap, a watch problem. Its JSON form carries its own
// "event" value.
type Notice struct {
	Event   string    `json:"event"`
	Envoy   string    `json:"envoy,omitempty"`
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	Path    string    `json:"path,omitempty"`
}

// Millis converts a duration to milliseconds with two decimals.
func Millis(d time.Duration) *float64 {
	ms := math.Round(float64(d.Microseconds())/10) / 100
	return &ms
}

// millisIfRan is Millis for a phase that ran (a non-zero duration).
func millisIfRan(d time.Duration) *float64 {
	if d == 0 {
		return nil
	}
	return Millis(d)
}

// newEvent is where every Event begins, the start's and each attempt's.
func newEvent(kind string, start time.Time, files []string) Event {
	return Event{Event: kind, Time: start, Files: files, Diagnostics: []bootstrap.Diagnostic{}}
}

// validated puts this tool's verdict on res into ev, and tells whether
// the config is valid.
func (ev *Event) validated(res *bootstrap.Result) bool {
	ev.Bootstrap = res
	ev.Diagnostics = diagnosticsOf(res)
	if !res.Valid() {
		ev.Result, ev.Reason = ResultInvalid, ReasonInvalidConfig
		return false
	}
	ev.Result = ResultOK
	return true
}

// record puts what a hot restart found and how it ended into ev: the one
// place where outcomes become results, reasons and messages.
func record(ev *Event, out restart.Outcome, err error) {
	ev.EnvoyValidateMs = millisIfRan(out.EnvoyValidate)
	ev.EnvoyValidateAhead = out.EnvoyValidateAhead
	ev.ReachMs = millisIfRan(out.Reach)
	ev.SignalMs = millisIfRan(out.Signal)
	ev.ConfirmMs = millisIfRan(out.Confirm)
	ev.LoadedMs = millisIfRan(out.Loaded)
	ev.PreviousEpoch, ev.Epoch = out.PreviousEpoch, out.Epoch
	ev.Warnings = append(ev.Warnings, out.Warnings...)
	ev.EnvoyLog, ev.StaleFields, ev.Hint = out.EnvoyLog, out.StaleFields, out.Hint
	if err == nil {
		ev.Result = ResultOK
		return
	}
	ev.Error = err.Error()
	ev.Result, ev.Reason = classify(err)
	ev.Retry = ev.Reason == ReasonUnreachable
}

// classify maps a hot restart's error to a result and a reason.
func classify(err error) (Result, Reason) {
	switch {
	case errors.Is(err, context.Canceled):
		// Ctrl-C, whichever step it cut short; a deadline of one step (an
		// admin read, the bounded validate) is that step's failure.
		return ResultFailed, ReasonInterrupted
	case errors.Is(err, restart.ErrStale):
		return ResultStale, ReasonStale
	case errors.Is(err, restart.ErrEnvoyRejected):
		return ResultInvalid, ReasonEnvoyRejected
	case errors.Is(err, restart.ErrEnvoyValidateUnavailable):
		return ResultFailed, ReasonEnvoyValidateFailed
	case errors.Is(err, restart.ErrChangedSinceValidation):
		return ResultFailed, ReasonChanged
	case errors.Is(err, restart.ErrAmbiguous):
		return ResultFailed, ReasonAmbiguous
	case errors.Is(err, restart.ErrUnreachable):
		return ResultFailed, ReasonUnreachable
	case errors.Is(err, restart.ErrTargetStopped):
		return ResultFailed, ReasonTargetStopped
	case errors.Is(err, restart.ErrChildExited):
		return ResultFailed, ReasonChildExited
	case errors.Is(err, restart.ErrNotConfirmed):
		return ResultFailed, ReasonNotConfirmed
	}
	return ResultFailed, ReasonOther
}
