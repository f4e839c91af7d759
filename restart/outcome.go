package restart

import (
	"errors"
	"time"
)

// Outcome is what one hot restart found, however it ended. The error
// returned beside it says how it ended; the caller builds its report from
// both.
type Outcome struct {
	// Phase durations; zero when the phase did not run.
	EnvoyValidate, Reach, Signal, Confirm, Loaded time.Duration
	// EnvoyValidateAhead says the target's validate ran ahead, during the
	// wait for the save's batch (ahead.go): EnvoyValidate is only what was
	// left of it.
	EnvoyValidateAhead bool
	// PreviousEpoch and Epoch are the restart epochs before and after; nil
	// when not known.
	PreviousEpoch, Epoch *uint32
	// Warnings are said beside the result; EnvoyLog holds Envoy's own lines
	// about a failure (its validate-mode output or the container's log).
	Warnings []string
	EnvoyLog []string
	// Hint is what the user can do about the failure, when it is known.
	Hint string
	// StaleFields are the fields in which the loaded config differs from
	// the saved one (ErrStale after LIVE).
	StaleFields []string
}

// How a hot restart ended, for errors.Is. Every error Reload returns
// matches one of these, or ErrAmbiguous (the settings name several
// containers), or is a context error when interrupted.
var (
	// ErrUnreachable: the target could not be reached or signalled before
	// the signal took effect; Envoy is as it was, and the same save may be
	// tried again once the target answers.
	ErrUnreachable = errors.New("the target could not be reached")
	// ErrChangedSinceValidation: the bootstrap was saved again between its
	// validation and the signal; not signalled.
	ErrChangedSinceValidation = errors.New("not signalled: the bootstrap changed after it was validated; the newer save is checked next")
	// ErrEnvoyRejected: the target's own `envoy --mode validate` rejects the
	// config (Outcome.EnvoyLog says why); not signalled.
	ErrEnvoyRejected = errors.New("rejects the config (envoy --mode validate)")
	// ErrEnvoyValidateUnavailable: that validate could not run at all.
	ErrEnvoyValidateUnavailable = errors.New("envoy --mode validate could not run")
	// ErrTargetStopped: the target stopped while the new epoch was awaited.
	ErrTargetStopped = errors.New("the target stopped")
	// ErrChildExited: the restarter reported that the new epoch exited.
	ErrChildExited = errors.New("the new epoch exited")
	// ErrStale (freshness.go) and ErrNotConfirmed (confirm.go) complete the set.
)

// unreachableError marks a failure before the signal as ErrUnreachable
// while keeping its own message and cause.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string        { return e.err.Error() }
func (e *unreachableError) Unwrap() error        { return e.err }
func (e *unreachableError) Is(target error) bool { return target == ErrUnreachable }

// unreachable marks err as ErrUnreachable unless retrying cannot help: a
// target that names several containers stays ambiguous until its settings
// change.
func unreachable(err error) error {
	if errors.Is(err, ErrAmbiguous) {
		return err
	}
	return &unreachableError{err}
}
