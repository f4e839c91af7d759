package bootstrap

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// Cluster rules the 1.40.0 binary enforces while it builds the static
// clusters, beyond checkCluster's (rules_misc.go). Each was a false accept
// of the differential harness (internal/fidelity).

// newStartRefs collects the names start-up references resolve against.
// The primary clusters, which an xDS subscription's backing cluster must be
// one of, are every static cluster but an EDS one whose endpoints come over
// the network (ClusterManagerImpl in source/common/upstream/cluster_manager_impl.cc
// puts an EDS cluster with a path-based eds_config among the primary ones;
// the binary accepts CDS backed by one).
func newStartRefs(b *bootstrapv3.Bootstrap) *startRefs {
	clusters := b.GetStaticResources().GetClusters()
	st := &startRefs{static: make(map[string]bool, len(clusters)), secondary: map[string]bool{}, secrets: map[string]bool{}}
	for _, c := range clusters {
		st.static[c.GetName()] = true
		if c.GetType() == clusterv3.Cluster_EDS && c.GetClusterType() == nil && !pathBased(c.GetEdsClusterConfig().GetEdsConfig()) {
			st.secondary[c.GetName()] = true
		}
	}
	for _, s := range b.GetStaticResources().GetSecrets() {
		st.secrets[s.GetName()] = true
	}
	return st
}

// pathBased mirrors SubscriptionFactory::isPathBasedConfigSource.
func pathBased(src *corev3.ConfigSource) bool {
	switch src.GetConfigSourceSpecifier().(type) {
	case *corev3.ConfigSource_Path, *corev3.ConfigSource_PathConfigSource:
		return true
	}
	return false
}

// checkClusterStart holds the rules of one static cluster:
//   - ClusterInfoImpl (source/common/upstream/upstream_impl.cc) refuses
//     eds_cluster_config on a cluster whose type is not EDS; a custom
//     cluster_type counts as STATIC there, so it is refused too;
//   - an EDS cluster needs an EDS config with a config source
//     (source/extensions/clusters/eds/eds.cc, EdsClusterFactory; the
//     missing specifier is SubscriptionFactoryImpl's refusal);
//   - a load_balancing_policy with no policy has no factory
//     (source/common/upstream/load_balancer_factory_base.h and
//     upstream_impl.cc: "didn't find a registered load balancer factory");
//   - a STATIC cluster resolves every endpoint's address, and an endpoint
//     without one (or an lb_endpoint without an endpoint) is refused by
//     Network::Address::resolveProtoAddress (source/common/network/resolver_impl.cc)
//     with ClusterImplBase::resolveProtoAddress's hint appended.
func (r *rules) checkClusterStart(c *clusterv3.Cluster, entry *decodedMessage, st *startRefs) {
	custom := c.GetClusterType() != nil
	if c.GetEdsClusterConfig() != nil && (custom || c.GetType() != clusterv3.Cluster_EDS) {
		r.errorf(fieldKey(entry, "eds_cluster_config"), joinPath(entry.path, "eds_cluster_config"), "eds_cluster_config set in a non-EDS cluster")
	}
	if lbp := c.GetLoadBalancingPolicy(); lbp != nil && len(lbp.GetPolicies()) == 0 {
		r.errorf(fieldKey(entry, "load_balancing_policy"), joinPath(entry.path, "load_balancing_policy"),
			"cluster: didn't find a registered load balancer factory implementation for cluster: '%s' with names from []", c.GetName())
	}
	if custom {
		return
	}
	switch c.GetType() {
	case clusterv3.Cluster_EDS:
		switch {
		case c.GetEdsClusterConfig() == nil:
			r.errorf(entry.at, entry.path, "cannot create an EDS cluster without an EDS config")
		case c.GetEdsClusterConfig().GetEdsConfig().GetConfigSourceSpecifier() == nil:
			r.errorf(fieldKey(entry, "eds_cluster_config"), joinPath(entry.path, "eds_cluster_config"), "Missing config source specifier in envoy::config::core::v3::ConfigSource")
		default:
			r.checkSubscription(c.GetEdsClusterConfig().GetEdsConfig().GetApiConfigSource(), st)
		}
	case clusterv3.Cluster_STATIC:
		for _, loc := range c.GetLoadAssignment().GetEndpoints() {
			for _, lb := range loc.GetLbEndpoints() {
				if lb.GetEndpoint().GetAddress().GetAddress() != nil {
					continue
				}
				if e := r.byMsg[lb]; e != nil {
					r.errorf(fieldKey(e, "endpoint"), joinPath(e.path, "endpoint.address"),
						"Address must be set: an endpoint of a STATIC cluster needs its address. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'")
				}
			}
		}
	}
}
