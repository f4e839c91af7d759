// Package envoyargv turns the command line that serves an epoch into the
// one that validates its config: the same binary and flags, so that what
// validates is what would serve (--config-yaml, --service-*, the
// unknown-field policies), in validate mode. It is shared by the hot
// restarter that ships in images (cmd/envoy-hot-restarter --validate) and
// by run's supervisor (restart/local).
package envoyargv

import "strings"

// Validate is argv (the binary first) in validate mode, at warning level,
// so that its output is the rejection and the deprecations, not the
// start-up's info lines. The epoch, mode and log flags of the serving
// command are left out: validate mode does not hot-restart, TCLAP refuses
// a flag given twice, and a log file would hide the verdict
// (source/server/options_impl.cc).
func Validate(argv []string) []string {
	out := []string{argv[0], "--mode", "validate"}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		name, _, hasValue := strings.Cut(a, "=")
		if dropped[name] {
			if !hasValue && i+1 < len(argv) {
				i++ // its value
			}
			continue
		}
		out = append(out, a)
	}
	return append(out, "-l", "warning")
}

// dropped are the flags, each with a value, validate must not repeat.
var dropped = map[string]bool{
	"--restart-epoch": true, "--mode": true, "-l": true, "--log-level": true,
	"--log-path": true, "--base-id-path": true,
}
