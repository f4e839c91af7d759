package restart

import (
	"errors"
	"slices"
	"testing"
)

func TestRestarterRejection(t *testing.T) {
	const p = "[2026-12-03 06:00:00.000][1][INFO][core] [envoy-hot-restarter] "
	for _, tc := range []struct {
		name   string
		lines  []string
		output []string // nil: no rejection
	}{
		{"rejected, with Envoy's words", []string{
			p + "got SIGHUP",
			p + "validate: [critical][main] error initializing configuration 'x': no such field",
			p + "validate: second line",
			p + "validated the config for epoch 3: REJECTED (exit code 1); no epoch starts",
		}, []string{"[critical][main] error initializing configuration 'x': no such field", "second line"}},
		{"accepted", []string{p + "got SIGHUP", p + "validated the config for epoch 3: OK (80 ms)", p + "forked new child process with PID=7"}, nil},
		{"no verdict yet", []string{p + "got SIGHUP"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := RestarterRejection(tc.lines)
			var rejected *RejectedError
			switch {
			case tc.output == nil && err != nil:
				t.Fatalf("a rejection where there is none: %v", err)
			case tc.output != nil && (!errors.As(err, &rejected) || !errors.Is(err, ErrEnvoyRejected)):
				t.Fatalf("no rejection: %v", err)
			case tc.output != nil && !slices.Equal(rejected.Output, tc.output):
				t.Errorf("output %q, want %q", rejected.Output, tc.output)
			}
		})
	}
}
