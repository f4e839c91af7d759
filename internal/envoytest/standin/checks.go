package standin

import (
	"fmt"
	"net"
	"strconv"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// semanticError is phase 4: the first exception Envoy throws while its
// cluster manager and listener manager build what the bootstrap names —
// clusters first, then each listener in order (source/server/
// configuration_impl.cc, MainImpl::initialize), then the rest.
func semanticError(boot *bootstrapv3.Bootstrap) string {
	clusters := map[string]bool{}
	for _, c := range boot.GetStaticResources().GetClusters() {
		if clusters[c.GetName()] {
			return fmt.Sprintf("cluster manager: duplicate cluster '%s'", c.GetName())
		}
		clusters[c.GetName()] = true
		if what := typedConfigError(c.ProtoReflect(), ""); what != "" {
			return what
		}
	}
	var added []*listenerv3.Listener
	for _, l := range activeListeners(boot) {
		if what := typedConfigError(l.ProtoReflect(), ""); what != "" {
			return what
		}
		if what := routeClusterError(l, clusters); what != "" {
			return what
		}
		for _, prev := range added {
			if addr, dup := sameAddress(prev, l); dup {
				return fmt.Sprintf("error adding listener: '%s' has duplicate address '%s' as existing listener", l.GetName(), addr)
			}
		}
		added = append(added, l)
	}
	rest := proto.Clone(boot).(*bootstrapv3.Bootstrap)
	rest.StaticResources = nil
	return typedConfigError(rest.ProtoReflect(), "")
}

// activeListeners are the static listeners Envoy keeps: a second one of the
// same name is dropped without an error, because a static listener blocks
// any update of its name (ListenerImpl::blockUpdate in
// source/common/listener_manager/listener_impl.h; "duplicate/locked
// listener" at debug level in listener_manager_impl.cc).
func activeListeners(boot *bootstrapv3.Bootstrap) []*listenerv3.Listener {
	var out []*listenerv3.Listener
	seen := map[string]bool{}
	for _, l := range boot.GetStaticResources().GetListeners() {
		if l.GetName() != "" && seen[l.GetName()] {
			continue
		}
		seen[l.GetName()] = true
		out = append(out, l)
	}
	return out
}

// sameAddress is ListenerImpl::hasDuplicatedAddress: the same socket type
// and address, where port 0 counts only for listeners that do not bind.
func sameAddress(a, b *listenerv3.Listener) (string, bool) {
	sa, sb := a.GetAddress().GetSocketAddress(), b.GetAddress().GetSocketAddress()
	if sa == nil || sb == nil || sa.GetProtocol() != sb.GetProtocol() {
		return "", false
	}
	binds := b.GetBindToPort() == nil || b.GetBindToPort().GetValue()
	if sa.GetPortValue() == 0 && binds {
		return "", false
	}
	if sa.GetAddress() != sb.GetAddress() || sa.GetPortValue() != sb.GetPortValue() {
		return "", false
	}
	return net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue()))), true
}

// routeClusterError is RouteEntryImplBase::validateClusters (source/common/
// router/config_impl.cc) for the inline route_config of a listener's HTTP
// connection managers: validate_clusters defaults to true for a static
// route table, and only the static clusters exist while Envoy starts — CDS
// ones arrive later, so a static route to one fails just the same.
func routeClusterError(l *listenerv3.Listener, clusters map[string]bool) string {
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			hcm := &hcmv3.HttpConnectionManager{}
			if f.GetTypedConfig() == nil || f.GetTypedConfig().UnmarshalTo(hcm) != nil {
				continue
			}
			rc := hcm.GetRouteConfig()
			if rc == nil || (rc.GetValidateClusters() != nil && !rc.GetValidateClusters().GetValue()) {
				continue
			}
			for _, vh := range rc.GetVirtualHosts() {
				for _, r := range vh.GetRoutes() {
					if what := unknownCluster(r.GetRoute(), clusters); what != "" {
						return what
					}
				}
			}
		}
	}
	return ""
}

func unknownCluster(a *routev3.RouteAction, clusters map[string]bool) string {
	if a == nil {
		return ""
	}
	if c := a.GetCluster(); c != "" && !clusters[c] {
		return fmt.Sprintf("route: unknown cluster '%s'", c)
	}
	for _, w := range a.GetWeightedClusters().GetClusters() {
		if w.GetName() != "" && !clusters[w.GetName()] {
			return fmt.Sprintf("route: unknown weighted cluster '%s'", w.GetName())
		}
	}
	for _, m := range a.GetRequestMirrorPolicies() {
		if m.GetCluster() != "" && !clusters[m.GetCluster()] {
			return fmt.Sprintf("route: unknown shadow cluster '%s'", m.GetCluster())
		}
	}
	return ""
}

// typedConfigError is what Config::Utility::getAndCheckFactory and
// translateToFactoryConfig (source/common/config/utility.h) find in the
// typed configs under m, depth first: no factory for the type, or a payload
// that breaks its constraints (MessageUtil::anyConvertAndValidate —
// bootstrap validation stops at Any fields).
// name is the enclosing extension's name, which Envoy's message quotes.
func typedConfigError(m protoreflect.Message, name string) string {
	if a, ok := m.Interface().(*anypb.Any); ok {
		return anyError(a, name)
	}
	if f := m.Descriptor().Fields().ByName("name"); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
		name = m.Get(f).String()
	}
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len() && found == ""; i++ {
				found = typedConfigError(v.List().Get(i).Message(), name)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				found = typedConfigError(mv.Message(), name)
				return found == ""
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			found = typedConfigError(v.Message(), name)
		}
		return found == ""
	})
	return found
}

func anyError(a *anypb.Any, name string) string {
	inner, err := a.UnmarshalNew()
	if err != nil {
		return "" // phase 1 resolved every type; a payload it could not read has none
	}
	if what := validate(inner); what != "" {
		return what
	}
	return typedConfigError(inner.ProtoReflect(), name)
}
