package docker

import (
	"slices"
	"strings"
	"testing"
)

// TestValidateCommandKeepsTheServingEnvoysFlags: validate judges the config
// as the serving Envoy reads it, so the flags that change that go along.
func TestValidateCommandKeepsTheServingEnvoysFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv string
		want string
	}{
		{"plain", "envoy -c /etc/envoy/envoy.yaml",
			"envoy --mode validate -c /etc/envoy/envoy.yaml -l warning"},
		{"under a restarter", "/bin/envoy-hot-restarter --on-child-failure=keep -- /usr/local/bin/envoy -c /e.yaml --restart-epoch {{epoch}} --drain-time-s 2 --concurrency 1",
			"/usr/local/bin/envoy --mode validate -c /e.yaml -l warning"},
		{"identity and overlay", "envoy --config-path=/e.yaml --service-cluster front --service-node n1 --service-zone z --config-yaml {admin: {}} --base-id 3",
			"envoy --mode validate -c /e.yaml --service-cluster front --service-node n1 --service-zone z --config-yaml {admin: {}} -l warning"},
		{"field policies and extensions", "envoy -c /e.yaml --allow-unknown-static-fields --reject-unknown-dynamic-fields --disable-extensions=envoy.filters.http.lua -l debug",
			"envoy --mode validate -c /e.yaml --allow-unknown-static-fields --reject-unknown-dynamic-fields --disable-extensions=envoy.filters.http.lua -l warning"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv := strings.Split(tc.argv, " ")
			if tc.name == "identity and overlay" { // a value with spaces
				i := slices.Index(argv, "--config-yaml")
				argv = append(append(argv[:i+1:i+1], "{admin: {}}"), argv[i+3:]...)
			}
			got, err := validateCommand(argv)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(tc.want, " ")
			if tc.name == "identity and overlay" {
				i := slices.Index(want, "--config-yaml")
				want = append(append(want[:i+1:i+1], "{admin: {}}"), want[i+3:]...)
			}
			if !slices.Equal(got, want) {
				t.Errorf("validateCommand(%q)\n got %q\nwant %q", argv, got, want)
			}
		})
	}
	if _, err := validateCommand([]string{"sh", "-c", "envoy"}); err == nil {
		t.Error("no envoy binary and -c path: want an error")
	}
}

func TestRestarterValidates(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want bool
	}{
		{[]string{"/usr/local/bin/envoy-hot-restarter", "--on-child-failure=keep", "--validate", "--", "/usr/local/bin/envoy", "-c", "e.yaml"}, true},
		{[]string{"/usr/local/bin/envoy-hot-restarter", "--on-child-failure=keep", "--", "/usr/local/bin/envoy", "--validate"}, false},
		{[]string{"python3", "/hot-restarter.py", "/start.sh"}, false},
		{[]string{"/usr/local/bin/envoy", "-c", "e.yaml"}, false},
	} {
		if got := restarterValidates(tc.argv); got != tc.want {
			t.Errorf("restarterValidates(%q) = %v, want %v", tc.argv, got, tc.want)
		}
	}
}
