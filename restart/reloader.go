package restart

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
)

// Target is what receives the hot-restart signal.
type Target interface {
	Signal(ctx context.Context, sig syscall.Signal) error
	Describe() string
}

// Diagnoser is a target that can tell why a restart failed.
type Diagnoser interface {
	// Watchdog fails fast when the restart visibly failed.
	Watchdog(since time.Time) Watchdog
	// LogsSince returns the target's log lines since t (the last max).
	LogsSince(ctx context.Context, since time.Time, max int) []string
}

// Checker is a target that can tell whether it can take a signal now
// (reachable, running, not paused), and which instance of it runs: a
// container restarted or recreated is a new instance whose epochs start
// again at 0.
type Checker interface {
	Check(ctx context.Context) (instance string, err error)
}

// EnvoyValidator is a target that can run its own Envoy in validate mode.
type EnvoyValidator interface {
	EnvoyValidate(ctx context.Context) (ok bool, output []string, err error)
}

// Reacher is a target that can tell, before the signal, whether Envoy in
// it will read the validated bytes of files (see freshness.go).
type Reacher interface {
	Reach(ctx context.Context, files []WantFile) (unverified []string, err error)
}

// HotRestart reloads by signalling the hot restarter and confirming the
// new epoch through the admin endpoint.
type HotRestart struct {
	Target    Target
	Signal    syscall.Signal
	Confirmer *Confirmer
	// EnvoyValidate runs the target's `envoy --mode validate` first.
	EnvoyValidate bool

	// HostPath maps a file the bootstrap references to where it is here
	// (nil: relative to the bootstrap's directory).
	HostPath func(string) string

	// instance is the target instance of the last confirmed epoch.
	instance string
	// warnedUnverified is the instance last warned about files whose
	// freshness could not be verified: said once, not at every save.
	warnedUnverified string
}

// failedChild matches the restarter's line for a child that did not exit
// cleanly (hot-restarter.py and envoy-hot-restarter print the same).
var failedChild = regexp.MustCompile(`PID=\d+ exited with code=(\d+)`)

// ChildFailedError says the restarter reported the new epoch's failure.
type ChildFailedError struct{ Code int }

func (e *ChildFailedError) Error() string {
	return fmt.Sprintf("the new epoch exited with code %d", e.Code)
}

func childFailure(lines []string) error {
	for _, l := range lines {
		if m := failedChild.FindStringSubmatch(l); m != nil && m[1] != "0" {
			code, _ := strconv.Atoi(m[1])
			return &ChildFailedError{Code: code}
		}
	}
	return nil
}

// Reload implements Reloader.
func (h *HotRestart) Reload(ctx context.Context, ev *Event) {
	fail := func(err error, hint string) {
		ev.Result, ev.Error, ev.Hint = ResultFailed, err.Error(), hint
	}
	// Failures before the signal leave Envoy as it was: the loop may retry
	// them once the target answers, without ever applying a save twice.
	failBeforeSignal := func(err error, hint string) {
		fail(err, hint)
		ev.Retry = !errors.Is(err, ErrAmbiguous)
	}
	instance := ""
	if c, ok := h.Target.(Checker); ok {
		var err error
		if instance, err = c.Check(ctx); err != nil {
			failBeforeSignal(err, "")
			return
		}
		if h.instance != "" && instance != h.instance {
			h.Confirmer.Forget() // a new Envoy: its epochs start again
		}
	}
	if r, ok := h.Target.(Reacher); ok && ev.Bootstrap != nil {
		start := time.Now()
		unverified, err := r.Reach(ctx, h.wantFiles(ev))
		ev.ReachMs = Millis(time.Since(start))
		if err != nil {
			var stale *StaleError
			if errors.As(err, &stale) {
				ev.Result, ev.Error, ev.Hint = ResultStale, err.Error(), staleHint
				return
			}
			failBeforeSignal(err, "")
			return
		}
		if len(unverified) > 0 && h.warnedUnverified != instance {
			h.warnedUnverified = instance
			ev.Warnings = append(ev.Warnings, "could not verify that Envoy will read the saved bytes: "+strings.Join(unverified, "; "))
		}
	}
	beforeInfo, before, err := h.Confirmer.Before(ctx)
	switch {
	case errors.Is(err, ErrAdminDown):
		ev.Warnings = append(ev.Warnings, fmt.Sprintf("%v; signalling anyway, last confirmed epoch %d", err, before))
	case err != nil:
		failBeforeSignal(err, "is Envoy running, and is admin.url its admin address?")
		return
	}
	ev.PreviousEpoch = &before

	if v, ok := h.Target.(EnvoyValidator); ok && h.EnvoyValidate {
		start := time.Now()
		valid, out, err := v.EnvoyValidate(ctx)
		ev.EnvoyValidateMs = Millis(time.Since(start))
		switch {
		case err != nil:
			fail(fmt.Errorf("envoy --mode validate could not run: %w", err), "set validate.envoy_command, or validate.envoy: off")
			return
		case !valid:
			ev.Result, ev.Error, ev.EnvoyLog = ResultInvalid, "the Envoy in "+h.Target.Describe()+" rejects the config (envoy --mode validate)", out
			return
		}
	}

	// Envoy reads the file itself after the signal: a save made since it
	// was validated must not reach it unchecked. The watcher already holds
	// that save, which is validated next.
	if ev.Bootstrap != nil && !ev.Bootstrap.Unchanged() {
		fail(errors.New("not signalled: the bootstrap changed after it was validated; the newer save is checked next"), "")
		return
	}
	start := time.Now()
	signalled := start.Add(-50 * time.Millisecond) // a margin for the daemon's clock
	if err := h.Target.Signal(ctx, h.Signal); err != nil {
		ev.SignalMs = Millis(time.Since(start))
		failBeforeSignal(err, "")
		return
	}
	ev.SignalMs = Millis(time.Since(start))

	start = time.Now()
	var watchdog Watchdog
	diag, canDiagnose := h.Target.(Diagnoser)
	if canDiagnose {
		watchdog = diag.Watchdog(signalled)
	}
	info, failure, err := h.Confirmer.Wait(ctx, before, watchdog)
	ev.ConfirmMs = Millis(time.Since(start))
	if err == nil {
		h.instance = instance
		epoch := Epoch(info)
		ev.Epoch = &epoch
		for _, w := range []string{coldStartWarning(beforeInfo, info), drainWindowWarning(beforeInfo, epoch)} {
			if w != "" {
				ev.Warnings = append(ev.Warnings, w)
			}
		}
		if ev.Bootstrap != nil && ev.Bootstrap.Bootstrap != nil {
			h.verifyLoaded(ctx, ev, info)
		}
		return
	}
	if ctx.Err() != nil {
		fail(fmt.Errorf("interrupted while confirming: %w", ctx.Err()), "")
		return
	}
	h.diagnose(ctx, ev, err, failure, diag, canDiagnose, signalled)
}

// diagnose turns a failed confirmation into what the user needs to know.
func (h *HotRestart) diagnose(ctx context.Context, ev *Event, err error, failure *Failure, diag Diagnoser, canDiagnose bool, since time.Time) {
	ev.Result = ResultFailed
	var stopped *StoppedError
	var child *ChildFailedError
	switch {
	case errors.As(err, &stopped):
		ev.Error = fmt.Sprintf("%s: %v", ErrNotConfirmed, err)
		if canDiagnose {
			ev.EnvoyLog = diag.LogsSince(ctx, time.Time{}, 20)
		}
		return
	case errors.As(err, &child):
		ev.Error = fmt.Sprintf("%s: %v", ErrNotConfirmed, err)
	case failure != nil && failure.Refused:
		ev.Error = fmt.Sprintf("%s: the new epoch failed after the old one had closed its admin listener (%s refuses connections); "+
			"the old Envoy still serves traffic but has no admin until the next good reload", ErrNotConfirmed, h.Confirmer.Admin.URL())
	case failure != nil && failure.Stuck != "":
		ev.Error = fmt.Sprintf("%s: the new epoch came up but stayed %s", ErrNotConfirmed, failure.Stuck)
	default:
		ev.Error = err.Error()
	}
	if canDiagnose {
		ev.EnvoyLog = diag.LogsSince(ctx, since, 0)
	}
	ev.Hint = hintFor(ev.EnvoyLog)
}

// hintFor recognises Envoy failures whose cause is not what they say.
func hintFor(lines []string) string {
	for _, l := range lines {
		if strings.Contains(l, "cannot bind") && strings.Contains(l, "Address already in use") && strings.Contains(l, "error initializing configuration") && !strings.Contains(l, "error adding listener") {
			return "the new epoch could not bind the admin address, so it did not hot-restart from the running Envoy " +
				"(envoyproxy/envoy#38146): check that the start command passes --restart-epoch (the restarter's " +
				"{{epoch}} or $RESTART_EPOCH), the same --base-id and --socket-path as the running epoch, and that both run in " +
				"the same container or network namespace. Do not set SO_REUSEPORT on the admin socket: that hides this and " +
				"splits admin traffic between two independent Envoys."
		}
		if strings.Contains(l, "unable to bind domain socket") {
			return "another Envoy uses the same --base-id here; give each independent Envoy its own --base-id"
		}
	}
	return ""
}

// drainWindowWarning: Envoy keeps two generations, so starting epoch N+1
// ends epoch N-1; if N-1 was still draining (N became live less than the
// drain time ago, and the parent shutdown time has not ended it yet), its
// connections are cut (envoyproxy/envoy#15099).
func drainWindowWarning(before *adminv3.ServerInfo, epoch uint32) string {
	if before == nil || epoch < 2 {
		return ""
	}
	opts := before.GetCommandLineOptions()
	window := min(opts.GetDrainTime().AsDuration(), opts.GetParentShutdownTime().AsDuration())
	live := before.GetUptimeCurrentEpoch().AsDuration()
	if live >= window {
		return ""
	}
	return fmt.Sprintf("epoch %d was live only %s, inside its parent's drain window (%s): this restart ended epoch %d early and cut its connections (envoyproxy/envoy#15099)",
		epoch-1, live, window, epoch-2)
}

// coldStartWarning: an epoch whose uptime over all epochs is not above its
// own uptime started cold beside the old one instead of hot-restarting
// from it. Uptimes are whole seconds, so this is judged only once the old
// process had been up for a second.
func coldStartWarning(before, after *adminv3.ServerInfo) string {
	if before.GetUptimeAllEpochs().AsDuration() < time.Second {
		return ""
	}
	if after.GetUptimeAllEpochs().AsDuration() <= after.GetUptimeCurrentEpoch().AsDuration() {
		return fmt.Sprintf("epoch %d reports no uptime from earlier epochs: it started cold beside the old Envoy instead of hot-restarting from it", Epoch(after))
	}
	return ""
}
