package envoytest

import (
	"fmt"
	"strings"
)

// LargeBootstrap writes a bootstrap with the given numbers of clusters and
// listeners, each listener with an HttpConnectionManager, routes to
// several clusters, and a router: the scale of a big hand-kept config.
func LargeBootstrap(clusters, listeners int) []byte {
	var b strings.Builder
	b.WriteString("admin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: 9901}\nstatic_resources:\n  listeners:\n")
	for l := range listeners {
		fmt.Fprintf(&b, `  - name: listener_%d
    address:
      socket_address: {address: 0.0.0.0, port_value: %d}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_%d
          codec_type: AUTO
          route_config:
            name: routes_%d
            virtual_hosts:
            - name: vh_%d
              domains: ["*"]
              routes:
`, l, 10000+l, l, l, l)
		for r := range 5 {
			fmt.Fprintf(&b, "              - match: {prefix: \"/r%d\"}\n                route: {cluster: cluster_%d, timeout: 5s}\n", r, (l*5+r)%clusters)
		}
		b.WriteString(`          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`)
	}
	b.WriteString("  clusters:\n")
	for c := range clusters {
		fmt.Fprintf(&b, `  - name: cluster_%d
    connect_timeout: 0.25s
    type: STRICT_DNS
    lb_policy: ROUND_ROBIN
    load_assignment:
      cluster_name: cluster_%d
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: {address: backend-%d.internal, port_value: 8080}
`, c, c, c)
	}
	return []byte(b.String())
}
