package bootstrap

import (
	"fmt"
	"reflect"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/structpb"
	"gopkg.in/yaml.v3"
)

// Rules about the bootstrap as a whole that Envoy enforces while it starts,
// after the protos have parsed and validated. Each was first seen as a
// false accept on real bootstraps and is settled by the 1.40.0 binary.

// bootstrapExtensionTypes are the typed_config types the official Envoy
// 1.40.0 build (no contrib) has a BootstrapExtensionFactory for: the
// envoy.bootstrap category of its /server_info node.extensions.
var bootstrapExtensionTypes = map[protoreflect.FullName]bool{
	"envoy.extensions.bootstrap.dynamic_modules.v3.DynamicModuleBootstrapExtension":                                       true,
	"envoy.extensions.bootstrap.internal_listener.v3.InternalListener":                                                    true,
	"envoy.extensions.bootstrap.reverse_tunnel.downstream_socket_interface.v3.DownstreamReverseConnectionSocketInterface": true,
	"envoy.extensions.bootstrap.reverse_tunnel.upstream_socket_interface.v3.UpstreamReverseConnectionSocketInterface":     true,
	"envoy.extensions.wasm.v3.WasmService":                                                                                true,
	"envoy.extensions.network.socket_interface.v3.DefaultSocketInterface":                                                 true,
	"envoy.extensions.network.socket_interface.sockmap.v3.Sockmap":                                                        true,
}

// checkBootstrap runs the whole-bootstrap rules.
func (r *rules) checkBootstrap(root *decodedMessage, b *bootstrapv3.Bootstrap) {
	// source/server/configuration_impl.cc (InitialImpl / MainImpl::initialize):
	// the deprecated watchdog and its replacement exclude each other, even
	// when either is an empty mapping.
	//lint:ignore SA1019 the deprecated field is the point
	if b.Watchdog != nil && b.Watchdogs != nil {
		r.errorf(fieldKey(root, "watchdogs"), "watchdogs", "Only one of watchdog or watchdogs should be set!")
	}
	// source/server/server.cc, registerCustomInlineHeadersFromBootstrap:
	// set-cookie (any case, the name is lower-cased first) cannot be an
	// inline header. Envoy checks it when it starts serving, not in
	// --mode validate.
	for i, h := range b.GetInlineHeaders() {
		if strings.EqualFold(h.GetInlineHeaderName(), "set-cookie") {
			if e := r.byMsg[h]; e != nil {
				r.errorf(e.pos("inline_header_name"), fmt.Sprintf("inline_headers[%d].inline_header_name", i),
					"Header %s cannot be registered as an inline header.", h.GetInlineHeaderName())
			}
		}
	}
	// source/common/common/logger.cc, Registry::setJsonLogFormat: the JSON
	// application-log format may not use %v or %_ anywhere in its values.
	if jf := b.GetApplicationLogConfig().GetLogFormat().GetJsonFormat(); jf != nil {
		if e := r.byMsg[b.GetApplicationLogConfig().GetLogFormat()]; e != nil {
			for _, flag := range []string{"%v", "%_"} {
				if structHas(jf, flag) {
					r.errorf(e.pos("json_format"), joinPath(e.path, "json_format"),
						"setJsonLogFormat error: INVALID_ARGUMENT: Usage of %s is unavailable for JSON log formats", flag)
					break
				}
			}
		}
	}
	r.checkRuntimeLayers(b)
	r.checkBootstrapExtensions(b)
	r.checkXdsClusters(b)
	r.checkMore(root, b)
	r.checkStartup(b)
	for _, c := range b.GetStaticResources().GetClusters() {
		r.checkEmptyProtocolOptions(c)
	}
}

// checkEmptyProtocolOptions: an empty Any ({}) in a cluster's
// typed_extension_protocol_options is unpacked into the config type of the
// factory its key names (ProtocolOptionsFactory lookup by name in
// source/common/upstream/upstream_impl.cc, createProtocolOptionsConfig),
// whose rules then apply to an empty message: the 1.40.0 binary refuses
// HttpProtocolOptions: {} for its required upstream_protocol_options.
func (r *rules) checkEmptyProtocolOptions(c *clusterv3.Cluster) {
	e := r.byMsg[c]
	if e == nil {
		return
	}
	for key, a := range c.GetTypedExtensionProtocolOptions() {
		if a.GetTypeUrl() != "" || len(a.GetValue()) > 0 {
			continue
		}
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(key))
		if err != nil {
			continue
		}
		v, ok := mt.New().Interface().(interface{ ValidateAll() error })
		if !ok {
			continue
		}
		if err := v.ValidateAll(); err != nil {
			at := elementNode(e.pos("typed_extension_protocol_options"), key)
			r.errorf(at, fmt.Sprintf("%s.typed_extension_protocol_options[%s]", e.path, key),
				"an empty typed config is an empty %s to Envoy, which refuses it: %v", key, err)
		}
	}
}

// checkXdsClusters: the cluster ADS's gRPC service names is looked up among
// the static clusters while the cluster manager starts: the gRPC client
// factory refuses an unknown one (source/common/grpc/async_client_manager_impl.cc).
// CDS and the other subscriptions are checkSubscription's (rules_xds.go).
func (r *rules) checkXdsClusters(b *bootstrapv3.Bootstrap) {
	static := r.startRefs(b).static
	dyn := b.GetDynamicResources()
	if dyn.GetAdsConfig().GetApiType() == corev3.ApiConfigSource_REST {
		return // refused for its gRPC services already (checkMore)
	}
	for _, g := range dyn.GetAdsConfig().GetGrpcServices() {
		eg := g.GetEnvoyGrpc()
		if eg == nil || static[eg.GetClusterName()] {
			continue
		}
		if e := r.byMsg[eg]; e != nil {
			r.errorf(e.pos("cluster_name"), joinPath(e.path, "cluster_name"), "Unknown gRPC client cluster '%s'", eg.GetClusterName())
		}
	}
}

func structHas(s *structpb.Struct, sub string) bool {
	for _, v := range s.GetFields() {
		if valueHas(v, sub) {
			return true
		}
	}
	return false
}

func valueHas(v *structpb.Value, sub string) bool {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return strings.Contains(k.StringValue, sub)
	case *structpb.Value_StructValue:
		return structHas(k.StructValue, sub)
	case *structpb.Value_ListValue:
		for _, e := range k.ListValue.GetValues() {
			if valueHas(e, sub) {
				return true
			}
		}
	}
	return false
}

// checkRuntimeLayers mirrors source/common/runtime/runtime_impl.cc:
// LoaderImpl refuses two layers of one name and more than one admin layer,
// and ProtoLayer::walkProtoValue refuses a static_layer value that is null
// or a list (a mapping is a prefix of dotted keys, unless it is empty or
// holds numerator/denominator: a fractional percent).
func (r *rules) checkRuntimeLayers(b *bootstrapv3.Bootstrap) {
	seen := map[string]bool{}
	admins := 0
	for i, layer := range b.GetLayeredRuntime().GetLayers() {
		e := r.byMsg[layer]
		if e == nil {
			continue
		}
		path := fmt.Sprintf("layered_runtime.layers[%d]", i)
		if seen[layer.GetName()] {
			r.errorf(e.pos("name"), path+".name", "Duplicate layer name: %s", layer.GetName())
		}
		seen[layer.GetName()] = true
		if layer.GetAdminLayer() != nil {
			if admins++; admins == 2 {
				r.errorf(fieldKey(e, "admin_layer"), path+".admin_layer", "Too many admin layers specified in LayeredRuntime, at most one may be specified")
			}
		}
		if f, ok := e.fields["static_layer"]; ok {
			r.walkRuntime(f.value, "", path+".static_layer")
		}
		// A disk layer watches its symlink_root, and the file watcher
		// refuses an empty path (the 1.40.0 binary: "invalid file path").
		if dl := layer.GetDiskLayer(); dl != nil && dl.GetSymlinkRoot() == "" {
			r.errorf(fieldKey(e, "disk_layer"), path+".disk_layer.symlink_root", "invalid file path: a disk_layer needs its symlink_root")
		}
	}
}

func (r *rules) walkRuntime(n *yaml.Node, prefix, path string) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!ignore" {
			continue
		}
		for v != nil && v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		switch {
		case isNull(v) || v.Kind == yaml.SequenceNode:
			r.errorf(v, path+"."+k.Value, "Invalid runtime entry value for %s", key)
		case v.Kind == yaml.MappingNode && len(v.Content) > 0 && !hasKey(v, "numerator") && !hasKey(v, "denominator"):
			r.walkRuntime(v, key, path+"."+k.Value)
		}
	}
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// checkBootstrapExtensions mirrors InstanceBase::initialize in
// source/server/server.cc: each bootstrap extension is looked up with
// Config::Utility::getAndCheckFactory<BootstrapExtensionFactory>, so a type
// that is a valid proto but no bootstrap extension (a filter's config, say)
// is refused. Contrib types are left alone (a contrib build may have them),
// and types go-control-plane does not know already get their own warning.
func (r *rules) checkBootstrapExtensions(b *bootstrapv3.Bootstrap) {
	for i, ext := range b.GetBootstrapExtensions() {
		url := ext.GetTypedConfig().GetTypeUrl()
		if url == "" {
			continue
		}
		mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
		if err != nil {
			continue
		}
		name := mt.Descriptor().FullName()
		if bootstrapExtensionTypes[name] || name == "xds.type.v3.TypedStruct" || name == "udpa.type.v1.TypedStruct" {
			continue
		}
		if strings.Contains(reflect.TypeOf(mt.Zero().Interface()).Elem().PkgPath(), "go-control-plane/contrib/") {
			continue
		}
		e := r.byMsg[ext]
		if e == nil {
			continue
		}
		r.errorf(e.pos("typed_config"), fmt.Sprintf("bootstrap_extensions[%d].typed_config", i),
			"Didn't find a registered implementation for '%s' with type URL: '%s'", ext.GetName(), name)
	}
}

// checkMore holds the smaller start-up rules the differential harness found.
func (r *rules) checkMore(root *decodedMessage, b *bootstrapv3.Bootstrap) {
	// source/server/configuration_impl.cc (MainImpl::initialize).
	if b.GetStatsFlushInterval() != nil && b.GetStatsFlushOnAdmin() {
		r.errorf(fieldKey(root, "stats_flush_on_admin"), "stats_flush_on_admin", "Only one of stats_flush_interval or stats_flush_on_admin should be set!")
	}
	// source/common/config/utility.cc (checkApiConfigSourceNames): for ADS,
	// and for LDS, which the serving Envoy subscribes to at start (validate
	// mode does not; the 1.40.0 binary refuses both shapes when it starts).
	// CDS is checkSubscription's (rules_xds.go).
	dyn := b.GetDynamicResources()
	for _, src := range []*corev3.ApiConfigSource{dyn.GetAdsConfig(), dyn.GetLdsConfig().GetApiConfigSource()} {
		e := r.byMsg[src]
		if src == nil || e == nil {
			continue
		}
		grpc := src.GetApiType() == corev3.ApiConfigSource_GRPC || src.GetApiType() == corev3.ApiConfigSource_DELTA_GRPC ||
			src.GetApiType() == corev3.ApiConfigSource_AGGREGATED_GRPC || src.GetApiType() == corev3.ApiConfigSource_AGGREGATED_DELTA_GRPC
		switch {
		case grpc && len(src.GetGrpcServices()) == 0:
			r.errorf(e.at, e.path, "API configs must have either a gRPC service or a cluster name defined")
		case !grpc && len(src.GetGrpcServices()) > 0:
			r.errorf(e.pos("grpc_services"), joinPath(e.path, "grpc_services"), "envoy.config.core.v3.ApiConfigSource, if not a gRPC type, must not have a gRPC service specified")
		}
	}
	for _, l := range b.GetStaticResources().GetListeners() {
		e := r.byMsg[l]
		if e == nil || r.isIgnored(e) || l.GetApiListener() != nil {
			continue
		}
		// source/common/listener_manager/listener_impl.cc: a listener needs
		// an address; a UDP listener takes no filter chains unless it is QUIC.
		if l.GetAddress() == nil {
			r.errorf(e.at, e.path, "error adding listener named '%s': address is necessary", l.GetName())
			continue
		}
		if l.GetAddress().GetSocketAddress().GetProtocol() == corev3.SocketAddress_UDP && len(l.GetFilterChains()) > 0 && l.GetUdpListenerConfig().GetQuicOptions() == nil {
			r.errorf(e.pos("filter_chains"), joinPath(e.path, "filter_chains"), "%d filter chain(s) specified for connection-less UDP listener.", len(l.GetFilterChains()))
		}
	}
}
