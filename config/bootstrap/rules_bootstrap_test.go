package bootstrap

import (
	"strings"
	"testing"
)

// TestBootstrapRulesFollowEnvoy140: each case's verdict is what the Envoy
// 1.40.0 binary says (`envoy --mode validate`, or a start for set-cookie,
// which validate mode does not check); want is Envoy's message, "" for a
// config it accepts.
func TestBootstrapRulesFollowEnvoy140(t *testing.T) {
	const tail = "static_resources: {}\nadmin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}\n"
	tests := []struct {
		name, yaml, want string
		line             int
	}{
		{"static layer list", "layered_runtime: {layers: [{name: a, static_layer: {foo: [1, 2]}}]}", "Invalid runtime entry value for foo", 1},
		{"static layer nested list", "layered_runtime:\n  layers:\n  - name: a\n    static_layer:\n      foo:\n        bar: []", "Invalid runtime entry value for foo.bar", 6},
		{"static layer null", "layered_runtime: {layers: [{name: a, static_layer: {foo: null}}]}", "Invalid runtime entry value for foo", 1},
		{"static layer scalars and nesting", "layered_runtime: {layers: [{name: a, static_layer: {a: 1, b: x, c: true, d: {e: 1.5}, f: {}, g: {numerator: 5}}}]}", "", 0},
		{"duplicate layer names", "layered_runtime: {layers: [{name: a, static_layer: {}}, {name: b, admin_layer: {}}, {name: a, static_layer: {}}]}", "Duplicate layer name: a", 1},
		{"two admin layers", "layered_runtime: {layers: [{name: a, admin_layer: {}}, {name: b, admin_layer: {}}]}", "Too many admin layers specified in LayeredRuntime, at most one may be specified", 1},
		{"watchdog and watchdogs", "watchdog: {}\nwatchdogs: {}", "Only one of watchdog or watchdogs should be set!", 2},
		{"watchdogs alone", "watchdogs: {main_thread_watchdog: {miss_timeout: 1s}}", "", 0},
		{"set-cookie inline", "inline_headers: [{inline_header_name: set-cookie, inline_header_type: RESPONSE_HEADER}]", "Header set-cookie cannot be registered as an inline header.", 1},
		{"Set-Cookie inline", "inline_headers: [{inline_header_name: Set-Cookie, inline_header_type: REQUEST_HEADER}]", "Header Set-Cookie cannot be registered as an inline header.", 1},
		{"other inline", "inline_headers: [{inline_header_name: x-a, inline_header_type: RESPONSE_HEADER}]", "", 0},
		{"json log %v", "application_log_config: {log_format: {json_format: {msg: \"%v\"}}}", "setJsonLogFormat error: INVALID_ARGUMENT: Usage of %v is unavailable for JSON log formats", 1},
		{"json log %_ nested", "application_log_config: {log_format: {json_format: {a: {b: [\"x %_\"]}}}}", "setJsonLogFormat error: INVALID_ARGUMENT: Usage of %_ is unavailable for JSON log formats", 1},
		{"json log others", "application_log_config: {log_format: {json_format: {t: \"%n\", l: \"%l\", j: \"%j\", n: 1}}}", "", 0},
		{"text log %v", "application_log_config: {log_format: {text_format: \"%v %_\"}}", "", 0},
		{"filter as bootstrap extension", "bootstrap_extensions: [{name: x, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]",
			"Didn't find a registered implementation for 'x' with type URL: 'envoy.extensions.filters.http.router.v3.Router'", 1},
		{"ADS on an unknown cluster", "dynamic_resources: {ads_config: {api_type: GRPC, transport_api_version: V3, grpc_services: [{envoy_grpc: {cluster_name: nosuch}}]}}", "Unknown gRPC client cluster 'nosuch'", 1},
		{"CDS on an unknown cluster", "dynamic_resources: {cds_config: {resource_api_version: V3, api_config_source: {api_type: GRPC, transport_api_version: V3, grpc_services: [{envoy_grpc: {cluster_name: nosuch}}]}}}",
			"envoy.config.core.v3.ApiConfigSource must have a statically defined non-EDS cluster: 'nosuch' does not exist, was added via api, or is an EDS cluster", 1},
		{"LDS on an unknown cluster (not checked by validate)", "dynamic_resources: {lds_config: {resource_api_version: V3, api_config_source: {api_type: GRPC, transport_api_version: V3, grpc_services: [{envoy_grpc: {cluster_name: nosuch}}]}}}", "", 0},
		{"empty HttpProtocolOptions", "static_resources:\n  clusters:\n  - name: c\n    typed_extension_protocol_options:\n      envoy.extensions.upstreams.http.v3.HttpProtocolOptions: {}",
			"an empty typed config is an empty envoy.extensions.upstreams.http.v3.HttpProtocolOptions to Envoy, which refuses it: invalid HttpProtocolOptions.UpstreamProtocolOptions: value is required", 5},
		{"stats flush both ways", "stats_flush_interval: 5s\nstats_flush_on_admin: true", "Only one of stats_flush_interval or stats_flush_on_admin should be set!", 2},
		{"REST ADS with a gRPC service", "dynamic_resources: {ads_config: {api_type: REST, transport_api_version: V3, grpc_services: [{envoy_grpc: {cluster_name: x}}]}}",
			"envoy.config.core.v3.ApiConfigSource, if not a gRPC type, must not have a gRPC service specified", 1},
		{"negative duration", "stats_flush_interval: -1s", "stats_flush_interval: Invalid duration: Expected positive duration", 1},
		{"duration without a leading digit", "stats_flush_interval: .5s", "stats_flush_interval: invalid google.protobuf.Duration value \".5s\" (a digit must come before the point)", 1},
		{"resource_api_version V2 (a warning)", "dynamic_resources: {cds_config: {resource_api_version: V2, path_config_source: {path: /dev/null}}}", "", 0},
		{"internal listener extension", "bootstrap_extensions: [{name: x, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener}}]", "", 0},
	}
	for _, tt := range tests {
		doc := tt.yaml + "\n" + tail
		if strings.HasPrefix(tt.yaml, "static_resources") {
			doc = tt.yaml + "\n" + strings.TrimPrefix(tail, "static_resources: {}\n")
		}
		res := Load("b.yaml", []byte(doc), Options{})
		var errs []Diagnostic
		for _, d := range res.Diagnostics {
			if d.Severity == SeverityError {
				errs = append(errs, d)
			}
		}
		if tt.want == "" {
			if len(errs) > 0 {
				t.Errorf("%s: Envoy accepts it, check says %v", tt.name, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Message != tt.want || errs[0].Line != tt.line {
			t.Errorf("%s: got %v, want %q at line %d", tt.name, errs, tt.want, tt.line)
		}
	}
}

// TestDisputesSettledByEnvoy140 records the two disputed readings as the
// 1.40.0 binary settled them: an unquoted float in a string field is that
// string as written (`name: 1.50` is the cluster "1.50"), and a quoted bool
// in a BoolValue is read with absl::SimpleAtob; a bare 1 is not a bool.
func TestDisputesSettledByEnvoy140(t *testing.T) {
	base := "admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}\nstatic_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: 0.0.0.0, port_value: 1}}\n    filter_chains:\n    - filters:\n      - name: hcm\n        typed_config:\n          \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\n          stat_prefix: @S@\n          @U@\n          route_config: {virtual_hosts: [{name: v, domains: [\"*\"], routes: [{match: {prefix: /}, route: {cluster: @R@}}]}]}\n          http_filters: [{name: r, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]\n  clusters: [{name: 1.50, connect_timeout: 1s, type: STATIC}]\n"
	tests := []struct {
		stat, use, route string
		valid            bool
	}{
		{"1.5", "", `"1.50"`, true},
		{"1e3", "", `"1.50"`, true},
		{"-1.5", "", `"1.50"`, true},
		{".inf", "", `"1.50"`, true},
		{"15", "", `"1.50"`, false}, // an int32 is a number: refused by a string field
		{"s", "", `"1.5"`, false},   // route: unknown cluster '1.5'
		{"s", "use_remote_address: \"true\"", `"1.50"`, true},
		{"s", "use_remote_address: \"yes\"", `"1.50"`, true},
		{"s", "use_remote_address: \"t\"", `"1.50"`, true},
		{"s", "use_remote_address: \"1\"", `"1.50"`, true},
		{"s", "use_remote_address: 1", `"1.50"`, false},
		{"s", "use_remote_address: \"maybe\"", `"1.50"`, false},
	}
	for _, tt := range tests {
		doc := strings.NewReplacer("@S@", tt.stat, "@U@", tt.use, "@R@", tt.route).Replace(base)
		if res := Load("d.yaml", []byte(doc), Options{}); res.Valid() != tt.valid {
			t.Errorf("stat_prefix %s, %q, route %s: valid = %v, Envoy 1.40 says %v (%v)", tt.stat, tt.use, tt.route, res.Valid(), tt.valid, res.Diagnostics)
		}
	}
}
