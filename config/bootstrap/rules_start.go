package bootstrap

import (
	xdscorev3 "github.com/cncf/xds/go/xds/core/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cache/v3"
	compressorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/compressor/v3"
	decompressorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/decompressor/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
)

// startRefs are the static clusters, by name, that start-up references are
// resolved against (all of them, and the primary ones xDS needs), and the
// static secrets.
type startRefs struct {
	static    map[string]bool // every static cluster
	secondary map[string]bool // static EDS clusters fed over the network
	secrets   map[string]bool // the static secrets
}

// primary reports a static cluster an xDS subscription may be backed by.
func (s *startRefs) primary(name string) bool { return s.static[name] && !s.secondary[name] }

// startRefs makes the bootstrap's startRefs once.
func (r *rules) startRefs(b *bootstrapv3.Bootstrap) *startRefs {
	if r.refs == nil {
		r.refs = newStartRefs(b)
	}
	return r.refs
}

// checkStart dispatches the per-message start-up rules of rules_cluster.go,
// rules_tls.go, rules_xds.go and rules_typed.go, in one type switch (one
// per message of the bootstrap: BenchmarkValidate2000Clusters pays it).
func (r *rules) checkStart(entry *decodedMessage, msg proto.Message, st *startRefs) {
	switch m := msg.(type) {
	case *clusterv3.Cluster:
		r.checkClusterStart(m, entry, st)
	case *tlsv3.DownstreamTlsContext:
		r.checkTLSContext(m.GetCommonTlsContext(), true, entry)
		r.checkStaticSecrets(m.GetCommonTlsContext(), st.secrets)
		r.checkStaticSecret(m.GetSessionTicketKeysSdsSecretConfig(), st.secrets, "Unknown tls session ticket keys: %s")
	case *tlsv3.UpstreamTlsContext:
		r.checkTLSContext(m.GetCommonTlsContext(), false, entry)
		r.checkStaticSecrets(m.GetCommonTlsContext(), st.secrets)
	case *tracev3.ZipkinConfig:
		r.checkZipkin(m, entry, st.static)
	case *hcmv3.HttpConnectionManager:
		r.checkSubscription(m.GetRds().GetConfigSource().GetApiConfigSource(), st)
	case *routev3.VirtualHost:
		r.checkTypedPerFilterConfig(m.GetTypedPerFilterConfig(), entry)
	case *routev3.Route:
		r.checkTypedPerFilterConfig(m.GetTypedPerFilterConfig(), entry)
	case *routev3.WeightedCluster_ClusterWeight:
		r.checkTypedPerFilterConfig(m.GetTypedPerFilterConfig(), entry)
	case *xdscorev3.TypedExtensionConfig:
		// The xds twin of TypedExtensionConfig names matchers' inputs and
		// actions, which Envoy finds by type URL as it does the envoy one
		// (source/common/matcher/matcher.h, MatchTreeFactory).
		if a := m.GetTypedConfig(); a != nil && a.GetTypeUrl() == "" {
			r.errorf(entry.pos("typed_config"), joinPath(entry.path, "typed_config"), "Didn't find a registered implementation for '%s' with type URL: ''", m.GetName())
		}
	case *cachev3.CacheConfig:
		r.checkCache(m, entry)
	case *compressorv3.Compressor:
		r.checkLibrary(m.GetCompressorLibrary().GetTypedConfig(), r.byMsg[m.GetCompressorLibrary()])
	case *decompressorv3.Decompressor:
		r.checkLibrary(m.GetDecompressorLibrary().GetTypedConfig(), r.byMsg[m.GetDecompressorLibrary()])
	case *listenerv3.Filter:
		r.checkCategory(entry, m.GetName(), "network filter", m.GetTypedConfig())
	case *hcmv3.HttpFilter:
		r.checkCategory(entry, m.GetName(), "http filter", m.GetTypedConfig())
	case *corev3.TransportSocket:
		r.checkCategory(entry, m.GetName(), "transport", m.GetTypedConfig())
	}
}

// checkStartup runs the whole-bootstrap start-up rules.
func (r *rules) checkStartup(b *bootstrapv3.Bootstrap) {
	st := r.startRefs(b)
	static := st.static
	r.checkSubscriptions(b, st)
	// ClusterManagerImpl (source/common/upstream/cluster_manager_impl.cc):
	// the local cluster must be a static one.
	if name := b.GetClusterManager().GetLocalClusterName(); name != "" && !static[name] {
		if e := r.byMsg[b.GetClusterManager()]; e != nil {
			r.errorf(e.pos("local_cluster_name"), "cluster_manager.local_cluster_name", "local cluster '%s' must be defined", name)
		}
	}
	r.checkStatsSinkClusters(b, static)
	r.checkOverloadManager(b)
	r.checkStatsTags(b)
}
