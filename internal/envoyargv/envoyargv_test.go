package envoyargv

import (
	"slices"
	"testing"
)

func TestValidateKeepsTheServingFlags(t *testing.T) {
	for _, tc := range []struct{ argv, want []string }{
		{[]string{"/bin/envoy", "-c", "e.yaml", "-l", "debug", "--config-yaml", "node: {id: a}", "--log-path=/tmp/x", "--service-cluster", "c", "--base-id", "2"},
			[]string{"/bin/envoy", "--mode", "validate", "-c", "e.yaml", "--config-yaml", "node: {id: a}", "--service-cluster", "c", "--base-id", "2", "-l", "warning"}},
		{[]string{"envoy", "-c", "/etc/envoy/envoy.yaml", "--restart-epoch", "3", "--drain-time-s", "2"},
			[]string{"envoy", "--mode", "validate", "-c", "/etc/envoy/envoy.yaml", "--drain-time-s", "2", "-l", "warning"}},
		{[]string{"envoy", "--restart-epoch=3", "--config-path=e.yaml"},
			[]string{"envoy", "--mode", "validate", "--config-path=e.yaml", "-l", "warning"}},
	} {
		if got := Validate(tc.argv); !slices.Equal(got, tc.want) {
			t.Errorf("Validate(%q):\n got %q\nwant %q", tc.argv, got, tc.want)
		}
	}
}
