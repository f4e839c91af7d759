package bootstrap

import (
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	metricsv3 "github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	otelsinkv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/stat_sinks/open_telemetry/v3"
)

// The clusters that xDS subscriptions, gRPC stats sinks and tracers name
// are looked up while Envoy starts, among the static clusters: CDS has not
// delivered any yet (the 1.40.0 binary refuses each case below in validate
// mode and when it starts serving, CDS configured or not).

const apiConfigSource = "envoy.config.core.v3.ApiConfigSource"

// checkSubscription mirrors Config::Utility::checkApiConfigSourceSubscriptionBackingCluster
// and checkApiConfigSourceNames (source/common/config/utility.cc), which
// SubscriptionFactoryImpl runs for the subscriptions Envoy starts with:
// CDS, RTDS layers, EDS clusters and an HCM's RDS (validate mode does not
// start LDS or SDS subscriptions, and ADS has rules of its own).
// Aggregated sources are ADS's business; gRPC means GRPC or DELTA_GRPC, and
// only a GRPC source's Envoy gRPC cluster is checked (the binary accepts a
// DELTA_GRPC source naming no cluster there is).
func (r *rules) checkSubscription(src *corev3.ApiConfigSource, st *startRefs) {
	e := r.byMsg[src]
	if src == nil || e == nil {
		return
	}
	t := src.GetApiType()
	if t == corev3.ApiConfigSource_AGGREGATED_GRPC || t == corev3.ApiConfigSource_AGGREGATED_DELTA_GRPC {
		return
	}
	isGRPC := t == corev3.ApiConfigSource_GRPC || t == corev3.ApiConfigSource_DELTA_GRPC
	names, services := src.GetClusterNames(), src.GetGrpcServices()
	bad := func(field, msg string) {
		r.errorf(fieldKey(e, "api_type"), joinPath(e.path, field), "%s", msg)
	}
	switch {
	case len(names) == 0 && len(services) == 0:
		bad("api_type", "API configs must have either a gRPC service or a cluster name defined")
		return
	case isGRPC && len(names) > 0:
		bad("cluster_names", apiConfigSource+"::(AGGREGATED_)(DELTA_)GRPC must not have a cluster name specified")
		return
	case isGRPC && len(services) > 1:
		bad("grpc_services", apiConfigSource+"::(AGGREGATED_)(DELTA_)GRPC must have no more than 1 gRPC services specified")
		return
	case !isGRPC && len(services) > 0:
		bad("grpc_services", apiConfigSource+", if not a gRPC type, must not have a gRPC service specified")
		return
	case !isGRPC && len(names) != 1:
		bad("cluster_names", apiConfigSource+" must have a singleton cluster name specified")
		return
	}
	name, at, path := "", e.pos("cluster_names"), joinPath(e.path, "cluster_names[0]")
	if len(names) > 0 {
		name = names[0]
		at = elementNode(at, "0")
	} else if eg := services[0].GetEnvoyGrpc(); t == corev3.ApiConfigSource_GRPC && eg != nil {
		name = eg.GetClusterName()
		if ge := r.byMsg[eg]; ge != nil {
			at, path = ge.pos("cluster_name"), joinPath(ge.path, "cluster_name")
		}
	} else {
		return
	}
	if !st.primary(name) {
		r.errorf(at, path, "%s must have a statically defined non-EDS cluster: '%s' does not exist, was added via api, or is an EDS cluster", apiConfigSource, name)
	}
}

// checkSubscriptions runs checkSubscription on the bootstrap's own
// subscriptions: CDS (source/common/upstream/cds_api_impl.cc) and RTDS
// layers (source/common/runtime/runtime_impl.cc, RtdsSubscription).
func (r *rules) checkSubscriptions(b *bootstrapv3.Bootstrap, st *startRefs) {
	r.checkSubscription(b.GetDynamicResources().GetCdsConfig().GetApiConfigSource(), st)
	for _, layer := range b.GetLayeredRuntime().GetLayers() {
		r.checkSubscription(layer.GetRtdsLayer().GetRtdsConfig().GetApiConfigSource(), st)
	}
}

// checkStatsSinkClusters: the gRPC stats sinks (metrics service,
// OpenTelemetry) get their client from Grpc::AsyncClientManagerImpl
// (source/common/grpc/async_client_manager_impl.cc), which refuses an Envoy
// gRPC cluster the cluster manager does not have when the sinks are built
// at start.
func (r *rules) checkStatsSinkClusters(b *bootstrapv3.Bootstrap, static map[string]bool) {
	for _, sink := range b.GetStatsSinks() {
		var g *corev3.GrpcService
		payload := r.anys[sink.GetTypedConfig()]
		if payload == nil {
			continue
		}
		switch m := payload.msg.Interface().(type) {
		case *metricsv3.MetricsServiceConfig:
			g = m.GetGrpcService()
		case *otelsinkv3.SinkConfig:
			g = m.GetGrpcService()
		default:
			continue
		}
		eg := g.GetEnvoyGrpc()
		if eg == nil || static[eg.GetClusterName()] {
			continue
		}
		if e := r.byMsg[eg]; e != nil {
			r.errorf(e.pos("cluster_name"), joinPath(e.path, "cluster_name"), "Unknown gRPC client cluster '%s'", eg.GetClusterName())
		}
	}
}

// checkZipkin mirrors the Zipkin driver (source/extensions/tracers/zipkin/zipkin_tracer_impl.cc):
// without a collector_service it needs both collector_cluster and
// collector_endpoint, and Config::Utility::checkCluster refuses a
// collector_cluster that is not a static cluster when the HCM is built.
func (r *rules) checkZipkin(z *tracev3.ZipkinConfig, entry *decodedMessage, static map[string]bool) {
	if z.GetCollectorService() != nil {
		return
	}
	if z.GetCollectorCluster() == "" || z.GetCollectorEndpoint() == "" {
		r.errorf(entry.at, entry.path, "collector_cluster and collector_endpoint must be specified when not using collector_service")
		return
	}
	if !static[z.GetCollectorCluster()] {
		r.errorf(entry.pos("collector_cluster"), joinPath(entry.path, "collector_cluster"),
			"%s", fmt.Sprintf("envoy.tracers.zipkin: unknown cluster '%s'", z.GetCollectorCluster()))
	}
}
