package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoyargv"
)

// validateTimeout bounds one validate; a real Envoy takes well under a second.
const validateTimeout = 30 * time.Second

// The verdict lines envoy-reloader reads from this restarter's log
// (restart.RestarterVerdict): Envoy's own output comes first, one
// "validate: " line each, then the verdict.
const (
	verdictOK       = "validated the config for epoch %d: OK (%d ms)"
	verdictRejected = "validated the config for epoch %d: REJECTED (exit code %d); no epoch starts"
	validateLine    = "validate: %s"
)

// validateNext runs the next epoch's command in validate mode, with the
// same flags (internal/envoyargv), and says whether that epoch may start.
// It runs in the restarter's one loop, so no signal is handled meanwhile
// and reap cannot take this child's exit status from exec.
func (r *restarter) validateNext() bool {
	epoch := r.nextEpoch
	argv := envoyargv.Validate(r.childArgv(epoch))
	ctx, cancel := context.WithTimeout(context.Background(), validateTimeout)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		r.log(verdictOK, epoch, time.Since(start).Milliseconds())
		return true
	case errors.As(err, &exit) && ctx.Err() == nil:
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if l != "" {
				r.log(validateLine, l)
			}
		}
		r.log(verdictRejected, epoch, exit.ExitCode())
		return false
	}
	// A validate that cannot run must not hold every reload back: the
	// epoch's own start judges the config then.
	r.log("cannot validate the config for epoch %d (%v); starting it anyway", epoch, err)
	return true
}
