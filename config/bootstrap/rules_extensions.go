package bootstrap

import (
	"strings"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	metricsv3 "github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3"
	overloadv3 "github.com/envoyproxy/go-control-plane/envoy/config/overload/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// extensionGuard is the runtime guard that makes Envoy find extensions by
// the type URL of their typed_config only (on by default since Envoy 1.22;
// source/common/runtime/runtime_features.cc).
const extensionGuard = "envoy.reloadable_features.no_extension_lookup_by_name"

// checkExtension mirrors Config::Utility::getAndCheckFactory in
// source/common/config/utility.h: with the guard on, an extension whose
// typed_config is missing or carries no type URL has no factory, and unless
// the extension is optional Envoy refuses the config ("Didn't find a
// registered implementation for <name> with type URL", the URL quoted and
// empty). The messages checked are the ones Envoy resolves through that function:
// network, listener and HTTP filters, access loggers, transport sockets,
// stats sinks, tracers, resource monitors and TypedExtensionConfig.
func (r *rules) checkExtension(entry *decodedMessage, pm proto.Message, byName bool) {
	if byName {
		return
	}
	var name string
	switch m := pm.(type) {
	case *hcmv3.HttpFilter:
		// filter_chain_helper.cc skips a missing optional filter with a warning.
		if m.GetIsOptional() {
			return
		}
		name = m.GetName()
	case *listenerv3.Filter:
		name = m.GetName()
	case *listenerv3.ListenerFilter:
		name = m.GetName()
	case *accesslogv3.AccessLog:
		name = m.GetName()
	case *corev3.TransportSocket:
		name = m.GetName()
	case *metricsv3.StatsSink:
		name = m.GetName()
	case *tracev3.Tracing_Http:
		name = m.GetName()
	case *overloadv3.ResourceMonitor:
		// OverloadManagerImpl (source/server/overload_manager_impl.cc) finds
		// every monitor with getAndCheckFactory.
		name = m.GetName()
	case *corev3.TypedExtensionConfig:
		// Its typed_config is required by PGV, which already reports a
		// missing one; only an Any without a type URL gets past it.
		if m.GetTypedConfig() == nil {
			return
		}
		name = m.GetName()
	default:
		return
	}
	msg := entry.msg
	fd := msg.Descriptor().Fields().ByName("typed_config")
	if fd == nil {
		return
	}
	if oo := fd.ContainingOneof(); oo != nil {
		// config_discovery (ECDS) is the other way to give a filter its config.
		if set := msg.WhichOneof(oo); set != nil && set != fd {
			return
		}
	}
	at := entry.at
	if msg.Has(fd) {
		if msg.Get(fd).Message().Interface().(interface{ GetTypeUrl() string }).GetTypeUrl() != "" {
			return
		}
		at = entry.pos("typed_config")
	}
	r.errorf(at, joinPath(entry.path, "typed_config"), "Didn't find a registered implementation for '%s' with type URL: ''", name)
}

// extensionLookupByName reports whether the bootstrap's static runtime
// layers turn the guard off, so Envoy falls back to finding extensions by
// name. Later layers override earlier ones, and Envoy flattens nested
// static_layer maps into dotted keys (source/common/runtime/runtime_impl.cc).
func extensionLookupByName(b *bootstrapv3.Bootstrap) bool {
	byName := false
	for _, layer := range b.GetLayeredRuntime().GetLayers() {
		if v, ok := runtimeKey(layer.GetStaticLayer().GetFields(), extensionGuard); ok {
			byName = isFalse(v)
		}
	}
	return byName
}

// runtimeKey finds key in a static layer, whether written flat
// ("envoy.reloadable_features.x: false") or nested ("envoy: {reloadable_features: {x: false}}").
func runtimeKey(fields map[string]*structpb.Value, key string) (*structpb.Value, bool) {
	if v, ok := fields[key]; ok {
		return v, true
	}
	for k, v := range fields {
		if rest, ok := strings.CutPrefix(key, k+"."); ok && v.GetStructValue() != nil {
			if found, ok := runtimeKey(v.GetStructValue().GetFields(), rest); ok {
				return found, true
			}
		}
	}
	return nil, false
}

// isFalse reads a runtime value as Envoy does: a bool, or the strings
// "false"/"FALSE" that the runtime loader turns into one.
func isFalse(v *structpb.Value) bool {
	switch k := v.GetKind().(type) {
	case *structpb.Value_BoolValue:
		return !k.BoolValue
	case *structpb.Value_StringValue:
		return strings.EqualFold(k.StringValue, "false")
	}
	return false
}
