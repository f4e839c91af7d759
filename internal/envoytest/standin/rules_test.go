package standin_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// ruleConfig is a bootstrap whose HTTP listener routes to the cluster
// backend; the cases below damage it.
const ruleConfig = `admin:
  address: {socket_address: {address: 127.0.0.1, port_value: %[1]d}}
static_resources:
  listeners:
  - name: http
    address: {socket_address: {address: 127.0.0.1, port_value: %[2]d}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: http
          http_filters:
          - name: envoy.filters.http.router
            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: backend}
  clusters:
  - name: backend
    connect_timeout: 1s
`

// secondListener is another listener, at port %[3]s, of the name %[4]s.
const secondListener = `  - name: %[4]s
    address: {socket_address: {address: 127.0.0.1, port_value: %[3]s}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tcp
          cluster: backend
`

// TestStandinJudgesByItsOwnRules: the stand-in accepts and rejects by
// rules modelled on Envoy's source, not by the product's validator; where
// the two differ, the stand-in is the one that follows Envoy. A phase-1
// failure exits before admin is bound, a phase-4 one after.
func TestStandinJudgesByItsOwnRules(t *testing.T) {
	bin := filepath.Join(envoytest.Binaries(t), "envoy")
	real := envoytest.RealEnvoy(t, false) // "" where it is not installed: then the stand-in alone
	withListener := func(port, name string) func(string) string {
		return func(c string) string {
			return strings.Replace(c, "  clusters:\n", fmt.Sprintf(secondListener, 0, 0, port, name)+"  clusters:\n", 1)
		}
	}
	cases := []struct {
		name    string
		edit    func(string) string
		overlay string
		phase   int    // 0: accepted
		want    string // in the exception text
	}{
		{name: "valid", edit: func(c string) string { return c }},
		{name: "unknown field", phase: 1, want: "Protobuf message (type envoy.config.bootstrap.v3.Bootstrap reason INVALID_ARGUMENT:",
			edit: func(c string) string { return "bogus_root_field: 1\n" + c }},
		{name: "unknown @type", phase: 1, want: "Unable to parse JSON as proto (INVALID_ARGUMENT:",
			edit: func(c string) string { return strings.Replace(c, "router.v3.Router", "router.v3.Rotuer", 1) }},
		{name: "PGV: cluster without a name", phase: 1, want: "Proto constraint validation failed (invalid Bootstrap.StaticResources",
			edit: func(c string) string {
				return strings.Replace(c, "  - name: backend\n    connect_timeout", "  - connect_timeout", 1)
			}},
		{name: "PGV inside a typed_config is checked by its factory", phase: 4, want: "Proto constraint validation failed (invalid HttpConnectionManager.StatPrefix",
			edit: func(c string) string { return strings.Replace(c, "          stat_prefix: http\n", "", 1) }},
		{name: "duplicate cluster", phase: 4, want: "cluster manager: duplicate cluster 'backend'",
			edit: func(c string) string { return c + "  - name: backend\n    connect_timeout: 2s\n" }},
		{name: "route to a cluster that is not static", phase: 4, want: "route: unknown cluster 'nope'",
			edit: func(c string) string { return strings.Replace(c, "{cluster: backend}", "{cluster: nope}", 1) }},
		// The product passes this (a CDS cluster may exist); Envoy starts
		// with only the static clusters, and its static route table checks.
		{name: "route to a CDS cluster from a static route table", phase: 4, want: "route: unknown cluster 'from_cds'",
			edit: func(c string) string {
				return strings.Replace(c, "{cluster: backend}", "{cluster: from_cds}", 1) +
					"dynamic_resources:\n  cds_config: {path_config_source: {path: /dev/null}}\n"
			}},
		{name: "validate_clusters: false turns the route check off",
			edit: func(c string) string {
				return strings.Replace(strings.Replace(c, "{cluster: backend}", "{cluster: nope}", 1),
					"          route_config:\n", "          route_config:\n            validate_clusters: false\n", 1)
			}},
		{name: "two listeners on one address", phase: 4, want: "error adding listener: 'tcp' has duplicate address '127.0.0.1:",
			edit: func(c string) string {
				port := c[strings.LastIndex(c, "port_value: ")+len("port_value: "):]
				return withListener(port[:strings.Index(port, "}")], "tcp")(c)
			}},
		// The product flags this; Envoy keeps the first static listener of
		// a name and drops the second without a word.
		{name: "duplicate listener name", edit: withListener("0", "http")},
		{name: "contrib extension", phase: 1, want: "Unable to parse JSON as proto (INVALID_ARGUMENT: could not find @type 'type.googleapis.com/envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy'",
			edit: func(c string) string {
				return strings.Replace(c, "    - filters:\n", "    - filters:\n      - name: envoy.filters.network.mysql_proxy\n        typed_config:\n"+
					"          \"@type\": type.googleapis.com/envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy\n          stat_prefix: mysql\n", 1)
			}},
		// --config-yaml merges as MergeFrom: its list entries are appended.
		{name: "--config-yaml appends a cluster", phase: 4, want: "cluster manager: duplicate cluster 'backend'",
			edit: func(c string) string { return c }, overlay: "static_resources: {clusters: [{name: backend}]}"},
		{name: "--config-yaml is validated with the file", phase: 1, want: "Proto constraint validation failed",
			edit: func(c string) string { return c }, overlay: "static_resources: {clusters: [{connect_timeout: 1s}]}"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			admin, listener := envoytest.FreePort(t), envoytest.FreePort(t)
			config := filepath.Join(t.TempDir(), "envoy.yaml")
			if err := os.WriteFile(config, []byte(tc.edit(fmt.Sprintf(ruleConfig, admin, listener))), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"-c", config}
			if tc.overlay != "" {
				args = append(args, "--config-yaml", tc.overlay)
			}
			code, stdout, stderr := runStandin(t, bin, append(args, "--mode", "validate")...)
			if real != "" {
				// The stand-in is kept faithful: the real Envoy's validate
				// gives the same verdict on the same file and flags.
				realCode, _, realErr := runStandin(t, real, append(args, "--mode", "validate", "-l", "error")...)
				if (realCode == 0) != (code == 0) {
					t.Errorf("the real Envoy exits %d, the stand-in %d:\n%s", realCode, code, realErr)
				}
			}
			if tc.phase == 0 {
				if code != 0 || stdout != fmt.Sprintf("configuration '%s' OK\n", config) {
					t.Fatalf("validate: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
				}
				return
			}
			if code != 1 || !strings.Contains(stderr, "error initializing configuration '"+config+"': "+tc.want) {
				t.Fatalf("validate: exit %d, want 1 with %q in stderr:\n%s", code, tc.want, stderr)
			}
			// Serve mode tells the phases apart: admin is bound between them.
			id := fmt.Sprint(os.Getpid()%10000*100 + i)
			t.Cleanup(func() { _ = os.Remove("/dev/shm/envoy_shared_memory_" + id + "0") })
			code, _, stderr = runStandin(t, bin, append(args, "--base-id", id, "--socket-path", "@standin_rules_"+id)...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("serve: exit %d, want 1 with %q in stderr:\n%s", code, tc.want, stderr)
			}
			if bound := strings.Contains(stderr, "admin address:"); bound != (tc.phase == 4) {
				t.Fatalf("serve: phase %d failure, admin bound: %v:\n%s", tc.phase, bound, stderr)
			}
		})
	}
}

func runStandin(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}
