package bootstrap

import (
	"cmp"
	"fmt"
	"slices"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
)

// Change is one named resource added (+), removed (-) or modified (~).
type Change struct {
	Op   byte   // '+', '-' or '~'
	Kind string // cluster, listener or route
	Name string
}

func (c Change) String() string { return fmt.Sprintf("%c%s %s", c.Op, c.Kind, c.Name) }

// Diff lists the clusters, listeners and routes (route configurations
// inline in HTTP connection managers) that differ between two bootstraps,
// by name: clusters first, then listeners, then routes.
func Diff(old, new *bootstrapv3.Bootstrap) []Change {
	var changes []Change
	for _, kind := range []struct {
		name string
		of   func(*bootstrapv3.Bootstrap) map[string]proto.Message
	}{{"cluster", clusters}, {"listener", listeners}, {"route", routes}} {
		before, after := kind.of(old), kind.of(new)
		var kc []Change
		for name, m := range after {
			prev, ok := before[name]
			switch {
			case !ok:
				kc = append(kc, Change{'+', kind.name, name})
			case !proto.Equal(prev, m):
				kc = append(kc, Change{'~', kind.name, name})
			}
		}
		for name := range before {
			if _, ok := after[name]; !ok {
				kc = append(kc, Change{'-', kind.name, name})
			}
		}
		slices.SortFunc(kc, func(a, b Change) int { return cmp.Compare(a.Name, b.Name) })
		changes = append(changes, kc...)
	}
	return changes
}

func clusters(b *bootstrapv3.Bootstrap) map[string]proto.Message {
	out := map[string]proto.Message{}
	for _, c := range b.GetStaticResources().GetClusters() {
		out[c.GetName()] = c
	}
	return out
}

func listeners(b *bootstrapv3.Bootstrap) map[string]proto.Message {
	out := map[string]proto.Message{}
	for _, l := range b.GetStaticResources().GetListeners() {
		out[l.GetName()] = l
	}
	return out
}

// routes finds the inline route configurations of every HTTP connection
// manager; an unnamed one is named after its listener.
func routes(b *bootstrapv3.Bootstrap) map[string]proto.Message {
	out := map[string]proto.Message{}
	for _, l := range b.GetStaticResources().GetListeners() {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				var hcm hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&hcm) != nil || hcm.GetRouteConfig() == nil {
					continue
				}
				name := hcm.GetRouteConfig().GetName()
				if name == "" {
					name = "(of listener " + l.GetName() + ")"
				}
				out[name] = hcm.GetRouteConfig()
			}
		}
	}
	return out
}
