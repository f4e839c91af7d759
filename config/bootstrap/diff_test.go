package bootstrap

import (
	"strings"
	"testing"
)

const diffBase = `
static_resources:
  listeners:
  - name: ingress
    address: {socket_address: {address: 0.0.0.0, port_value: 10000}}
    filter_chains:
    - filters:
      - name: hcm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            name: main
            virtual_hosts: [{name: all, domains: ["*"], routes: [{match: {prefix: "/"}, route: {cluster: backend}}]}]
          http_filters: [{name: router, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]
  clusters:
  - name: backend
    connect_timeout: 1s
  - name: old
    connect_timeout: 1s
`

func TestDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"nothing changed", "", "", ""},
		{"cluster added", "", "  - name: backend-v2\n    connect_timeout: 1s\n", "+cluster backend-v2"},
		{"cluster removed", "  - name: old\n    connect_timeout: 1s\n", "", "-cluster old"},
		{"cluster modified", "connect_timeout: 1s\n  - name: old", "connect_timeout: 3s\n  - name: old", "~cluster backend"},
		{"route modified, so its listener too", `prefix: "/"`, `prefix: "/api"`, "~listener ingress ~route main"},
		{"route renamed", "name: main", "name: main-v2", "~listener ingress -route main +route main-v2"},
		{"listener port", "port_value: 10000", "port_value: 10001", "~listener ingress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldDoc, newDoc := diffBase, diffBase
			switch {
			case tt.old == "" && tt.new != "":
				newDoc = diffBase + tt.new
			case tt.old != "" && tt.new == "":
				newDoc = strings.Replace(diffBase, tt.old, "", 1)
			case tt.old != "":
				newDoc = strings.Replace(diffBase, tt.old, tt.new, 1)
			}
			a, b := Load("a.yaml", []byte(oldDoc), Options{}), Load("b.yaml", []byte(newDoc), Options{})
			if HasErrors(a.Diagnostics) || HasErrors(b.Diagnostics) {
				t.Fatalf("fixtures invalid: %v %v", a.Diagnostics, b.Diagnostics)
			}
			var got []string
			for _, c := range Diff(a.Bootstrap, b.Bootstrap) {
				got = append(got, c.String())
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("Diff = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}
