// Package restart hot-restarts one Envoy and proves it took the config:
// the protocol a target plugs into (the steps it offers, steps.go), the
// signal, the epoch confirmation on fresh admin connections, and why a
// restart failed. The targets are restart/docker and restart/local.
//
// It takes a config already validated by config/bootstrap and returns a
// typed Outcome and error (outcome.go); it knows nothing of watching or of
// the reload loop.
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

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
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
	// EnvoyValidate validates in the instance Check found, or, with
	// lookup, in the one running now (a run ahead of the reload); it says
	// which instance judged, so that a verdict is never used for another.
	EnvoyValidate(ctx context.Context, lookup bool) (Validation, error)
}

// Validation is the verdict of a target's own `envoy --mode validate`.
type Validation struct {
	OK       bool
	Output   []string
	Instance string // as Checker.Check names it
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

	// ahead is the target's validate run ahead of its reload (ahead.go).
	ahead aheadRuns

	// instance is the target instance of the last confirmed epoch.
	instance string
	// warnedUnverified is the instance last warned about files whose
	// freshness could not be verified: said once, not at every save.
	warnedUnverified string
}

// exitedChild matches the restarter's line for a child that exited, with
// its PID and code (hot-restarter.py and envoy-hot-restarter print the same).
var exitedChild = regexp.MustCompile(`PID=(\d+) exited with code=(\d+)`)

// ChildFailedError says the restarter reported the new epoch's failure.
type ChildFailedError struct{ Code int }

// Is makes errors.Is(err, ErrChildExited) true.
func (e *ChildFailedError) Is(target error) bool { return target == ErrChildExited }

func (e *ChildFailedError) Error() string {
	return fmt.Sprintf("the new epoch exited with code %d", e.Code)
}

// ChildFailure finds the restarter's report of a child that exited non-zero
// in a target's log lines.
func ChildFailure(lines []string) error {
	for _, l := range lines {
		if m := exitedChild.FindStringSubmatch(l); m != nil && m[2] != "0" {
			code, _ := strconv.Atoi(m[2])
			return &ChildFailedError{Code: code}
		}
	}
	return nil
}

// Reload hot-restarts the target with res, a config already validated
// here, and confirms it. The error says how a failed restart ended (see
// outcome.go); the Outcome holds what was measured and found either way.
func (h *HotRestart) Reload(ctx context.Context, res *bootstrap.Result) (out Outcome, err error) {
	a := &attempt{HotRestart: h, offers: offersOf(h.Target), res: res, out: &out}
	if res != nil {
		a.files = h.wantFiles(res)
	}
	for _, step := range []func(context.Context) error{
		a.checkTarget,
		a.reachFiles,
		a.readEpochBefore,
		a.envoyValidate,
		a.unchangedSinceValidation,
		a.signal,
		a.confirm, // and, once LIVE, the bytes Envoy loaded (loaded.go)
	} {
		if err := step(ctx); err != nil {
			return out, err
		}
	}
	return out, nil
}

// failureEvidenceLines is how much of the target's log tail is read for
// the evidence: a real Envoy logs about 60 lines per epoch at start.
const failureEvidenceLines = 400

// newestEpochFailed reads a target's log for the restarter's own lines,
// which do not depend on Envoy's log level: the last child it forked
// exited non-zero. Then a refused admin is the running Envoy's, closed for
// the failed epoch, and not a wrong admin URL.
func newestEpochFailed(lines []string) bool {
	newest, failed := "", false
	for _, l := range lines {
		if m := forkedChild.FindStringSubmatch(l); m != nil {
			newest, failed = m[1], false
			continue
		}
		if m := exitedChild.FindStringSubmatch(l); m != nil && m[1] == newest {
			failed = m[2] != "0"
		}
	}
	return failed
}

var forkedChild = regexp.MustCompile(`forked new child process with PID=(\d+)`)

// logLinesFor: a stopped target's last 20 lines; every line since the
// signal otherwise.
func logLinesFor(err error) int {
	if errors.Is(err, ErrTargetStopped) {
		return 20
	}
	return 0
}

// notConfirmed says why a confirmation failed in the words the user needs.
func (h *HotRestart) notConfirmed(err error, failure *Failure) error {
	switch {
	case errors.Is(err, ErrTargetStopped), errors.Is(err, ErrChildExited):
		return fmt.Errorf("%w: %w", ErrNotConfirmed, err)
	case failure != nil && failure.Refused:
		return fmt.Errorf("%w: the new epoch failed after the old one had closed its admin listener (%s refuses connections); "+
			"the old Envoy still serves traffic but has no admin until the next good reload", ErrNotConfirmed, h.Confirmer.Admin.URL())
	case failure != nil && failure.Stuck != "":
		return fmt.Errorf("%w: the new epoch came up but stayed %s", ErrNotConfirmed, failure.Stuck)
	case errors.Is(err, ErrNotConfirmed):
		return err
	}
	return fmt.Errorf("%w: %w", ErrNotConfirmed, err)
}

// hintFor recognises Envoy failures whose cause is not what they say.
func hintFor(lines []string) string {
	adminBind, listenerBind := false, false
	for _, l := range lines {
		// Serve mode logs "error `<what>` initializing config '…'" (Envoy
		// 1.40, InstanceBase::initialize in source/server/server.cc);
		// validate mode and older Envoys "error initializing configuration
		// '…': <what>".
		if strings.Contains(l, "initializing config") && strings.Contains(l, "cannot bind") && strings.Contains(l, "Address already in use") {
			adminBind = true
		}
		// A listener's bind failure is logged first, by the listener
		// manager (source/common/listener_manager/listener_manager_impl.cc).
		if strings.Contains(l, "failed to bind or apply socket options") || strings.Contains(l, "error adding listener") {
			listenerBind = true
		}
		if strings.Contains(l, "unable to bind domain socket") {
			return "another Envoy uses the same --base-id here; give each independent Envoy its own --base-id"
		}
	}
	if adminBind && !listenerBind {
		return "the new epoch could not bind the admin address, so it did not hot-restart from the running Envoy " +
			"(envoyproxy/envoy#38146): check that the start command passes --restart-epoch (the restarter's " +
			"{{epoch}} or $RESTART_EPOCH), the same --base-id and --socket-path as the running epoch, and that both run in " +
			"the same container or network namespace. Do not set SO_REUSEPORT on the admin socket: that hides this and " +
			"splits admin traffic between two independent Envoys."
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
