package bootstrap

import "testing"

func TestTypedConfigRules(t *testing.T) {
	filter := func(typ, fields string) string {
		return "{name: f, typed_config: {\"@type\": type.googleapis.com/" + typ + fields + "}}, "
	}
	withFilter := func(f string) string {
		return hcmDoc(routeToXds, "http_filters: ["+f+"{name: router, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]")
	}
	perRoute := func(cfg string) string {
		return hcmDoc("route_config: {virtual_hosts: [{name: v, domains: [\"*\"], routes: [{match: {prefix: /}, route: {cluster: xds}, typed_per_filter_config: {envoy.filters.http.cors: "+cfg+"}}]}]}",
			"http_filters: ["+filter("envoy.extensions.filters.http.cors.v3.Cors", "")+"{name: router, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]")
	}
	network := func(typ string) string {
		return "static_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: 0.0.0.0, port_value: 1}}\n    filter_chains:\n    - filters:\n" +
			"      - name: x\n        typed_config: {\"@type\": type.googleapis.com/" + typ + "}\n" +
			"      - name: tcp\n        typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: s, cluster: c}\n"
	}
	socket := func(typ string) string {
		return network("envoy.extensions.filters.network.rbac.v3.RBAC, stat_prefix: x") + "      transport_socket: {name: t, typed_config: {\"@type\": type.googleapis.com/" + typ + "}}\n"
	}
	const (
		brotli = "envoy.extensions.filters.http.compressor.v3.Compressor"
		ts     = ", compressor_library: {name: b, typed_config: {\"@type\": type.googleapis.com/udpa.type.v1.TypedStruct, type_url: type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli, value: {window_bits: 10}}}"
	)
	runEnvoyCases(t, []envoyCase{
		{"per-route config", perRoute("{\"@type\": type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy}"), "", 0, ""},
		{"empty per-route config", perRoute("{}"), "Didn't find a registered implementation for 'envoy.filters.http.cors' with type URL: ''", 15, ""},
		{"cache with an empty storage config", withFilter(filter("envoy.extensions.filters.http.cache.v3.CacheConfig", ", typed_config: {}")), "Didn't find a registered implementation for type: ''", 16, ""},
		{"cache without a storage config", withFilter(filter("envoy.extensions.filters.http.cache.v3.CacheConfig", "")), "at least one of typed_config or disabled must be set", 16, ""},
		{"compressor library as a TypedStruct", withFilter(filter(brotli, ts)), "Didn't find a registered implementation for type: 'udpa.type.v1.TypedStruct'", 16, ""},
		{"an HTTP filter as a TypedStruct", withFilter(filter("xds.type.v3.TypedStruct", ", type_url: type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors")), "", 0, ""},
		{"a network filter as an HTTP filter", withFilter(filter("envoy.extensions.filters.network.rbac.v3.RBAC", ", stat_prefix: x")),
			"Didn't find a registered implementation for 'f' with type URL: 'envoy.extensions.filters.network.rbac.v3.RBAC'", 16, ""},
		{"a listener filter as a network filter", network("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"),
			"Didn't find a registered implementation for 'x' with type URL: 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'", 8, ""},
		{"an HTTP filter as a network filter", network("envoy.extensions.filters.http.cors.v3.Cors"), "Didn't find a registered implementation for 'x' with type URL: 'envoy.extensions.filters.http.cors.v3.Cors'", 8, ""},
		{"a transport socket as a network filter", network("envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"),
			"Didn't find a registered implementation for 'x' with type URL: 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer'", 8, ""},
		{"a listener filter as a transport socket", socket("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"),
			"Didn't find a registered implementation for 't' with type URL: 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'", 11, ""},
		{"an access logger as a transport socket", socket("envoy.extensions.access_loggers.file.v3.FileAccessLog, path: /dev/null"),
			"Didn't find a registered implementation for 't' with type URL: 'envoy.extensions.access_loggers.file.v3.FileAccessLog'", 11, ""},
		{"raw buffer transport socket", socket("envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"), "", 0, ""},
		{"matcher action without a type", hcmDoc(routeToXds, "http_filters: ["+filter("envoy.extensions.filters.http.rbac.v3.RBAC",
			", matcher: {on_no_match: {action: {name: action, typed_config: {}}}}")+"{name: router, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]"),
			"Didn't find a registered implementation for 'action' with type URL: ''", 16, ""},
	})
}
