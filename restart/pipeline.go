// Package restart runs the reload pipeline — validate, signal Envoy's hot
// restarter, confirm the new epoch on fresh admin connections — one reload at a time.
//
// It takes configs already parsed by config/bootstrap and knows Docker only
// through its Target implementations.
package restart

import (
	"context"
	"math"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// Results of a reload attempt, as reported in Event.Result.
const (
	ResultOK      = "ok"      // Envoy runs the new config: a higher epoch is LIVE
	ResultInvalid = "invalid" // the config was rejected before any signal
	ResultFailed  = "failed"  // signalled, but Envoy did not take the config (or could not be reached)
	ResultDryRun  = "dry-run" // valid; no signal sent by request
	// ResultStale: valid, but Envoy would not run the saved bytes (a
	// single-file bind mount that kept the old file, a bootstrap not mounted
	// from here); not signalled before, or found after LIVE by /config_dump.
	ResultStale = "stale"
)

// Event is one reload attempt. Its JSON form (one object per attempt, with
// "event":"reload") is a stable interface that editors and scripts read.
type Event struct {
	Event       string                 `json:"event"`
	Time        time.Time              `json:"time"`
	Result      string                 `json:"result"`
	Files       []string               `json:"files"`
	Diagnostics []bootstrap.Diagnostic `json:"diagnostics"`
	// Phase durations in milliseconds, present where the phase ran.
	ValidateMs      *float64 `json:"validate_ms,omitempty"`
	EnvoyValidateMs *float64 `json:"envoy_validate_ms,omitempty"`
	ReachMs         *float64 `json:"reach_ms,omitempty"`
	SignalMs        *float64 `json:"signal_ms,omitempty"`
	ConfirmMs       *float64 `json:"confirm_ms,omitempty"`
	LoadedMs        *float64 `json:"loaded_ms,omitempty"`
	TotalMs         float64  `json:"total_ms"`
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

// Millis converts a duration to milliseconds with two decimals.
func Millis(d time.Duration) *float64 {
	ms := math.Round(float64(d.Microseconds())/10) / 100
	return &ms
}

// Reloader hot-restarts Envoy with an already validated config and confirms
// it, filling ev's phases, epochs and, on failure, Result, Error and EnvoyLog.
type Reloader interface {
	Reload(ctx context.Context, ev *Event)
}

// Pipeline validates a changed bootstrap and, when it is valid, reloads.
type Pipeline struct {
	// Bootstrap is the bootstrap file's path.
	Bootstrap string
	Options   bootstrap.Options
	// Reloader is nil for a dry run.
	Reloader Reloader
}

// Run performs one reload attempt for the changed files.
func (p *Pipeline) Run(ctx context.Context, files []string) (ev Event) {
	start := time.Now()
	ev = Event{Event: "reload", Time: start, Files: files, Diagnostics: []bootstrap.Diagnostic{}}
	defer func() { ev.TotalMs = *Millis(time.Since(start)) }()

	res, err := bootstrap.LoadFile(p.Bootstrap, p.Options)
	ev.ValidateMs = Millis(time.Since(start))
	if err != nil {
		ev.Result, ev.Error = ResultInvalid, err.Error()
		return ev
	}
	ev.Bootstrap = res
	ev.Diagnostics = res.Diagnostics
	if !res.Valid() {
		ev.Result = ResultInvalid
		return ev
	}
	if p.Reloader == nil {
		ev.Result = ResultDryRun
		return ev
	}
	ev.Result = ResultOK
	p.Reloader.Reload(ctx, &ev)
	return ev
}
