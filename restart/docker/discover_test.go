package docker

import (
	"testing"

	"github.com/docker/docker/api/types/container"
)

// TestCandidateOfReadsTheRestarter: init learns from the container's
// command whether PID 1 is our restarter and whether it validates.
func TestCandidateOfReadsTheRestarter(t *testing.T) {
	for _, tc := range []struct {
		name            string
		path            string
		args            []string
		ours, validates bool
	}{
		{"ours, validating", "/usr/local/bin/envoy-hot-restarter", []string{"--validate", "--", "envoy", "-c", "/etc/envoy/envoy.yaml"}, true, true},
		{"ours, not validating", "envoy-hot-restarter", []string{"--", "envoy", "-c", "/etc/envoy/envoy.yaml"}, true, false},
		{"--validate after -- is Envoy's", "envoy-hot-restarter", []string{"--", "envoy", "--validate"}, true, false},
		{"hot-restarter.py", "python3", []string{"/hot-restarter.py", "/start_envoy.sh"}, false, false},
		{"envoy alone", "envoy", []string{"-c", "/etc/envoy/envoy.yaml"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := container.InspectResponse{
				ContainerJSONBase: &container.ContainerJSONBase{Name: "/e", ID: "id", Path: tc.path, Args: tc.args},
				Config:            &container.Config{Image: "envoy"},
			}
			c := candidateOf(info, true)
			if c.OurRestarter != tc.ours || c.RestarterValidates != tc.validates {
				t.Errorf("ours %v, validates %v; want %v, %v", c.OurRestarter, c.RestarterValidates, tc.ours, tc.validates)
			}
		})
	}
}
