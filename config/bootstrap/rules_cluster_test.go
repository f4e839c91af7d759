package bootstrap

import "testing"

// clusterDoc is a one-cluster bootstrap; body is the cluster's fields
// after its name (line 4 on).
func clusterDoc(body string) string {
	return "static_resources:\n  clusters:\n  - name: c\n" + body
}

const staticEndpoint = "    load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}]}]}\n"

func TestClusterStartRules(t *testing.T) {
	addr := "Address must be set: an endpoint of a STATIC cluster needs its address. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'"
	runEnvoyCases(t, []envoyCase{
		{"eds_cluster_config on a STATIC cluster", clusterDoc("    type: STATIC\n    eds_cluster_config: {service_name: x}\n"), "eds_cluster_config set in a non-EDS cluster", 5, ""},
		{"eds_cluster_config on a STRICT_DNS cluster", clusterDoc("    type: STRICT_DNS\n    eds_cluster_config: {service_name: x}\n"), "eds_cluster_config set in a non-EDS cluster", 5, ""},
		{"eds_cluster_config on a custom cluster type", clusterDoc("    lb_policy: CLUSTER_PROVIDED\n    cluster_type: {name: envoy.clusters.aggregate, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig, clusters: [x]}}\n    eds_cluster_config: {service_name: x}\n"),
			"eds_cluster_config set in a non-EDS cluster", 6, ""},
		{"EDS cluster with its config", clusterDoc("    type: EDS\n    eds_cluster_config: {service_name: x, eds_config: {path_config_source: {path: @DIR@/cert.pem}}}\n"), "", 0, ""},
		{"EDS cluster without eds_cluster_config", clusterDoc("    type: EDS\n"), "cannot create an EDS cluster without an EDS config", 3, ""},
		{"EDS cluster without eds_config", clusterDoc("    type: EDS\n    eds_cluster_config: {service_name: x}\n"), "Missing config source specifier in envoy::config::core::v3::ConfigSource", 5, ""},
		{"load_balancing_policy without policies", clusterDoc("    load_balancing_policy: {}\n"),
			"cluster: didn't find a registered load balancer factory implementation for cluster: 'c' with names from []", 4, ""},
		{"STATIC endpoint without address", clusterDoc("    load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {}}]}]}\n"), addr, 4, "Address must be set"},
		{"STATIC lb_endpoint without endpoint", clusterDoc("    load_assignment:\n      cluster_name: c\n      endpoints:\n      - lb_endpoints:\n        - endpoint_name: foo\n"), addr, 8, "Address must be set"},
		{"STRICT_DNS endpoint without address", clusterDoc("    type: STRICT_DNS\n    load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {}}]}]}\n"), "", 0, ""},
		{"STATIC endpoint with address", clusterDoc(staticEndpoint), "", 0, ""},
	})
}

func TestClusterManagerAndRuntimeRules(t *testing.T) {
	runEnvoyCases(t, []envoyCase{
		{"local cluster", clusterDoc(staticEndpoint) + "cluster_manager: {local_cluster_name: c}", "", 0, ""},
		{"unknown local cluster", clusterDoc(staticEndpoint) + "cluster_manager: {local_cluster_name: nope}", "local cluster 'nope' must be defined", 5, ""},
		{"disk layer", "layered_runtime: {layers: [{name: d, disk_layer: {symlink_root: @DIR@, subdirectory: envoy}}]}", "", 0, ""},
		{"disk layer without symlink_root", "layered_runtime: {layers: [{name: d, disk_layer: {subdirectory: envoy}}]}", "invalid file path: a disk_layer needs its symlink_root", 1, "invalid file path"},
	})
}
