package bootstrap

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
)

// startRefs are the static clusters, by name, that start-up references are
// resolved against: all of them, and the primary ones xDS needs.
type startRefs struct {
	static, primary map[string]bool
}

// checkStart dispatches the per-message start-up rules of rules_cluster.go,
// rules_tls.go, rules_xds.go and rules_typed.go.
func (r *rules) checkStart(entry *decodedMessage, msg proto.Message, st startRefs) {
	switch m := msg.(type) {
	case *clusterv3.Cluster:
		r.checkClusterStart(m, entry, st.primary)
	case *tlsv3.DownstreamTlsContext:
		r.checkTLSContext(m.GetCommonTlsContext(), true, entry)
	case *tlsv3.UpstreamTlsContext:
		r.checkTLSContext(m.GetCommonTlsContext(), false, entry)
	case *tracev3.ZipkinConfig:
		r.checkZipkin(m, entry, st.static)
	case *hcmv3.HttpConnectionManager:
		r.checkSubscription(m.GetRds().GetConfigSource().GetApiConfigSource(), st.primary)
		r.checkTypedStart(entry, msg)
	default:
		r.checkTypedStart(entry, msg)
	}
}

// checkStartup runs the whole-bootstrap start-up rules.
func (r *rules) checkStartup(b *bootstrapv3.Bootstrap) {
	clusters := b.GetStaticResources().GetClusters()
	static := make(map[string]bool, len(clusters))
	for _, c := range clusters {
		static[c.GetName()] = true
	}
	r.checkSubscriptions(b, primaryClusters(clusters))
	r.checkStatsSinkClusters(b, static)
	r.checkOverloadManager(b)
	r.checkStatsTags(b)
}
