package bootstrap

import (
	"sort"
	"strings"

	cachev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cache/v3"
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

// checkCache: the cache filter's storage (source/extensions/filters/http/cache/config.cc)
// and the compressor's and decompressor's libraries
// (source/extensions/filters/http/{compressor,decompressor}/config.cc) are
// found with Config::Utility::getFactoryByType on the Any's own type, which
// neither unwraps a TypedStruct nor takes an empty one.
func (r *rules) checkCache(m *cachev3.CacheConfig, entry *decodedMessage) {
	if m.GetTypedConfig() == nil {
		if !m.GetDisabled().GetValue() {
			r.errorf(entry.at, entry.path, "at least one of typed_config or disabled must be set")
		}
		return
	}
	r.checkLibrary(m.GetTypedConfig(), entry)
}

// checkLibrary is checkCache's and the (de)compressor library's rule on
// the Any lib of the message at.
func (r *rules) checkLibrary(lib *anypb.Any, at *decodedMessage) {
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
}

// transportPrefix is the package of every transport socket config of the
// official build (tls, raw_buffer, quic, alts, tap, proxy_protocol, ...):
// the 1.40.0 binary refuses any other type as a transport socket, filters'
// and access loggers' configs alike.
const transportPrefix = "envoy.extensions.transport_sockets."

// checkCategory refuses a typed config whose type is of another category.
func (r *rules) checkCategory(entry *decodedMessage, name, category string, cfg *anypb.Any) {
	if cfg.GetTypeUrl() == "" {
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(cfg.GetTypeUrl())
	if err != nil {
		return
	}
	full := string(mt.Descriptor().FullName())
	if category == "transport" && !strings.HasPrefix(full, transportPrefix) && full != "xds.type.v3.TypedStruct" && full != "udpa.type.v1.TypedStruct" {
		r.errorf(entry.pos("typed_config"), joinPath(entry.path, "typed_config"), "Didn't find a registered implementation for '%s' with type URL: '%s'", name, full)
		return
	}
	for _, prefix := range otherCategories[category] {
		if strings.HasPrefix(full, prefix) {
			r.errorf(entry.pos("typed_config"), joinPath(entry.path, "typed_config"), "Didn't find a registered implementation for '%s' with type URL: '%s'", name, full)
			return
		}
	}
}
