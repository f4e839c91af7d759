package restart

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// offers is what a target offers beyond the signal, read from it in this
// one place: each optional step of a reload runs only where its target
// offers it, and is skipped otherwise.
type offers struct {
	check    Checker        // reachable now, and which instance runs
	reach    Reacher        // will Envoy read the validated bytes
	validate EnvoyValidator // its own envoy --mode validate
	diagnose Diagnoser      // a watchdog and its log, for why a restart failed
	paths    EnvoyPather    // where its Envoy sees files, to verify config_path
	self     SelfValidator  // its restarter validates on the signal
}

func offersOf(t Target) offers {
	var o offers
	o.check, _ = t.(Checker)
	o.reach, _ = t.(Reacher)
	o.validate, _ = t.(EnvoyValidator)
	o.diagnose, _ = t.(Diagnoser)
	o.paths, _ = t.(EnvoyPather)
	o.self, _ = t.(SelfValidator)
	return o
}

// attempt is one Reload under way: what its steps found so far.
type attempt struct {
	*HotRestart
	offers
	res   *bootstrap.Result
	files []WantFile
	out   *Outcome

	instance   string // the target instance, as Checker names it
	beforeInfo *adminv3.ServerInfo
	before     uint32    // the last epoch seen before the signal
	signalled  time.Time // when the signal went, less the daemon clock's margin
	// selfValidated: the restarter validates the config on the signal, so
	// no validate runs before it.
	selfValidated bool
	// loadedRead is /config_dump's bootstrap, read beside the /server_info
	// that confirmed the epoch (nil: verifyLoaded reads it).
	loadedRead <-chan loadedBootstrap
}

// checkTarget: the target can take a signal now, and a new instance of
// it (a container recreated) starts its epochs again.
func (a *attempt) checkTarget(ctx context.Context) error {
	if a.check == nil {
		return nil
	}
	instance, err := a.check.Check(ctx)
	if err != nil {
		return unreachable(err)
	}
	if a.HotRestart.instance != "" && instance != a.HotRestart.instance {
		a.Confirmer.Forget()
	}
	a.instance = instance
	return nil
}

// reachFiles: Envoy in the target will read the validated bytes.
func (a *attempt) reachFiles(ctx context.Context) error {
	if a.reach == nil || a.res == nil {
		return nil
	}
	start := time.Now()
	unverified, err := a.reach.Reach(ctx, a.files)
	a.out.Reach = time.Since(start)
	switch {
	case errors.Is(err, ErrStale):
		a.out.Hint = staleHint
		return err
	case err != nil:
		return unreachable(err)
	}
	if len(unverified) > 0 && a.warnedUnverified != a.instance {
		a.warnedUnverified = a.instance
		a.out.Warnings = append(a.out.Warnings, "could not verify that Envoy will read the saved bytes: "+strings.Join(unverified, "; "))
	}
	return nil
}

// readEpochBefore reads the running epoch, over a fresh connection.
func (a *attempt) readEpochBefore(ctx context.Context) error {
	a.Confirmer.ClosedByFailedEpoch = nil
	if a.diagnose != nil && a.instance != "" {
		a.Confirmer.ClosedByFailedEpoch = func(ctx context.Context) bool {
			return newestEpochFailed(a.diagnose.LogsSince(ctx, time.Time{}, failureEvidenceLines))
		}
	}
	if info, epoch, ok := a.HotRestart.epochReadAhead(a.instance); ok && a.Confirmer.stillAt(ctx, epoch) {
		a.beforeInfo, a.before = info, epoch
		a.out.PreviousEpoch = &epoch
		return nil
	}
	beforeInfo, before, err := a.Confirmer.Before(ctx)
	switch {
	case errors.Is(err, ErrAdminDown) && beforeInfo == nil && a.Confirmer.blind:
		a.out.Warnings = append(a.out.Warnings, fmt.Sprintf("%v; signalling anyway, and taking a LIVE epoch begun after the signal as the new one", err))
	case errors.Is(err, ErrAdminDown):
		a.out.Warnings = append(a.out.Warnings, fmt.Sprintf("%v; signalling anyway, last confirmed epoch %d", err, before))
	case errors.Is(err, ErrHotRestartInitializing):
		a.out.Hint = "a failed epoch left Envoy's hot restart wedged (envoyproxy/envoy#33446): restart the container once, " +
			"and run Envoy under envoy-hot-restarter, which restores the state after a failed epoch"
		return unreachable(err)
	case err != nil:
		a.out.Hint = "is Envoy running, and is admin.url its admin address?"
		return unreachable(err)
	}
	a.beforeInfo, a.before = beforeInfo, before
	a.out.PreviousEpoch = &before
	return nil
}

// envoyValidate: the target's own Envoy accepts the config.
func (a *attempt) envoyValidate(ctx context.Context) error {
	if a.validate == nil || !a.EnvoyValidate {
		return nil
	}
	if a.self != nil && a.self.ValidatesOnSignal(ctx) {
		a.selfValidated = true
		return nil
	}
	verdict, took, ahead, err := a.HotRestart.envoyValidate(ctx, a.validate, a.files, a.instance)
	a.out.EnvoyValidate, a.out.EnvoyValidateAhead = took, ahead
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("interrupted during envoy --mode validate: %w", ctx.Err())
	case err != nil:
		a.out.Hint = "set validate.envoy_command, or validate.envoy: off"
		return fmt.Errorf("%w: %w", ErrEnvoyValidateUnavailable, err)
	case !verdict.OK:
		a.out.EnvoyLog = verdict.Output
		return fmt.Errorf("the Envoy in %s %w", a.Target.Describe(), ErrEnvoyRejected)
	}
	return nil
}

// unchangedSinceValidation: Envoy reads the file itself after the signal,
// so a save made since it was validated must not reach it unchecked. The
// watcher already holds that save, which is validated next.
func (a *attempt) unchangedSinceValidation(context.Context) error {
	if a.res != nil && !a.res.Unchanged() {
		return ErrChangedSinceValidation
	}
	return nil
}

// signal sends the hot-restart signal.
func (a *attempt) signal(ctx context.Context) error {
	start := time.Now()
	a.signalled = start.Add(-50 * time.Millisecond) // a margin for the daemon's clock
	err := a.Target.Signal(ctx, a.HotRestart.Signal)
	a.out.Signal = time.Since(start)
	if err != nil {
		return unreachable(err)
	}
	return nil
}

// confirm waits for a new epoch LIVE over fresh connections, then proves
// it runs the saved config; on failure it reads why from the target.
func (a *attempt) confirm(ctx context.Context) error {
	start := time.Now()
	var watchdog Watchdog
	if a.diagnose != nil {
		watchdog = a.diagnose.Watchdog(a.signalled)
	}
	prefetch := a.prefetchLoaded(ctx)
	defer prefetch.stop()
	info, failure, withLive, err := a.Confirmer.wait(ctx, a.before, watchdog, prefetch.start)
	a.out.Confirm = time.Since(start)
	if withLive {
		a.loadedRead = prefetch.last
	}
	if err == nil {
		a.HotRestart.instance = a.instance
		epoch := Epoch(info)
		a.out.Epoch = &epoch
		for _, w := range []string{coldStartWarning(a.beforeInfo, info), drainWindowWarning(a.beforeInfo, epoch)} {
			if w != "" {
				a.out.Warnings = append(a.out.Warnings, w)
			}
		}
		if a.res != nil && a.res.Bootstrap != nil {
			return a.verifyLoaded(ctx, a.out, a.res, info)
		}
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted while confirming: %w", ctx.Err())
	}
	var rejected *RejectedError
	if errors.As(err, &rejected) {
		// The restarter refused the config: no epoch started.
		a.out.EnvoyLog = rejected.Output
		return fmt.Errorf("the Envoy in %s %w", a.Target.Describe(), ErrEnvoyRejected)
	}
	if a.diagnose != nil {
		since := a.signalled
		if errors.Is(err, ErrTargetStopped) {
			since = time.Time{} // its last lines, whenever written, say why it stopped
		}
		a.out.EnvoyLog = a.diagnose.LogsSince(ctx, since, logLinesFor(err))
	}
	a.out.Hint = hintFor(a.out.EnvoyLog)
	return a.notConfirmed(err, failure)
}
