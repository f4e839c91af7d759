package standin

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// directRoute is a route of an inline route_config that answers itself.
type directRoute struct {
	path, prefix string
	status       int
	body         string
}

// directRoutes are the direct_response routes of a listener's HTTP
// connection managers, in order, so that a client can see which config the
// live epoch runs (curl the listener). Bodies from files are read now, as
// Envoy reads them when it loads the config.
func directRoutes(l *listenerv3.Listener) []directRoute {
	var out []directRoute
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			hcm := &hcmv3.HttpConnectionManager{}
			if f.GetTypedConfig() == nil || f.GetTypedConfig().UnmarshalTo(hcm) != nil {
				continue
			}
			for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
				for _, r := range vh.GetRoutes() {
					dr := r.GetDirectResponse()
					if dr == nil {
						continue
					}
					out = append(out, directRoute{
						path: r.GetMatch().GetPath(), prefix: r.GetMatch().GetPrefix(),
						status: int(dr.GetStatus()), body: dataSource(dr.GetBody()),
					})
				}
			}
		}
	}
	return out
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
	routes := directRoutes(l)
	name := l.GetName()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-standin-epoch", strconv.Itoa(int(s.opts.restartEpoch)))
		for _, rt := range routes {
			if (rt.path != "" && r.URL.Path == rt.path) || (rt.path == "" && strings.HasPrefix(r.URL.Path, rt.prefix)) {
				w.WriteHeader(rt.status)
				fmt.Fprint(w, rt.body)
				return
			}
		}
		if len(routes) > 0 {
			w.WriteHeader(http.StatusNotFound) // Envoy: no route matched
			return
		}
		fmt.Fprintf(w, "stand-in envoy epoch %d, listener %s\n", s.opts.restartEpoch, name)
	})
}
