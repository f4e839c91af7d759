package standin

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// directRoute is a route of an inline route_config that answers itself,
// or (via) one to a cluster whose endpoint is another listener of this
// same config, whose routes answer instead (the example's ingress →
// upstream listener pair shows its body), or one to a cluster whose
// endpoint is elsewhere (upstream, host:port), such as another stand-in in
// another container, which it forwards the request to.
type directRoute struct {
	path, prefix string
	status       int
	body         string
	via          []directRoute
	upstream     string
	// headers are the response_headers_to_add of the route, its virtual
	// host and its route_config, in Envoy's order (most specific first).
	headers []*corev3.HeaderValueOption
}

// directRoutes are the direct_response routes of a listener's HTTP
// connection managers, in order, so that a client can see which config the
// live epoch runs (curl the listener). Bodies from files are read now, as
// Envoy reads them when it loads the config.
func directRoutes(boot *bootstrapv3.Bootstrap, l *listenerv3.Listener, depth int) []directRoute {
	var out []directRoute
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			hcm := &hcmv3.HttpConnectionManager{}
			if f.GetTypedConfig() == nil || f.GetTypedConfig().UnmarshalTo(hcm) != nil {
				continue
			}
			rc := hcm.GetRouteConfig()
			for _, vh := range rc.GetVirtualHosts() {
				for _, r := range vh.GetRoutes() {
					headers := append(append(append([]*corev3.HeaderValueOption{}, r.GetResponseHeadersToAdd()...), vh.GetResponseHeadersToAdd()...), rc.GetResponseHeadersToAdd()...)
					match := directRoute{path: r.GetMatch().GetPath(), prefix: r.GetMatch().GetPrefix(), headers: headers}
					if dr := r.GetDirectResponse(); dr != nil {
						match.status, match.body = int(dr.GetStatus()), dataSource(dr.GetBody())
						out = append(out, match)
					} else if target := listenerOf(boot, r.GetRoute().GetCluster()); target != nil && target != l && depth == 0 {
						match.via = directRoutes(boot, target, depth+1)
						out = append(out, match)
					} else if target == nil {
						if match.upstream = endpointOf(boot, r.GetRoute().GetCluster()); match.upstream != "" {
							out = append(out, match)
						}
					}
				}
			}
		}
	}
	return out
}

// listenerOf is the listener of boot that a static cluster's first
// endpoint points at, if any.
func listenerOf(boot *bootstrapv3.Bootstrap, cluster string) *listenerv3.Listener {
	if cluster == "" {
		return nil
	}
	for _, c := range boot.GetStaticResources().GetClusters() {
		if c.GetName() != cluster {
			continue
		}
		for _, le := range c.GetLoadAssignment().GetEndpoints() {
			for _, e := range le.GetLbEndpoints() {
				sa := e.GetEndpoint().GetAddress().GetSocketAddress()
				port := sa.GetPortValue()
				if !ownAddress(sa.GetAddress()) {
					continue // another host, reached through the network (endpointOf)
				}
				for _, l := range boot.GetStaticResources().GetListeners() {
					if port != 0 && l.GetAddress().GetSocketAddress().GetPortValue() == port {
						return l
					}
				}
			}
		}
	}
	return nil
}

// endpointOf is host:port of a static cluster's first endpoint, if any: a
// name for STRICT_DNS and LOGICAL_DNS clusters, resolved when a request is
// forwarded, as Envoy resolves it.
func endpointOf(boot *bootstrapv3.Bootstrap, cluster string) string {
	for _, c := range boot.GetStaticResources().GetClusters() {
		if c.GetName() != cluster || cluster == "" {
			continue
		}
		for _, le := range c.GetLoadAssignment().GetEndpoints() {
			for _, e := range le.GetLbEndpoints() {
				if sa := e.GetEndpoint().GetAddress().GetSocketAddress(); sa.GetAddress() != "" && sa.GetPortValue() != 0 {
					return net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue())))
				}
			}
		}
	}
	return ""
}

// forward sends r to upstream, as Envoy's router would (path unchanged);
// an upstream that does not answer gets Envoy's 503.
func forward(upstream string) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: "http", Host: upstream})
			pr.Out.Host = pr.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "upstream connect error or disconnect/reset before headers. reset reason: connection failure")
		},
	}
}

func dataSource(d *corev3.DataSource) string {
	switch {
	case d == nil:
		return ""
	case d.GetInlineString() != "":
		return d.GetInlineString()
	case len(d.GetInlineBytes()) > 0:
		return string(d.GetInlineBytes())
	case d.GetFilename() != "":
		b, _ := os.ReadFile(d.GetFilename())
		return string(b)
	}
	return ""
}

// listenerHandler answers with the first matching direct_response route,
// or, for listeners without one, a line naming the epoch and listener.
func (s *server) listenerHandler(l *listenerv3.Listener) http.Handler {
	routes := directRoutes(s.boot, l, 0)
	name := l.GetName()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(routes) == 0 {
			fmt.Fprintf(w, "stand-in envoy epoch %d, listener %s\n", s.opts.restartEpoch, name)
			return
		}
		rt, ok := matchRoute(routes, r.URL.Path)
		if ok && rt.via != nil {
			rt, ok = matchRoute(rt.via, r.URL.Path)
		}
		if !ok {
			w.WriteHeader(http.StatusNotFound) // Envoy: no route matched
			return
		}
		for _, h := range rt.headers {
			w.Header().Add(h.GetHeader().GetKey(), formatHeader(h.GetHeader().GetValue()))
		}
		if rt.upstream != "" {
			forward(rt.upstream).ServeHTTP(w, r)
			return
		}
		w.WriteHeader(rt.status)
		fmt.Fprint(w, rt.body)
	})
}

func matchRoute(routes []directRoute, path string) (directRoute, bool) {
	for _, rt := range routes {
		if (rt.path != "" && path == rt.path) || (rt.path == "" && strings.HasPrefix(path, rt.prefix)) {
			return rt, true
		}
	}
	return directRoute{}, false
}

// environment matches the %ENVIRONMENT(NAME)% command of Envoy's header
// formatter (source/common/formatter/substitution_formatter.cc).
var environment = regexp.MustCompile(`%ENVIRONMENT\(([A-Za-z0-9_]+)\)%`)

// formatHeader substitutes the one command the tests' configs use; an
// unset variable is "-", as in Envoy.
func formatHeader(v string) string {
	return environment.ReplaceAllStringFunc(v, func(m string) string {
		if val := os.Getenv(environment.FindStringSubmatch(m)[1]); val != "" {
			return val
		}
		return "-"
	})
}

// ownAddress says whether an endpoint's address is this Envoy's own.
func ownAddress(addr string) bool {
	switch addr {
	case "127.0.0.1", "localhost", "::1", "0.0.0.0", "::":
		return true
	}
	return false
}
