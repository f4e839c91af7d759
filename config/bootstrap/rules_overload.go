package bootstrap

import (
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	overloadv3 "github.com/envoyproxy/go-control-plane/envoy/config/overload/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// proactiveMonitor is the one resource monitor name Envoy 1.40 treats as a
// proactive resource (OverloadProactiveResources in
// envoy/server/overload/overload_manager.h): its config must have a
// ProactiveResourceMonitorFactory, and a trigger may name it unconfigured.
const proactiveMonitor = "envoy.resource_monitors.global_downstream_max_connections"

// proactiveMonitorType is the only config with a ProactiveResourceMonitorFactory
// (source/extensions/resource_monitors/downstream_connections/config.h),
// which has no ResourceMonitorFactory.
const proactiveMonitorType = "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig"

// overloadActions are the well-known actions of the 1.40.0 binary: the
// envoy.overload_actions strings it holds, each of which it accepts.
var overloadActions = map[string]bool{
	"envoy.overload_actions.stop_accepting_requests":     true,
	"envoy.overload_actions.disable_http_keepalive":      true,
	"envoy.overload_actions.stop_accepting_connections":  true,
	"envoy.overload_actions.reject_incoming_connections": true,
	"envoy.overload_actions.shrink_heap":                 true,
	"envoy.overload_actions.reduce_timeouts":             true,
	"envoy.overload_actions.reset_high_memory_stream":    true,
	"envoy.overload_actions.close_idle_http_connections": true,
}

// checkOverloadManager mirrors OverloadManagerImpl's constructor
// (source/server/overload_manager_impl.cc): monitors are found by their
// config's type URL in the category their name picks (proactive or not),
// no monitor or action twice, only well-known actions, and each trigger
// names a configured monitor (an action's may name the proactive resource;
// a load shed point's may not).
func (r *rules) checkOverloadManager(b *bootstrapv3.Bootstrap) {
	om := b.GetOverloadManager()
	if om == nil {
		return
	}
	regular := map[string]bool{}
	seen := map[string]bool{}
	for _, m := range om.GetResourceMonitors() {
		e := r.byMsg[m]
		if e == nil {
			continue
		}
		name := m.GetName()
		if seen[name] {
			r.errorf(e.pos("name"), joinPath(e.path, "name"), "Duplicate resource monitor %s", name)
		}
		seen[name] = true
		if name != proactiveMonitor {
			regular[name] = true
		}
		url := m.GetTypedConfig().GetTypeUrl()
		mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
		if err != nil {
			continue // unknown or missing types have their own diagnostics
		}
		full := mt.Descriptor().FullName()
		if full == "xds.type.v3.TypedStruct" || full == "udpa.type.v1.TypedStruct" {
			continue
		}
		if (name == proactiveMonitor) != (full == protoreflect.FullName(proactiveMonitorType)) {
			r.errorf(e.pos("typed_config"), joinPath(e.path, "typed_config"), "Didn't find a registered implementation for '%s' with type URL: '%s'", name, full)
		}
	}
	actions := map[string]bool{}
	for _, a := range om.GetActions() {
		e := r.byMsg[a]
		if e == nil {
			continue
		}
		name := a.GetName()
		switch {
		case !overloadActions[name]:
			r.errorf(e.pos("name"), joinPath(e.path, "name"), "Unknown Overload Manager Action %s", name)
			continue
		case actions[name]:
			r.errorf(e.pos("name"), joinPath(e.path, "name"), "Duplicate overload action %s", name)
			continue
		}
		actions[name] = true
		switch {
		case name == "envoy.overload_actions.reduce_timeouts" && a.GetTypedConfig() == nil:
			r.errorf(e.at, e.path, "Overload action \"%s\" requires typed_config", name)
		case name == "envoy.overload_actions.reset_high_memory_stream" && om.GetBufferFactoryConfig() == nil:
			r.errorf(e.pos("name"), joinPath(e.path, "name"), "Overload action \"%s\" requires buffer_factory_config.", name)
		case name != "envoy.overload_actions.reduce_timeouts" && name != "envoy.overload_actions.shrink_heap" && a.GetTypedConfig() != nil:
			r.errorf(fieldKey(e, "typed_config"), joinPath(e.path, "typed_config"), "Overload action \"%s\" has an unexpected value for the typed_config field", name)
		}
		for _, t := range a.GetTriggers() {
			if !regular[t.GetName()] && t.GetName() != proactiveMonitor {
				r.unknownTrigger(t, fmt.Sprintf("overload action %s", name))
			}
		}
	}
	for _, p := range om.GetLoadshedPoints() {
		for _, t := range p.GetTriggers() {
			if !regular[t.GetName()] {
				r.unknownTrigger(t, fmt.Sprintf("loadshed point %s", p.GetName()))
			}
		}
	}
}

func (r *rules) unknownTrigger(t *overloadv3.Trigger, of string) {
	if e := r.byMsg[t]; e != nil {
		r.errorf(e.pos("name"), joinPath(e.path, "name"), "Unknown trigger resource %s for %s", t.GetName(), of)
	}
}
