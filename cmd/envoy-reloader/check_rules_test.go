package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ruleCase breaks testdata/valid.yaml with one or more replacements to
// trip one of Envoy's load-time rules (config/bootstrap/rules_*.go), and
// says where the diagnostic must point: the line, and the token on that line
// whose first character is the column. A case with line 0 must be accepted
// with no error at all: the rule must not fire.
type ruleCase struct {
	name     string
	edits    [][2]string // old, new
	args     []string
	line     int
	token    string
	severity string
	message  string
	exit     int
}

const (
	routerFilter = "          - name: envoy.filters.http.router\n            typed_config:\n" +
		"              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
	routerType       = "              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
	corsType         = "\"@type\": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"
	clusterEnd       = "              socket_address: {address: 127.0.0.1, port_value: 8080}"
	staticType       = "    type: STATIC\n"
	newListener      = "  clusters:"
	runtimeOff       = "layered_runtime:\n  layers:\n  - name: static\n    static_layer:\n      envoy.reloadable_features.no_extension_lookup_by_name: false\nadmin:"
	runtimeOffNested = "layered_runtime:\n  layers:\n  - name: static\n    static_layer:\n      envoy:\n        reloadable_features:\n          no_extension_lookup_by_name: false\nadmin:"
)

var ruleCases = []ruleCase{
	// 1. Filter-chain order (Config::Utility::validateTerminalFilters).
	{name: "router before another http filter", edits: [][2]string{{routerType, routerType + "\n          - name: envoy.filters.http.cors\n            typed_config:\n              " + corsType}},
		line: 23, token: "name", severity: "error", exit: 1,
		message: "terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http filter chain."},
	{name: "http filter after the router is the last", edits: [][2]string{{routerType, routerType + "\n          - name: envoy.filters.http.cors\n            typed_config:\n              " + corsType}},
		line: 26, token: "name", severity: "error", exit: 1,
		message: "non-terminal filter named envoy.filters.http.cors of type envoy.filters.http.cors is the last filter in a http filter chain."},
	{name: "http chain without a router", edits: [][2]string{{routerFilter, "          - name: my_cors\n            typed_config:\n              " + corsType}},
		line: 23, token: "name", severity: "error", exit: 1,
		message: "non-terminal filter named my_cors of type envoy.filters.http.cors is the last filter in a http filter chain."},
	{name: "tcp_proxy before the hcm", edits: [][2]string{{"    - filters:\n", "    - filters:\n      - name: tcp\n        typed_config:\n" +
		"          \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\n          stat_prefix: tcp\n          cluster: backend\n"}},
		line: 11, token: "name: tcp", severity: "error", exit: 1,
		message: "terminal filter named tcp of type envoy.filters.network.tcp_proxy must be the last filter in a network filter chain."},
	{name: "network chain ending in rbac", edits: [][2]string{{newListener, "  - name: guarded\n    address:\n      socket_address: {address: 0.0.0.0, port_value: 10001}\n" +
		"    filter_chains:\n    - filters:\n      - name: envoy.filters.network.rbac\n        typed_config:\n" +
		"          \"@type\": type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC\n          stat_prefix: rbac\n" + newListener}},
		line: 31, token: "name", severity: "error", exit: 1,
		message: "non-terminal filter named envoy.filters.network.rbac of type envoy.filters.network.rbac is the last filter in a network filter chain."},
	{name: "upgrade filter chain without a router", edits: [][2]string{{"          http_filters:", "          upgrade_configs:\n          - upgrade_type: websocket\n            filters:\n" +
		"            - name: envoy.filters.http.cors\n              typed_config:\n                " + corsType + "\n          http_filters:"}},
		line: 25, token: "name", severity: "error", exit: 1,
		message: "non-terminal filter named envoy.filters.http.cors of type envoy.filters.http.cors is the last filter in a http upgrade filter chain."},
	{name: "router upstream filters without upstream_codec", edits: [][2]string{{routerType, routerType + "\n              upstream_http_filters:\n" +
		"              - name: envoy.filters.http.cors\n                typed_config:\n                  " + corsType}},
		line: 27, token: "name", severity: "error", exit: 1,
		message: "non-terminal filter named envoy.filters.http.cors of type envoy.filters.http.cors is the last filter in a router upstream http filter chain. When upstream_http_filters are specified, they must explicitly end with an UpstreamCodec filter."},
	{name: "cluster upstream codec not last", edits: [][2]string{{staticType, staticType + "    typed_extension_protocol_options:\n" +
		"      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:\n" +
		"        \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\n" +
		"        explicit_http_config: {http2_protocol_options: {}}\n        http_filters:\n" +
		"        - name: envoy.filters.http.upstream_codec\n          typed_config:\n" +
		"            \"@type\": type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec\n" +
		"        - name: envoy.filters.http.cors\n          typed_config:\n            " + corsType + "\n"}},
		line: 35, token: "name", severity: "error", exit: 1,
		message: "terminal filter named envoy.filters.http.upstream_codec of type envoy.filters.http.upstream_codec must be the last filter in a upstream http filter chain."},
	{name: "router wrapped in a TypedStruct is still terminal", edits: [][2]string{{routerType,
		"              \"@type\": type.googleapis.com/xds.type.v3.TypedStruct\n              type_url: type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\n" +
			"          - name: envoy.filters.http.cors\n            typed_config:\n              " + corsType}},
		line: 23, token: "name", severity: "error", exit: 1,
		message: "terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http filter chain."},

	// 2. RE2 regexes (Regex::Utility::parseRegex).
	{name: "invalid route regex", edits: [][2]string{{`match: {prefix: "/"}`, `match: {safe_regex: {regex: "(["}}`}},
		line: 20, token: `"(["`, severity: "error", exit: 1, message: "Invalid regex '([': missing closing ]: `[`"},
	{name: "invalid header regex", edits: [][2]string{{`match: {prefix: "/"}`, `match: {prefix: "/", headers: [{name: x-version, string_match: {safe_regex: {regex: "v{2,1}"}}}]}`}},
		line: 20, token: `"v{2,1}"`, severity: "error", exit: 1, message: "Invalid regex 'v{2,1}': invalid repeat count: `{2,1}`"},
	{name: "invalid regex_rewrite pattern", edits: [][2]string{{"route: {cluster: backend}", `route: {cluster: backend, regex_rewrite: {pattern: {regex: "a**"}, substitution: x}}`}},
		line: 21, token: `"a**"`, severity: "error", exit: 1, message: "Invalid regex 'a**': invalid nested repetition operator: `**`"},
	{name: "RE2's \\C is accepted", edits: [][2]string{{`match: {prefix: "/"}`, `match: {safe_regex: {regex: "/a\\C"}}`}}},

	// 3. Extensions found by type URL (Config::Utility::getAndCheckFactory).
	{name: "http filter without typed_config", edits: [][2]string{{routerFilter, "          - name: envoy.filters.http.router"}},
		line: 23, token: "name", severity: "error", exit: 1,
		message: "Didn't find a registered implementation for 'envoy.filters.http.router' with type URL: ''"},
	{name: "http filter with an empty typed_config", edits: [][2]string{{routerFilter, "          - name: envoy.filters.http.router\n            typed_config: {}"}},
		line: 24, token: "{}", severity: "error", exit: 1,
		message: "Didn't find a registered implementation for 'envoy.filters.http.router' with type URL: ''"},
	{name: "access logger without typed_config", edits: [][2]string{{"          stat_prefix: ingress", "          stat_prefix: ingress\n          access_log:\n          - name: envoy.access_loggers.stdout"}},
		line: 16, token: "name", severity: "error", exit: 1,
		message: "Didn't find a registered implementation for 'envoy.access_loggers.stdout' with type URL: ''"},
	{name: "transport socket without typed_config", edits: [][2]string{{staticType, staticType + "    transport_socket:\n      name: envoy.transport_sockets.tls\n"}},
		line: 30, token: "transport_socket", severity: "error", exit: 1,
		message: "Didn't find a registered implementation for 'envoy.transport_sockets.tls' with type URL: ''"},
	{name: "optional filter without typed_config is accepted", edits: [][2]string{{routerFilter, "          - name: envoy.filters.http.cors\n            is_optional: true\n" + routerFilter}}},
	{name: "lookup by name when the runtime turns the guard off", edits: [][2]string{{routerFilter, "          - name: envoy.filters.http.router"}, {"admin:", runtimeOff}}},
	{name: "lookup by name with a nested runtime key", edits: [][2]string{{routerFilter, "          - name: envoy.filters.http.router"}, {"admin:", runtimeOffNested}}},

	// 4. Deprecated fields and enum values (rules_deprecated.go).
	{name: "deprecated field is a warning naming the replacement", edits: [][2]string{{staticType, staticType + "    http2_protocol_options: {}\n"}},
		line: 30, token: "http2_protocol_options", severity: "warning", exit: 0,
		message: "Using deprecated option 'envoy.config.cluster.v3.Cluster.http2_protocol_options' from file cluster.proto. This has been deprecated in favor of http2_protocol_options fields in the http_protocol_options message."},
	{name: "--strict leaves deprecations warnings", edits: [][2]string{{staticType, staticType + "    http2_protocol_options: {}\n"}}, args: []string{"--strict"},
		line: 30, token: "http2_protocol_options", severity: "warning", exit: 0,
		message: "Using deprecated option 'envoy.config.cluster.v3.Cluster.http2_protocol_options'"},
	{name: "--deny-deprecated makes them errors", edits: [][2]string{{staticType, staticType + "    http2_protocol_options: {}\n"}}, args: []string{"--deny-deprecated"},
		line: 30, token: "http2_protocol_options", severity: "error", exit: 1,
		message: "Using deprecated option 'envoy.config.cluster.v3.Cluster.http2_protocol_options'"},
	{name: "deprecated virtual host cors", edits: [][2]string{{`              domains: ["*"]`, "              domains: [\"*\"]\n              cors: {}"}},
		line: 19, token: "cors", severity: "warning", exit: 0,
		message: "Using deprecated option 'envoy.config.route.v3.VirtualHost.cors' from file route_components.proto. Please use VirtualHost.typed_per_filter_config to configure the CORS HTTP filter."},
	{name: "deprecated enum value", edits: [][2]string{{"admin:", "dynamic_resources:\n  ads_config:\n    api_type: GRPC\n    transport_api_version: V2\n" +
		"    grpc_services:\n    - envoy_grpc: {cluster_name: backend}\nadmin:"}},
		line: 4, token: "V2", severity: "warning", exit: 1,
		message: "Using deprecated value V2 for enum 'envoy.config.core.v3.ApiConfigSource.transport_api_version' from file config_source.proto."},

	// 5. Other load-time rules (rules_misc.go).
	{name: "two wildcard domains", edits: [][2]string{{"          route_config:\n", "          route_config:\n            name: local\n"},
		{"                route: {cluster: backend}\n", "                route: {cluster: backend}\n            - name: other\n              domains: [\"*\"]\n" +
			"              routes:\n              - match: {prefix: \"/\"}\n                route: {cluster: backend}\n"}},
		line: 24, token: `"*"`, severity: "error", exit: 1, message: "Only a single wildcard domain is permitted in route local"},
	{name: "duplicate domain ignoring case", edits: [][2]string{{`domains: ["*"]`, `domains: ["Example.com", "example.COM"]`}},
		line: 18, token: `"example.COM"`, severity: "error", exit: 1,
		message: "Only unique values for domains are permitted. Duplicate entry of domain example.com in route "},
	{name: "listener address is a hostname", edits: [][2]string{{"{address: 0.0.0.0, port_value: 10000}", "{address: localhost, port_value: 10000}"}},
		line: 8, token: "localhost", severity: "error", exit: 1, message: "malformed IP address: localhost"},
	{name: "admin address is a hostname", edits: [][2]string{{"{address: 127.0.0.1, port_value: 9901}", "{address: localhost, port_value: 9901}"}},
		line: 3, token: "localhost", severity: "error", exit: 1, message: "malformed IP address: localhost"},
	{name: "static cluster endpoint is a hostname", edits: [][2]string{{clusterEnd, "              socket_address: {address: backend.internal, port_value: 8080}"}},
		line: 36, token: "backend.internal", severity: "error", exit: 1, message: "malformed IP address: backend.internal"},
	{name: "strict_dns cluster may use hostnames", edits: [][2]string{{staticType, "    type: STRICT_DNS\n"},
		{clusterEnd, "              socket_address: {address: backend.internal, port_value: 8080}"}}},
	{name: "logical_dns with two endpoints", edits: [][2]string{{staticType, "    type: LOGICAL_DNS\n"},
		{clusterEnd, clusterEnd + "\n        - endpoint:\n            address:\n              socket_address: {address: 127.0.0.2, port_value: 8080}"}},
		line: 30, token: "load_assignment", severity: "error", exit: 1,
		message: "LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint"},
	{name: "logical_dns with a custom resolver", edits: [][2]string{{staticType, "    type: LOGICAL_DNS\n"},
		{clusterEnd, "              socket_address: {address: backend.internal, port_value: 8080, resolver_name: custom}"}},
		line: 36, token: "custom", severity: "error", exit: 1, message: "LOGICAL_DNS clusters must NOT have a custom resolver name set"},
	{name: "listener without filter chains", edits: [][2]string{{newListener, "  - name: empty\n    address:\n      socket_address: {address: 0.0.0.0, port_value: 10001}\n" + newListener}},
		line: 26, token: "name", severity: "error", exit: 1, message: "error adding listener '0.0.0.0:10001': no filter chains specified"},
	{name: "route_config and rds together are already a oneof error", edits: [][2]string{{"          route_config:\n", "          rds: {route_config_name: r, config_source: {ads: {}}}\n          route_config:\n"}},
		line: 16, token: "route_config", severity: "error", exit: 1,
		message: "rds and route_config are both set, but only one of oneof route_specifier may be"},
	{name: "two filter chains with the same match", edits: [][2]string{{"    - filters:\n", "    - name: plain\n      filters:\n      - name: envoy.filters.network.echo\n" +
		"        typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo}\n    - name: second\n      filters:\n"}},
		line: 14, token: "name: second", severity: "error", exit: 1,
		message: "error adding listener '0.0.0.0:10000': filter chain 'second' has the same matching rules defined as 'plain'"},
	{name: "filter chains told apart by server_names", edits: [][2]string{{"    - filters:\n", "    - name: plain\n      filter_chain_match: {server_names: [a.example]}\n      filters:\n" +
		"      - name: envoy.filters.network.echo\n        typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo}\n" +
		"    - name: second\n      filters:\n"}}},
	{name: "prefix_rewrite with regex_rewrite", edits: [][2]string{{"route: {cluster: backend}", `route: {cluster: backend, prefix_rewrite: /v2, regex_rewrite: {pattern: {regex: "^/v1"}, substitution: /v2}}`}},
		line: 21, token: "route", severity: "error", exit: 1, message: "Specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy"},
	{name: "weighted clusters weighing nothing", edits: [][2]string{{"route: {cluster: backend}", "route: {weighted_clusters: {clusters: [{name: backend, weight: 0}]}}"}},
		line: 21, token: "weighted_clusters", severity: "error", exit: 1, message: "Sum of weights in the weighted_cluster must be greater than 0."},
	{name: "upgrade type given twice", edits: [][2]string{{"          http_filters:", "          upgrade_configs: [{upgrade_type: websocket}, {upgrade_type: WebSocket}]\n          http_filters:"}},
		line: 22, token: "WebSocket", severity: "error", exit: 1, message: "multiple upgrade configs with the same name: 'WebSocket'"},
	{name: "original_dst without cluster_provided", edits: [][2]string{{"    type: STATIC\n    load_assignment:\n      cluster_name: backend\n      endpoints:\n" +
		"      - lb_endpoints:\n        - endpoint:\n            address:\n" + clusterEnd, "    type: ORIGINAL_DST"}},
		line: 27, token: "name", severity: "error", exit: 1,
		message: "cluster: LB policy ROUND_ROBIN is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'"},
}

func TestCheckLoadTimeRules(t *testing.T) {
	valid := validBootstrap(t)
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			broken := valid
			for _, e := range tc.edits {
				if !strings.Contains(broken, e[0]) {
					t.Fatalf("the bootstrap has no %q to replace", e[0])
				}
				broken = strings.Replace(broken, e[0], e[1], 1)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCLI(t, dir, append([]string{"check", "envoy.yaml"}, tc.args...)...)
			if code != tc.exit {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.exit, out, errOut)
			}
			if tc.line == 0 {
				if strings.Contains(out, ": error: ") {
					t.Errorf("want no error, got:\n%s", out)
				}
				return
			}
			lines := strings.Split(broken, "\n")
			col := strings.Index(lines[tc.line-1], tc.token) + 1
			if col == 0 {
				t.Fatalf("line %d %q has no token %q", tc.line, lines[tc.line-1], tc.token)
			}
			want := fmt.Sprintf("envoy.yaml:%d:%d: %s: ", tc.line, col, tc.severity)
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, want) && strings.Contains(l, tc.message) {
					return
				}
			}
			t.Errorf("no line %q...%q in output:\n%s", want, tc.message, out)
		})
	}
	if len(ruleCases) < 25 {
		t.Errorf("only %d load-time rule cases; issue 12 asks for at least 25", len(ruleCases))
	}
}

// TestDenyDeprecatedFromConfig checks the reloader.yaml key behind
// --deny-deprecated.
func TestDenyDeprecatedFromConfig(t *testing.T) {
	dir := t.TempDir()
	broken := strings.Replace(validBootstrap(t), staticType, staticType+"    http2_protocol_options: {}\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		config string
		exit   int
	}{{"", 0}, {"validate:\n  deny_deprecated: true\n", 1}} {
		if err := os.WriteFile(filepath.Join(dir, "reloader.yaml"), []byte(tt.config), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errOut := runCLI(t, dir, "check", "envoy.yaml"); code != tt.exit {
			t.Errorf("reloader.yaml %q: exit %d, want %d\n%s%s", tt.config, code, tt.exit, out, errOut)
		}
	}
}
