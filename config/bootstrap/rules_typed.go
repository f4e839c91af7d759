package bootstrap

import (
	"sort"
	"strings"

	xdscorev3 "github.com/cncf/xds/go/xds/core/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cache/v3"
	compressorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/compressor/v3"
	decompressorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/decompressor/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

// Typed configs Envoy looks a factory up for, beyond the filters and
// extensions checkExtension covers (rules_extensions.go). Each rule was a
// false accept of the differential harness, settled by the 1.40.0 binary.

// checkTypedPerFilterConfig: the per-route configs of a virtual host, a
// route or a weighted cluster are found by their Any's type URL
// (Router::PerFilterConfigs in source/common/router/config_impl.cc, through
// Config::Utility::getAndCheckFactory), so an empty Any has no factory.
func (r *rules) checkTypedPerFilterConfig(configs map[string]*anypb.Any, entry *decodedMessage) {
	if len(configs) == 0 {
		return
	}
	keys := make([]string, 0, len(configs))
	for k, a := range configs {
		if a.GetTypeUrl() == "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // map order is random; diagnostics are not
	for _, k := range keys {
		r.errorf(elementNode(entry.pos("typed_per_filter_config"), k), joinPath(entry.path, "typed_per_filter_config["+k+"]"),
			"Didn't find a registered implementation for '%s' with type URL: ''", k)
	}
}

// checkLibraries: the cache filter's storage (source/extensions/filters/http/cache/config.cc)
// and the compressor's and decompressor's libraries
// (source/extensions/filters/http/{compressor,decompressor}/config.cc) are
// found with Config::Utility::getFactoryByType on the Any's own type, which
// neither unwraps a TypedStruct nor takes an empty one.
func (r *rules) checkLibraries(entry *decodedMessage, msg any) {
	var lib *anypb.Any
	var at *decodedMessage
	switch m := msg.(type) {
	case *cachev3.CacheConfig:
		if m.GetTypedConfig() == nil {
			if !m.GetDisabled().GetValue() {
				r.errorf(entry.at, entry.path, "at least one of typed_config or disabled must be set")
			}
			return
		}
		lib, at = m.GetTypedConfig(), entry
	case *compressorv3.Compressor:
		lib, at = m.GetCompressorLibrary().GetTypedConfig(), r.byMsg[m.GetCompressorLibrary()]
	case *decompressorv3.Decompressor:
		lib, at = m.GetDecompressorLibrary().GetTypedConfig(), r.byMsg[m.GetDecompressorLibrary()]
	default:
		return
	}
	if lib == nil || at == nil {
		return
	}
	url := lib.GetTypeUrl()
	t := url[strings.LastIndexByte(url, '/')+1:]
	if t == "" || t == "xds.type.v3.TypedStruct" || t == "udpa.type.v1.TypedStruct" {
		r.errorf(fieldKey(at, "typed_config"), joinPath(at.path, "typed_config"), "Didn't find a registered implementation for type: '%s'", t)
	}
}

// otherCategories are the type-name prefixes of configs that belong to
// another extension category than the place they are in: Envoy finds a
// network filter, an HTTP filter or a transport socket by its config's type
// URL among the factories of that category only, and the official build
// registers each config type under its own category's package (the 1.40.0
// binary refuses a listener filter's TlsInspector as a network filter or a
// transport socket, a network filter's config as an HTTP filter, and so on).
var otherCategories = map[string][]string{
	"network filter": {"envoy.extensions.filters.http.", "envoy.extensions.filters.listener.", "envoy.extensions.filters.udp.", "envoy.extensions.transport_sockets."},
	"http filter":    {"envoy.extensions.filters.network.", "envoy.extensions.filters.listener.", "envoy.extensions.filters.udp.", "envoy.extensions.transport_sockets."},
	"transport":      {"envoy.extensions.filters."},
}

// checkCategory refuses a typed config whose type is of another category.
func (r *rules) checkCategory(entry *decodedMessage, msg any) {
	var name, category string
	var cfg *anypb.Any
	switch m := msg.(type) {
	case *listenerv3.Filter:
		name, category, cfg = m.GetName(), "network filter", m.GetTypedConfig()
	case *hcmv3.HttpFilter:
		name, category, cfg = m.GetName(), "http filter", m.GetTypedConfig()
	case *corev3.TransportSocket:
		name, category, cfg = m.GetName(), "transport", m.GetTypedConfig()
	default:
		return
	}
	if cfg.GetTypeUrl() == "" {
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(cfg.GetTypeUrl())
	if err != nil {
		return
	}
	full := string(mt.Descriptor().FullName())
	for _, prefix := range otherCategories[category] {
		if strings.HasPrefix(full, prefix) {
			r.errorf(entry.pos("typed_config"), joinPath(entry.path, "typed_config"), "Didn't find a registered implementation for '%s' with type URL: '%s'", name, full)
			return
		}
	}
}

// checkTypedStart dispatches the rules above on one message.
func (r *rules) checkTypedStart(entry *decodedMessage, msg any) {
	switch m := msg.(type) {
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
	default:
		r.checkLibraries(entry, msg)
		r.checkCategory(entry, msg)
	}
}
