package bootstrap

import (
	"strings"

	udpatypev1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	clusterhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// filterKind is what Envoy's filter factory says about one filter: its
// canonical extension name (the factory's name(), which Envoy prints as the
// filter's "type") and whether it must end its chain.
type filterKind struct {
	name     string
	terminal bool
}

// networkFilterKinds maps a network filter's config message to its factory's
// answer. Terminal filters pass `true` as FactoryBase's second argument or
// override isTerminalFilterByProto; every other network filter inherits
// false from source/extensions/filters/network/common/factory_base.h.
// Sources (envoyproxy/envoy):
//
//	tcp_proxy               source/extensions/filters/network/tcp_proxy/config.h (FactoryBase(..., true))
//	http_connection_manager source/extensions/filters/network/http_connection_manager/config.h (FactoryBase(..., true))
//	redis_proxy             source/extensions/filters/network/redis_proxy/config.h (FactoryBase(..., true))
//	thrift_proxy            source/extensions/filters/network/thrift_proxy/config.h (FactoryBase(..., true))
//	dubbo_proxy             source/extensions/filters/network/dubbo_proxy/config.h (FactoryBase(..., true))
//	rocketmq_proxy          contrib/rocketmq_proxy/filters/network/source/config.h (FactoryBase(..., true))
//	kafka_mesh              contrib/kafka/filters/network/source/mesh/config.h (FactoryBase(..., true))
//	generic_proxy           source/extensions/filters/network/generic_proxy/config.h (FactoryBase(..., true))
//	echo                    source/extensions/filters/network/echo/config.cc (isTerminalFilterByProto: true)
//	direct_response         source/extensions/filters/network/direct_response/config.cc (isTerminalFilterByProto: true)
//	the rest                their config.h: FactoryBase(name) without the terminal flag
var networkFilterKinds = map[protoreflect.FullName]filterKind{
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy":                            {"envoy.filters.network.tcp_proxy", true},
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": {"envoy.filters.network.http_connection_manager", true},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy":                        {"envoy.filters.network.redis_proxy", true},
	"envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy":                      {"envoy.filters.network.thrift_proxy", true},
	"envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy":                        {"envoy.filters.network.dubbo_proxy", true},
	"envoy.extensions.filters.network.rocketmq_proxy.v3.RocketmqProxy":                  {"envoy.filters.network.rocketmq_proxy", true},
	"envoy.extensions.filters.network.kafka_mesh.v3alpha.KafkaMesh":                     {"envoy.filters.network.kafka_mesh", true},
	"envoy.extensions.filters.network.generic_proxy.v3.GenericProxy":                    {"envoy.filters.network.generic_proxy", true},
	"envoy.extensions.filters.network.echo.v3.Echo":                                     {"envoy.filters.network.echo", true},
	"envoy.extensions.filters.network.direct_response.v3.Config":                        {"envoy.filters.network.direct_response", true},
	"envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy":                        {"envoy.filters.network.mongo_proxy", false},
	"envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy":                        {"envoy.filters.network.mysql_proxy", false},
	"envoy.extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy":             {"envoy.filters.network.postgres_proxy", false},
	"envoy.extensions.filters.network.zookeeper_proxy.v3.ZooKeeperProxy":                {"envoy.filters.network.zookeeper_proxy", false},
	"envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker":                      {"envoy.filters.network.kafka_broker", false},
	"envoy.extensions.filters.network.rbac.v3.RBAC":                                     {"envoy.filters.network.rbac", false},
	"envoy.extensions.filters.network.ext_authz.v3.ExtAuthz":                            {"envoy.filters.network.ext_authz", false},
	"envoy.extensions.filters.network.ratelimit.v3.RateLimit":                           {"envoy.filters.network.ratelimit", false},
	"envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit":                {"envoy.filters.network.local_ratelimit", false},
	"envoy.extensions.filters.network.client_ssl_auth.v3.ClientSSLAuth":                 {"envoy.filters.network.client_ssl_auth", false},
	"envoy.extensions.filters.network.sni_cluster.v3.SniCluster":                        {"envoy.filters.network.sni_cluster", false},
	"envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig":        {"envoy.filters.network.sni_dynamic_forward_proxy", false},
	"envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit":              {"envoy.filters.network.connection_limit", false},
	"envoy.extensions.filters.network.wasm.v3.Wasm":                                     {"envoy.filters.network.wasm", false},
}

// httpFilterKinds maps an HTTP filter's config message to its factory's
// answer. Only the router (source/extensions/filters/http/router/config.h)
// and the upstream codec (source/extensions/filters/http/upstream_codec/config.h)
// override isTerminalFilterByProto to return true; every other HTTP filter
// inherits false from source/extensions/filters/http/common/factory_base.h.
// Filters whose answer depends on what they wrap (match_delegate, composite)
// are left out, so they are never judged.
var httpFilterKinds = map[protoreflect.FullName]filterKind{
	"envoy.extensions.filters.http.router.v3.Router":                            {"envoy.filters.http.router", true},
	"envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec":             {"envoy.filters.http.upstream_codec", true},
	"envoy.extensions.filters.http.cors.v3.Cors":                                {"envoy.filters.http.cors", false},
	"envoy.extensions.filters.http.cache.v3.CacheConfig":                        {"envoy.filters.http.cache", false},
	"envoy.extensions.filters.http.health_check.v3.HealthCheck":                 {"envoy.filters.http.health_check", false},
	"envoy.extensions.filters.http.grpc_web.v3.GrpcWeb":                         {"envoy.filters.http.grpc_web", false},
	"envoy.extensions.filters.http.ext_authz.v3.ExtAuthz":                       {"envoy.filters.http.ext_authz", false},
	"envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor":               {"envoy.filters.http.ext_proc", false},
	"envoy.extensions.filters.http.lua.v3.Lua":                                  {"envoy.filters.http.lua", false},
	"envoy.extensions.filters.http.fault.v3.HTTPFault":                          {"envoy.filters.http.fault", false},
	"envoy.extensions.filters.http.buffer.v3.Buffer":                            {"envoy.filters.http.buffer", false},
	"envoy.extensions.filters.http.compressor.v3.Compressor":                    {"envoy.filters.http.compressor", false},
	"envoy.extensions.filters.http.decompressor.v3.Decompressor":                {"envoy.filters.http.decompressor", false},
	"envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication":              {"envoy.filters.http.jwt_authn", false},
	"envoy.extensions.filters.http.rbac.v3.RBAC":                                {"envoy.filters.http.rbac", false},
	"envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit":           {"envoy.filters.http.local_ratelimit", false},
	"envoy.extensions.filters.http.ratelimit.v3.RateLimit":                      {"envoy.filters.http.ratelimit", false},
	"envoy.extensions.filters.http.header_to_metadata.v3.Config":                {"envoy.filters.http.header_to_metadata", false},
	"envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder":  {"envoy.filters.http.grpc_json_transcoder", false},
	"envoy.extensions.filters.http.grpc_http1_bridge.v3.Config":                 {"envoy.filters.http.grpc_http1_bridge", false},
	"envoy.extensions.filters.http.grpc_stats.v3.FilterConfig":                  {"envoy.filters.http.grpc_stats", false},
	"envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig":       {"envoy.filters.http.dynamic_forward_proxy", false},
	"envoy.extensions.filters.http.wasm.v3.Wasm":                                {"envoy.filters.http.wasm", false},
	"envoy.extensions.filters.http.csrf.v3.CsrfPolicy":                          {"envoy.filters.http.csrf", false},
	"envoy.extensions.filters.http.oauth2.v3.OAuth2":                            {"envoy.filters.http.oauth2", false},
	"envoy.extensions.filters.http.tap.v3.Tap":                                  {"envoy.filters.http.tap", false},
	"envoy.extensions.filters.http.header_mutation.v3.HeaderMutation":           {"envoy.filters.http.header_mutation", false},
	"envoy.extensions.filters.http.set_metadata.v3.Config":                      {"envoy.filters.http.set_metadata", false},
	"envoy.extensions.filters.http.basic_auth.v3.BasicAuth":                     {"envoy.filters.http.basic_auth", false},
	"envoy.extensions.filters.http.adaptive_concurrency.v3.AdaptiveConcurrency": {"envoy.filters.http.adaptive_concurrency", false},
	"envoy.extensions.filters.http.admission_control.v3.AdmissionControl":       {"envoy.filters.http.admission_control", false},
	"envoy.extensions.filters.http.aws_lambda.v3.Config":                        {"envoy.filters.http.aws_lambda", false},
	"envoy.extensions.filters.http.stateful_session.v3.StatefulSession":         {"envoy.filters.http.stateful_session", false},
	"envoy.extensions.filters.http.on_demand.v3.OnDemand":                       {"envoy.filters.http.on_demand", false},
	"envoy.extensions.filters.http.original_src.v3.OriginalSrc":                 {"envoy.filters.http.original_src", false},
}

// chainFilter is one filter of a chain as Envoy sees it when it builds the
// chain: the name the user gave it and the type its typed_config names.
type chainFilter struct {
	name  string
	typed *anypb.Any
	entry *decodedMessage
}

// checkFilterChains applies Envoy's terminal-filter rule to every filter
// chain in the bootstrap, Any payloads included. The rule and its wording
// are Config::Utility::validateTerminalFilters in
// source/common/config/utility.h, called per filter as the chain is built by
// the listener (source/common/listener_manager/listener_impl.cc, "network"),
// the HCM (source/common/http/filter_chain_helper.h via
// http_connection_manager/config.cc, "http" and "http upgrade"), the router
// (source/common/router/router.cc, "router upstream http") and a cluster's
// HttpProtocolOptions (source/common/upstream/upstream_impl.cc, "upstream http").
func (r *rules) checkFilterChains(entry *decodedMessage, msg proto.Message) {
	switch m := msg.(type) {
	case *listenerv3.FilterChain:
		fs := make([]chainFilter, 0, len(m.GetFilters()))
		for _, f := range m.GetFilters() {
			fs = append(fs, chainFilter{f.GetName(), f.GetTypedConfig(), r.byMsg[f]})
		}
		r.checkChain(fs, networkFilterKinds, "network")
	case *hcmv3.HttpConnectionManager:
		r.checkChain(r.httpChain(m.GetHttpFilters()), httpFilterKinds, "http")
	case *hcmv3.HttpConnectionManager_UpgradeConfig:
		r.checkChain(r.httpChain(m.GetFilters()), httpFilterKinds, "http upgrade")
	case *routerv3.Router:
		r.checkChain(r.httpChain(m.GetUpstreamHttpFilters()), httpFilterKinds, "router upstream http")
	case *clusterhttpv3.HttpProtocolOptions:
		r.checkChain(r.httpChain(m.GetHttpFilters()), httpFilterKinds, "upstream http")
	}
}

func (r *rules) httpChain(filters []*hcmv3.HttpFilter) []chainFilter {
	fs := make([]chainFilter, 0, len(filters))
	for _, f := range filters {
		fs = append(fs, chainFilter{f.GetName(), f.GetTypedConfig(), r.byMsg[f]})
	}
	return fs
}

// checkChain reports, like Envoy, a terminal filter that is not last and a
// non-terminal filter that is. Filters whose type is not in the table are
// not judged: their factory's answer is unknown here.
func (r *rules) checkChain(fs []chainFilter, kinds map[protoreflect.FullName]filterKind, chain string) {
	for i, f := range fs {
		if f.entry == nil || f.typed == nil {
			continue
		}
		kind, ok := kinds[r.extensionType(f.typed)]
		if !ok {
			continue
		}
		last := i == len(fs)-1
		switch {
		case kind.terminal && !last:
			r.errorf(f.entry.at, f.entry.path, "terminal filter named %s of type %s must be the last filter in a %s filter chain.", f.name, kind.name, chain)
		case !kind.terminal && last:
			extra := ""
			if chain == "router upstream http" {
				extra = " When upstream_http_filters are specified, they must explicitly end with an UpstreamCodec filter."
			}
			r.errorf(f.entry.at, f.entry.path, "non-terminal filter named %s of type %s is the last filter in a %s filter chain.%s", f.name, kind.name, chain, extra)
		}
	}
}

// extensionType is the message name a typed_config selects its factory by,
// looking through a TypedStruct as Config::Utility::getFactoryType does.
func (r *rules) extensionType(a *anypb.Any) protoreflect.FullName {
	name := typeName(a.GetTypeUrl())
	if name != "xds.type.v3.TypedStruct" && name != "udpa.type.v1.TypedStruct" {
		return name
	}
	if inner, ok := r.anys[a]; ok {
		switch ts := inner.msg.Interface().(type) {
		case *xdstypev3.TypedStruct:
			return typeName(ts.GetTypeUrl())
		case *udpatypev1.TypedStruct:
			return typeName(ts.GetTypeUrl())
		}
	}
	return name
}

// typeName is the part of a type URL after its last slash, as protobuf's
// Any resolution reads it.
func typeName(url string) protoreflect.FullName {
	return protoreflect.FullName(url[strings.LastIndexByte(url, '/')+1:])
}
