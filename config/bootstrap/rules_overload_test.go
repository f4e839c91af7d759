package bootstrap

import "testing"

func TestOverloadManagerRules(t *testing.T) {
	const (
		heap  = `{name: envoy.resource_monitors.fixed_heap, typed_config: {"@type": type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig, max_heap_size_bytes: 1000000}}`
		conns = `{name: envoy.resource_monitors.global_downstream_max_connections, typed_config: {"@type": type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig, max_active_downstream_connections: 10}}`
	)
	om := func(lines string) string { return "overload_manager:\n" + lines }
	action := func(name, trigger string) string {
		return "  actions: [{name: " + name + ", triggers: [{name: " + trigger + ", threshold: {value: 0.9}}]}]\n"
	}
	runEnvoyCases(t, []envoyCase{
		{"heap and connection monitors", om("  resource_monitors: [" + heap + ", " + conns + "]\n"), "", 0, ""},
		{"connections config under another name", om("  resource_monitors: [{name: envoy.resource_monitors.x, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig, max_active_downstream_connections: 10}}]\n"),
			"Didn't find a registered implementation for 'envoy.resource_monitors.x' with type URL: 'envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig'", 2, ""},
		{"heap config under the proactive name", om("  resource_monitors: [{name: envoy.resource_monitors.global_downstream_max_connections, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig, max_heap_size_bytes: 1}}]\n"),
			"Didn't find a registered implementation for 'envoy.resource_monitors.global_downstream_max_connections' with type URL: 'envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig'", 2, ""},
		{"a monitor name with a blank", om("  resource_monitors: [{name: envoy.x y, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig, max_heap_size_bytes: 1}}]\n"), "", 0, ""},
		{"a monitor without its config", om("  resource_monitors: [{name: envoy.resource_monitors.fixed_heap}]\n"),
			"Didn't find a registered implementation for 'envoy.resource_monitors.fixed_heap' with type URL: ''", 2, ""},
		{"a monitor twice", om("  resource_monitors: [" + heap + ", " + heap + "]\n"), "Duplicate resource monitor envoy.resource_monitors.fixed_heap", 2, ""},
		{"trigger on a configured monitor", om("  resource_monitors: [" + heap + "]\n" + action("envoy.overload_actions.shrink_heap", "envoy.resource_monitors.fixed_heap")), "", 0, ""},
		{"trigger on an unconfigured monitor", om("  resource_monitors: [" + heap + "]\n" + action("envoy.overload_actions.shrink_heap", "envoy.resource_monitors.fixed_heapx")),
			"Unknown trigger resource envoy.resource_monitors.fixed_heapx for overload action envoy.overload_actions.shrink_heap", 3, ""},
		{"trigger on the unconfigured proactive resource", om("  resource_monitors: [" + heap + "]\n" + action("envoy.overload_actions.stop_accepting_requests", "envoy.resource_monitors.global_downstream_max_connections")), "", 0, ""},
		{"unknown action", om("  resource_monitors: [" + heap + "]\n" + action("envoy.overload_actions.foo", "envoy.resource_monitors.fixed_heap")), "Unknown Overload Manager Action envoy.overload_actions.foo", 3, ""},
		{"close idle connections action", om("  resource_monitors: [" + heap + "]\n" + action("envoy.overload_actions.close_idle_http_connections", "envoy.resource_monitors.fixed_heap")), "", 0, ""},
		{"an action twice", om("  resource_monitors: [" + heap + "]\n  actions: [{name: envoy.overload_actions.shrink_heap, triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.9}}]}, {name: envoy.overload_actions.shrink_heap, triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.9}}]}]\n"), "Duplicate overload action envoy.overload_actions.shrink_heap", 3, ""},
		{"reduce_timeouts without its config", om("  resource_monitors: [" + heap + "]\n" + action("envoy.overload_actions.reduce_timeouts", "envoy.resource_monitors.fixed_heap")),
			"Overload action \"envoy.overload_actions.reduce_timeouts\" requires typed_config", 3, ""},
		{"reset streams without buffer accounting", om("  resource_monitors: [" + heap + "]\n" + action("envoy.overload_actions.reset_high_memory_stream", "envoy.resource_monitors.fixed_heap")),
			"Overload action \"envoy.overload_actions.reset_high_memory_stream\" requires buffer_factory_config.", 3, ""},
		{"typed_config on a plain action", om("  resource_monitors: [" + heap + "]\n  actions: [{name: envoy.overload_actions.stop_accepting_requests, typed_config: {\"@type\": type.googleapis.com/envoy.config.overload.v3.ShrinkHeapConfig}, triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.9}}]}]\n"),
			"Overload action \"envoy.overload_actions.stop_accepting_requests\" has an unexpected value for the typed_config field", 3, ""},
		{"load shed point on the proactive resource", om("  resource_monitors: [" + heap + ", " + conns + "]\n  loadshed_points: [{name: envoy.load_shed_points.tcp_listener_accept, triggers: [{name: envoy.resource_monitors.global_downstream_max_connections, threshold: {value: 0.9}}]}]\n"),
			"Unknown trigger resource envoy.resource_monitors.global_downstream_max_connections for loadshed point envoy.load_shed_points.tcp_listener_accept", 3, ""},
	})
}

func TestStatsTagRules(t *testing.T) {
	tags := func(tag string) string { return "stats_config:\n  stats_tags:\n  - " + tag }
	runEnvoyCases(t, []envoyCase{
		{"regex without a name", tags(`{regex: '^a\.(b)\.'}`), "tag_name cannot be empty", 3, ""},
		{"neither regex nor name", tags("{}"), "No regex specified for tag specifier and no default regex for name: ''", 3, ""},
		{"a name without a default regex", tags("{tag_name: worker_id}"), "No regex specified for tag specifier and no default regex for name: 'worker_id'", 3, ""},
		{"a default tag name", tags("{tag_name: envoy.cluster_name}"), "", 0, ""},
		{"cipher_suite", tags("{tag_name: cipher_suite}"), "", 0, ""},
		{"a fixed value without a name", tags("{fixed_value: v}"), "", 0, ""},
		{"a std::regex with lookahead", tags("{tag_name: x, regex: '(?=x)abc'}"), "", 0, ""},
	})
}
