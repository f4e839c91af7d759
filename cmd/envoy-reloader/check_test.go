package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the CLI in dir and returns its exit status and output.
func runCLI(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func validBootstrap(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// brokenCase derives a broken bootstrap from testdata/valid.yaml by one
// replacement and says where the diagnostic must point: the line, and the
// token on that line whose first character is the column.
type brokenCase struct {
	name     string
	old, new string
	strict   bool
	line     int
	token    string
	severity string
	message  string
	exit     int
}

var brokenCases = []brokenCase{
	// 1. YAML syntax.
	{name: "yaml tab indentation", old: "    connect_timeout: 1s", new: "\tconnect_timeout: 1s",
		line: 28, token: "\t", severity: "error", message: "tab character", exit: 1},
	{name: "yaml mapping value in scalar", old: "          stat_prefix: ingress", new: "          stat_prefix: ingress: x",
		line: 14, token: "stat_prefix", severity: "error", message: "mapping values are not allowed", exit: 1},
	// 2. Unknown fields.
	{name: "unknown top-level field", old: "static_resources:", new: "static_resource:",
		line: 4, token: "static_resource", severity: "error", message: `unknown field "static_resource" in envoy.config.bootstrap.v3.Bootstrap; did you mean "static_resources"?`, exit: 1},
	{name: "unknown cluster field", old: "    connect_timeout: 1s", new: "    connect_timout: 1s",
		line: 28, token: "connect_timout", severity: "error", message: `did you mean "connect_timeout"?`, exit: 1},
	{name: "unknown field inside typed_config", old: "          stat_prefix: ingress", new: "          stat_prefx: ingress",
		line: 14, token: "stat_prefx", severity: "error", message: `unknown field "stat_prefx" in envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager; did you mean "stat_prefix"?`, exit: 1},
	{name: "duplicate yaml key", old: "    connect_timeout: 1s\n    type: STATIC", new: "    connect_timeout: 1s\n    connect_timeout: 2s",
		line: 28, token: "connect_timeout", severity: "warning", message: `duplicate key "connect_timeout": Envoy uses the one at line 29`, exit: 0},
	// 3. Wrong types and malformed values.
	{name: "string where a number goes", old: "port_value: 8080}", new: "port_value: eighty}",
		line: 36, token: "eighty", severity: "error", message: `port_value: invalid value for uint32 field: "eighty"`, exit: 1},
	{name: "list where a string goes", old: "cluster_name: backend", new: "cluster_name: [backend]",
		line: 31, token: "[backend]", severity: "error", message: "cluster_name: expected a string value, got a list", exit: 1},
	{name: "bad duration", old: "connect_timeout: 1s", new: "connect_timeout: 5 seconds",
		line: 28, token: "5 seconds", severity: "error", message: `invalid google.protobuf.Duration value "5 seconds"`, exit: 1},
	{name: "unknown enum value", old: "    type: STATIC", new: "    lb_policy: ROUNDROBIN",
		line: 29, token: "ROUNDROBIN", severity: "error", message: `lb_policy: unknown value "ROUNDROBIN" for enum envoy.config.cluster.v3.Cluster.LbPolicy; did you mean "ROUND_ROBIN"?`, exit: 1},
	{name: "bool field given a word", old: "    type: STATIC", new: "    respect_dns_ttl: maybe",
		line: 29, token: "maybe", severity: "error", message: `respect_dns_ttl: invalid value for bool field: "maybe"`, exit: 1},
	{name: "two fields of one oneof", old: "route: {cluster: backend}", new: "route: {cluster: backend, cluster_header: x-cluster}",
		line: 21, token: "cluster_header", severity: "error", message: "cluster and cluster_header are both set, but only one of oneof cluster_specifier may be", exit: 1},
	// 4. protoc-gen-validate rules, inside Any too.
	{name: "empty cluster name", old: "  - name: backend", new: `  - name: ""`,
		line: 27, token: `""`, severity: "error", message: "name: value length must be at least 1 runes", exit: 1},
	{name: "port over 65535", old: "port_value: 8080}", new: "port_value: 70000}",
		line: 36, token: "70000", severity: "error", message: "port_value: value must be less than or equal to 65535", exit: 1},
	{name: "hcm without stat_prefix", old: "          stat_prefix: ingress", new: "          codec_type: AUTO",
		line: 12, token: "typed_config", severity: "error", message: "stat_prefix: value length must be at least 1 runes", exit: 1},
	{name: "access log inside hcm inside any", old: "          stat_prefix: ingress",
		new: "          stat_prefix: ingress\n          access_log:\n          - name: envoy.access_loggers.file\n            typed_config:\n" +
			"              \"@type\": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog\n              path: \"\"",
		line: 19, token: `""`, severity: "error", message: "path: value length must be at least 1 runes", exit: 1},
	{name: "route without action", old: "                route: {cluster: backend}", new: "                decorator: {operation: op}",
		line: 20, token: "match", severity: "error", message: "action: value is required", exit: 1},
	// 5. @type values.
	{name: "typo in @type", old: "http.router.v3.Router", new: "http.router.v3.Ruoter",
		line: 25, token: "type.googleapis.com", severity: "error", message: "unknown type envoy.extensions.filters.http.router.v3.Ruoter; did you mean envoy.extensions.filters.http.router.v3.Router?", exit: 1},
	{name: "unknown @type is a warning", old: "envoy.extensions.filters.http.router.v3.Router", new: "com.example.filters.MagicFilter",
		line: 25, token: "type.googleapis.com", severity: "warning", message: "type com.example.filters.MagicFilter is not known to go-control-plane, so its contents were not checked", exit: 0},
	{name: "unknown @type is an error with --strict", old: "envoy.extensions.filters.http.router.v3.Router", new: "com.example.filters.MagicFilter", strict: true,
		line: 25, token: "type.googleapis.com", severity: "error", message: "type com.example.filters.MagicFilter is not known to go-control-plane", exit: 1},
	{name: "v2 api type", old: "envoy.extensions.filters.http.router.v3.Router", new: "envoy.config.filter.http.router.v2.Router",
		line: 25, token: "type.googleapis.com", severity: "error", message: "envoy.config.filter.http.router.v2.Router is a v2 API type; Envoy no longer accepts the v2 API", exit: 1},
	{name: "typed_config without @type", old: `              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router`, new: "              suppress_envoy_headers: true",
		line: 24, token: "typed_config", severity: "error", message: `typed_config: missing "@type"`, exit: 1},
	// 6. Semantic checks.
	{name: "duplicate listener name", old: "  clusters:", new: "  - name: ingress\n    address:\n      socket_address: {address: 0.0.0.0, port_value: 10001}\n  clusters:",
		line: 26, token: "ingress", severity: "warning", message: `listener name "ingress" is already taken (line 6): Envoy keeps the first listener of a name and ignores this one`, exit: 0},
	{name: "duplicate cluster name", old: "  clusters:", new: "  clusters:\n  - name: backend\n    type: STATIC",
		line: 29, token: "backend", severity: "error", message: `duplicate cluster name "backend" (first defined at line 27)`, exit: 1},
	{name: "two listeners on one address", old: "  clusters:", new: "  - name: second\n    address:\n      socket_address: {address: 0.0.0.0, port_value: 10000}\n  clusters:",
		line: 28, token: "socket_address", severity: "error", message: `listener "second" has the same address 0.0.0.0:10000 as the listener at line 8`, exit: 1},
	{name: "route to unknown cluster", old: "route: {cluster: backend}", new: "route: {cluster: backnd}",
		line: 21, token: "backnd", severity: "error", message: `cluster: unknown cluster "backnd": no static cluster has that name and there is no CDS; did you mean "backend"?`, exit: 1},
	{name: "weighted cluster to unknown cluster", old: "route: {cluster: backend}", new: "route: {weighted_clusters: {clusters: [{name: backend, weight: 1}, {name: ghost, weight: 1}]}}",
		line: 21, token: "ghost", severity: "error", message: `name: unknown cluster "ghost"`, exit: 1},
	{name: "v2 transport api version", old: "admin:", new: "dynamic_resources:\n  ads_config:\n    api_type: GRPC\n    transport_api_version: V2\n" +
		"    grpc_services:\n    - envoy_grpc: {cluster_name: backend}\nadmin:",
		line: 4, token: "V2", severity: "error", message: "transport_api_version: V2 is no longer supported by Envoy", exit: 1},
	{name: "no admin is a warning", old: "admin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: 9901}\n", new: "",
		line: 1, token: "static_resources", severity: "warning", message: "no admin address", exit: 0},
	// 7. Referenced files.
	{name: "missing certificate file", old: "    - filters:",
		new: "    - transport_socket:\n        name: envoy.transport_sockets.tls\n        typed_config:\n" +
			"          \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext\n" +
			"          common_tls_context:\n            tls_certificates:\n            - certificate_chain: {filename: /nonexistent/cert.pem}\n" +
			"              private_key: {filename: /nonexistent/key.pem}\n      filters:",
		line: 16, token: "/nonexistent/cert.pem", severity: "warning", message: "referenced file /nonexistent/cert.pem does not exist here", exit: 0},
}

func TestCheckBrokenBootstraps(t *testing.T) {
	valid := validBootstrap(t)
	for _, tc := range brokenCases {
		t.Run(tc.name, func(t *testing.T) {
			dir, broken := writeVariant(t, valid, tc.old, tc.new)
			lines := strings.Split(broken, "\n")
			col := strings.Index(lines[tc.line-1], tc.token) + 1
			if col == 0 {
				t.Fatalf("line %d %q has no token %q", tc.line, lines[tc.line-1], tc.token)
			}
			args := []string{"check", "envoy.yaml"}
			if tc.strict {
				args = append(args, "--strict")
			}
			code, out, errOut := runCLI(t, dir, args...)
			if code != tc.exit {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.exit, out, errOut)
			}
			want := fmt.Sprintf("envoy.yaml:%d:%d: %s: ", tc.line, col, tc.severity)
			found := false
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, want) && strings.Contains(l, tc.message) {
					found = true
				}
			}
			if !found {
				t.Errorf("no line %q...%q in output:\n%s", want, tc.message, out)
			}
		})
	}
	if len(brokenCases) < 25 {
		t.Errorf("only %d broken cases; the check issue asks for at least 25", len(brokenCases))
	}
}

func TestCheckValidAndSummary(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(validBootstrap(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, dir, "check")
	if code != 0 || strings.TrimSpace(out) != "checked 1 file: 0 errors, 0 warnings" {
		t.Errorf("exit %d, output %q", code, out)
	}
}

func TestCheckJSONAndSorting(t *testing.T) {
	valid := validBootstrap(t)
	// Two problems, the later one in the file introduced first, to see sorting.
	broken := strings.Replace(valid, "port_value: 8080}", "port_value: 70000}", 1)
	broken = strings.Replace(broken, "static_resources:", "statc_resources: {}\nstatic_resources:", 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "--format", "json"}, {"--log-format", "json", "check"}} {
		code, out, _ := runCLI(t, dir, args...)
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1", args, code)
		}
		var got []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%v: line %q is not JSON: %v", args, l, err)
			}
			got = append(got, m)
		}
		if len(got) != 2 {
			t.Fatalf("%v: %d objects, want 2:\n%s", args, len(got), out)
		}
		if got[0]["line"].(float64) != 4 || got[1]["line"].(float64) != 37 {
			t.Errorf("%v: not sorted by line: %v", args, got)
		}
		if got[1]["path"] != "static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value" {
			t.Errorf("%v: path %v", args, got[1]["path"])
		}
		for _, k := range []string{"file", "line", "col", "severity", "message", "path"} {
			if _, ok := got[1][k]; !ok {
				t.Errorf("%v: key %q missing in %v", args, k, got[1])
			}
		}
	}
}

func TestCheckUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		config   string
		args     []string
		wantErr  string
		wantCode int
	}{
		{"unknown key", "bootstap: envoy.yaml\n", []string{"check"}, `reloader.yaml:1:1: unknown key "bootstap"; did you mean "bootstrap"?`, 2},
		{"unknown nested key", "validate:\n  strikt: true\n", []string{"check"}, `reloader.yaml:2:3: unknown key "validate.strikt"; did you mean "validate.strict"?`, 2},
		{"missing bootstrap", "bootstrap: nowhere.yaml\n", []string{"check"}, "nowhere.yaml", 2},
		{"bad format", "", []string{"check", "--format", "xml"}, `unknown format "xml"`, 2},
		{"missing --config file", "", []string{"--config", "absent.yaml", "check"}, "absent.yaml: cannot read the config file", 2},
		{"unknown flag", "", []string{"check", "--nope"}, "unknown flag: --nope", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "reloader.yaml"), []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runCLI(t, dir, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}

// writeVariant writes valid with old replaced by new as envoy.yaml in a new
// directory, and returns the directory and the text written.
func writeVariant(t *testing.T, valid, old, new string) (dir, text string) {
	t.Helper()
	if !strings.Contains(valid, old) {
		t.Fatalf("the valid bootstrap has no %q to replace", old)
	}
	text = strings.Replace(valid, old, new, 1)
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, text
}
