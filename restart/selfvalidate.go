package restart

import (
	"context"
	"regexp"
	"strings"
)

// SelfValidator is a target whose hot restarter validates each config
// itself before it starts an epoch (envoy-hot-restarter --validate): the
// reload then runs no validate of its own, and a rejection is read from
// the restarter's log by the target's watchdog (RestarterRejection).
type SelfValidator interface {
	// ValidatesOnSignal says whether the instance running now does.
	ValidatesOnSignal(ctx context.Context) bool
}

// The restarter's verdict lines (cmd/envoy-hot-restarter/validate.go):
// Envoy's output as "validate: <line>" lines, then the verdict.
var (
	rejectedVerdict = regexp.MustCompile(`validated the config for epoch \d+: REJECTED`)
	okVerdict       = regexp.MustCompile(`validated the config for epoch \d+: OK`)
)

const validateLinePrefix = "[envoy-hot-restarter] validate: "

// RejectedError is the restarter's rejection of a config: no epoch
// started. Output is Envoy's own words.
type RejectedError struct{ Output []string }

// Is makes errors.Is(err, ErrEnvoyRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrEnvoyRejected }

func (e *RejectedError) Error() string {
	return "the restarter's envoy --mode validate " + ErrEnvoyRejected.Error()
}

// RestarterRejection finds, in a target's log lines since the signal, the
// restarter's verdict on the config it was signalled for: a
// *RejectedError with Envoy's lines when it rejected it, else nil.
func RestarterRejection(lines []string) error {
	var output []string
	for _, l := range lines {
		switch {
		case okVerdict.MatchString(l):
			output = nil
		case rejectedVerdict.MatchString(l):
			return &RejectedError{Output: output}
		default:
			if i := strings.Index(l, validateLinePrefix); i >= 0 {
				output = append(output, l[i+len(validateLinePrefix):])
			}
		}
	}
	return nil
}
