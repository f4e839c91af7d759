package bootstrap

import (
	"strings"
	"testing"
)

// xdsCluster is a static cluster named xds (lines 1-4), speaking HTTP/2.
const xdsCluster = "static_resources:\n  clusters:\n  - name: xds\n    load_assignment: {cluster_name: xds, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}]}]}\n" +
	"    typed_extension_protocol_options: {envoy.extensions.upstreams.http.v3.HttpProtocolOptions: {\"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions, explicit_http_config: {http2_protocol_options: {}}}}\n"

// routeToXds is an inline route_config routing all to the xds cluster.
const routeToXds = "route_config: {virtual_hosts: [{name: v, domains: [\"*\"], routes: [{match: {prefix: /}, route: {cluster: xds}}]}]}"

// hcmDoc is xdsCluster and a listener whose HCM has the given fields, one
// a line from line 15 on (and a router, unless the last one is http_filters).
func hcmDoc(fields ...string) string {
	filters := "          http_filters: [{name: router, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]\n"
	if strings.HasPrefix(fields[len(fields)-1], "http_filters:") {
		filters = "" // the case gives its own
	}
	return xdsCluster + "  listeners:\n  - name: l\n    address: {socket_address: {address: 127.0.0.1, port_value: 1}}\n    filter_chains:\n    - filters:\n      - name: hcm\n        typed_config:\n" +
		"          \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\n          stat_prefix: s\n" +
		"          " + strings.Join(fields, "\n          ") + "\n" + filters
}

func TestSubscriptionRules(t *testing.T) {
	const (
		restOK   = "{api_type: REST, cluster_names: [xds], refresh_delay: 1s}"
		restNope = "{api_type: REST, cluster_names: [nope], refresh_delay: 1s}"
		restNone = "{api_type: REST, refresh_delay: 1s}"
		grpcNope = "{api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: nope}}]}"
		static   = "envoy.config.core.v3.ApiConfigSource must have a statically defined non-EDS cluster: 'nope' does not exist, was added via api, or is an EDS cluster"
		names    = "API configs must have either a gRPC service or a cluster name defined"
	)
	cds := func(src string) string {
		return xdsCluster + "dynamic_resources: {cds_config: {resource_api_version: V3, api_config_source: " + src + "}}"
	}
	rtds := func(src string) string {
		return xdsCluster + "layered_runtime: {layers: [{name: r, rtds_layer: {name: r, rtds_config: {resource_api_version: V3, api_config_source: " + src + "}}}]}"
	}
	eds := func(src string) string {
		return xdsCluster + "  - name: e\n    type: EDS\n    eds_cluster_config: {eds_config: {resource_api_version: V3, api_config_source: " + src + "}}"
	}
	rds := func(src string) string {
		return hcmDoc("rds: {route_config_name: r, config_source: {resource_api_version: V3, api_config_source: " + src + "}}")
	}
	runEnvoyCases(t, []envoyCase{
		{"CDS over REST", cds(restOK), "", 0, ""},
		{"CDS over REST to an unknown cluster", cds(restNope), static, 6, ""},
		{"CDS over REST without a cluster", cds(restNone), names, 6, ""},
		{"CDS over gRPC to an unknown cluster", cds(grpcNope), static, 6, ""},
		{"CDS over delta gRPC to an unknown cluster (not checked)", cds("{api_type: DELTA_GRPC, grpc_services: [{envoy_grpc: {cluster_name: nope}}]}"), "", 0, ""},
		{"CDS over gRPC with a cluster name", cds("{api_type: GRPC, cluster_names: [xds], grpc_services: [{envoy_grpc: {cluster_name: xds}}]}"),
			"envoy.config.core.v3.ApiConfigSource::(AGGREGATED_)(DELTA_)GRPC must not have a cluster name specified", 6, ""},
		{"CDS over gRPC with two services", cds("{api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: xds}}, {envoy_grpc: {cluster_name: xds}}]}"),
			"envoy.config.core.v3.ApiConfigSource::(AGGREGATED_)(DELTA_)GRPC must have no more than 1 gRPC services specified", 6, ""},
		{"CDS over REST with two clusters", cds("{api_type: REST, cluster_names: [xds, xds], refresh_delay: 1s}"), "envoy.config.core.v3.ApiConfigSource must have a singleton cluster name specified", 6, ""},
		{"CDS over Google gRPC", cds("{api_type: GRPC, grpc_services: [{google_grpc: {target_uri: \"x:1\", stat_prefix: s}}]}"), "", 0, ""},
		{"CDS backed by an EDS cluster with a file", xdsCluster + "  - name: e\n    type: EDS\n    eds_cluster_config: {eds_config: {resource_api_version: V3, path_config_source: {path: @DIR@/cert.pem}}}\n" +
			"dynamic_resources: {cds_config: {resource_api_version: V3, api_config_source: {api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: e}}]}}}", "", 0, ""},
		{"RTDS over REST", rtds(restOK), "", 0, ""},
		{"RTDS over REST to an unknown cluster", rtds(restNope), static, 6, ""},
		{"RTDS over REST without a cluster", rtds(restNone), names, 6, ""},
		{"RTDS over gRPC to an unknown cluster", rtds(grpcNope), static, 6, ""},
		{"EDS over REST to an unknown cluster", eds(restNope), static, 8, ""},
		{"EDS over gRPC without a service", eds("{api_type: GRPC}"), names, 8, ""},
		{"RDS over gRPC to an unknown cluster", rds(grpcNope), static, 15, ""},
		{"RDS over REST", rds(restOK), "", 0, ""},
		{"LDS over REST to an unknown cluster (not checked)", xdsCluster + "dynamic_resources: {lds_config: {resource_api_version: V3, api_config_source: " + restNope + "}}", "", 0, ""},
	})
}

func TestStartReferenceRules(t *testing.T) {
	zipkin := func(fields string) string {
		return hcmDoc("tracing: {provider: {name: z, typed_config: {\"@type\": type.googleapis.com/envoy.config.trace.v3.ZipkinConfig, collector_endpoint_version: HTTP_JSON, "+fields+"}}}", routeToXds)
	}
	sink := func(typ, cluster string) string {
		return xdsCluster + "stats_sinks: [{name: o, typed_config: {\"@type\": type.googleapis.com/" + typ + ", grpc_service: {envoy_grpc: {cluster_name: " + cluster + "}}}}]"
	}
	const collector = "collector_cluster and collector_endpoint must be specified when not using collector_service"
	runEnvoyCases(t, []envoyCase{
		{"zipkin", zipkin("collector_cluster: xds, collector_endpoint: /api/v2/spans"), "", 0, ""},
		{"zipkin to an unknown cluster", zipkin("collector_cluster: nope, collector_endpoint: /api/v2/spans"), "envoy.tracers.zipkin: unknown cluster 'nope'", 15, ""},
		{"zipkin to a CDS cluster", zipkin("collector_cluster: nope, collector_endpoint: /api/v2/spans") + "dynamic_resources: {cds_config: {resource_api_version: V3, path_config_source: {path: @DIR@/cert.pem}}}",
			"envoy.tracers.zipkin: unknown cluster 'nope'", 15, ""},
		{"zipkin without endpoint", zipkin("collector_cluster: xds"), collector, 15, ""},
		{"zipkin without cluster", zipkin("collector_endpoint: /x"), collector, 15, ""},
		{"OpenTelemetry sink", sink("envoy.extensions.stat_sinks.open_telemetry.v3.SinkConfig", "xds"), "", 0, ""},
		{"OpenTelemetry sink to an unknown cluster", sink("envoy.extensions.stat_sinks.open_telemetry.v3.SinkConfig", "nope"), "Unknown gRPC client cluster 'nope'", 6, ""},
		{"metrics service sink to an unknown cluster", sink("envoy.config.metrics.v3.MetricsServiceConfig, transport_api_version: V3", "nope"), "Unknown gRPC client cluster 'nope'", 6, ""},
		{"route to a CDS cluster", hcmDoc("route_config: {virtual_hosts: [{name: v, domains: [\"*\"], routes: [{match: {prefix: /}, route: {cluster: foo}}]}]}") +
			"dynamic_resources: {cds_config: {resource_api_version: V3, path_config_source: {path: @DIR@/cert.pem}}}",
			"cluster: unknown cluster \"foo\": no static cluster has that name, and Envoy checks an inline route_config when it builds the listener, before CDS delivers any (validate_clusters: false lets it route to a CDS cluster)", 15,
			"route: unknown cluster 'foo'"},
		{"route to a CDS cluster with validate_clusters off", hcmDoc("route_config: {validate_clusters: false, virtual_hosts: [{name: v, domains: [\"*\"], routes: [{match: {prefix: /}, route: {cluster: foo}}]}]}") +
			"dynamic_resources: {cds_config: {resource_api_version: V3, path_config_source: {path: @DIR@/cert.pem}}}", "", 0, ""},
	})
}
