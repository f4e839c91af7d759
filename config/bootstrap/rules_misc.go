package bootstrap

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"
)

// checkMisc applies the load-time rules of single messages that Envoy
// enforces outside its protos. Each rule names the Envoy file (under
// envoyproxy/envoy) that enforces it; messages are Envoy's, without the
// "Error: " some of them start with.
func (r *rules) checkMisc(entry *decodedMessage, msg proto.Message) {
	switch m := msg.(type) {
	case *routev3.RouteConfiguration:
		r.checkDomains(m)
	case *routev3.RouteAction:
		r.checkRewrites(m, entry)
	case *routev3.WeightedCluster:
		r.checkWeights(m, entry)
	case *hcmv3.HttpConnectionManager:
		r.checkUpgrades(m)
	case *listenerv3.Listener:
		r.checkListener(m, entry)
	case *bootstrapv3.Admin:
		r.checkIPLiteral(m.GetAddress().GetSocketAddress())
	case *corev3.BindConfig:
		r.checkIPLiteral(m.GetSourceAddress())
	case *clusterv3.Cluster:
		r.checkCluster(m, entry)
	}
}

// checkDomains: RouteMatcher's constructor in source/common/router/config_impl.cc
// lower-cases every domain of every virtual host and allows one "*" and no
// domain twice in a route configuration.
func (r *rules) checkDomains(rc *routev3.RouteConfiguration) {
	seen := make(map[string]bool)
	for _, vh := range rc.GetVirtualHosts() {
		vhEntry := r.byMsg[vh]
		if vhEntry == nil {
			continue
		}
		list := vhEntry.pos("domains")
		for i, domain := range vh.GetDomains() {
			lower := strings.ToLower(domain)
			if !seen[lower] {
				seen[lower] = true
				continue
			}
			at := elementNode(list, strconv.Itoa(i))
			path := fmt.Sprintf("%s[%d]", joinPath(vhEntry.path, "domains"), i)
			if lower == "*" {
				r.errorf(at, path, "Only a single wildcard domain is permitted in route %s", rc.GetName())
			} else {
				r.errorf(at, path, "Only unique values for domains are permitted. Duplicate entry of domain %s in route %s", lower, rc.GetName())
			}
		}
	}
}

// checkRewrites: RouteEntryImplBase in source/common/router/config_impl.cc
// allows one path rewrite per route.
func (r *rules) checkRewrites(ra *routev3.RouteAction, entry *decodedMessage) {
	n := 0
	if ra.GetPrefixRewrite() != "" {
		n++
	}
	if ra.GetRegexRewrite() != nil {
		n++
	}
	if ra.GetPathRewritePolicy() != nil {
		n++
	}
	if n > 1 {
		r.errorf(entry.at, entry.path, "Specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy")
	}
}

// checkWeights: WeightedClustersConfig in source/common/router/config_impl.cc
// (weighted_cluster_specifier) refuses weights that sum to zero; a missing
// weight counts as zero.
func (r *rules) checkWeights(wc *routev3.WeightedCluster, entry *decodedMessage) {
	if len(wc.GetClusters()) == 0 {
		return
	}
	var sum uint64
	for _, c := range wc.GetClusters() {
		sum += uint64(c.GetWeight().GetValue())
	}
	if sum == 0 {
		r.errorf(entry.at, entry.path, "Sum of weights in the weighted_cluster must be greater than 0.")
	}
}

// checkUpgrades: HttpConnectionManagerConfig in
// source/extensions/filters/network/http_connection_manager/config.cc
// compares upgrade types case-insensitively and refuses a repeat.
func (r *rules) checkUpgrades(hcm *hcmv3.HttpConnectionManager) {
	seen := make(map[string]bool)
	for _, u := range hcm.GetUpgradeConfigs() {
		name := u.GetUpgradeType()
		if key := strings.ToLower(name); !seen[key] {
			seen[key] = true
			continue
		}
		if e := r.byMsg[u]; e != nil {
			r.errorf(e.pos("upgrade_type"), joinPath(e.path, "upgrade_type"), "multiple upgrade configs with the same name: '%s'", name)
		}
	}
}

// checkListener: the listener's addresses must be IP literals (below), and
// ListenerImpl::validateFilterChains in
// source/common/listener_manager/listener_impl.cc refuses a TCP listener
// with neither filter_chains nor a default_filter_chain. UDP listeners
// (mostly connectionless) and API listeners are left alone.
func (r *rules) checkListener(l *listenerv3.Listener, entry *decodedMessage) {
	sa := l.GetAddress().GetSocketAddress()
	ok := r.checkIPLiteral(sa)
	for _, a := range l.GetAdditionalAddresses() {
		r.checkIPLiteral(a.GetAddress().GetSocketAddress())
	}
	if !ok || sa == nil || l.GetApiListener() != nil {
		return
	}
	if sa.GetProtocol() == corev3.SocketAddress_TCP && len(l.GetFilterChains()) == 0 && l.GetDefaultFilterChain() == nil {
		r.errorf(entry.at, entry.path, "error adding listener '%s': no filter chains specified", addressString(sa))
	}
	if l.GetFilterChainMatcher() == nil {
		r.checkFilterChainMatches(l, sa)
	}
}

// checkFilterChainMatches: FilterChainManagerImpl in
// source/common/listener_manager/filter_chain_manager_impl.cc refuses two
// filter chains of a listener with equal filter_chain_match (an absent one
// equals an empty one), unless a filter_chain_matcher picks the chains. The
// JSON of the matcher that Envoy appends is left out.
func (r *rules) checkFilterChainMatches(l *listenerv3.Listener, sa *corev3.SocketAddress) {
	chains := l.GetFilterChains()
	for i := 1; i < len(chains); i++ {
		for j := range i {
			if !proto.Equal(matchOrEmpty(chains[i]), matchOrEmpty(chains[j])) {
				continue
			}
			if e := r.byMsg[chains[i]]; e != nil {
				r.errorf(e.at, e.path, "error adding listener '%s': filter chain '%s' has the same matching rules defined as '%s'",
					addressString(sa), chains[i].GetName(), chains[j].GetName())
			}
			break
		}
	}
}

func matchOrEmpty(fc *listenerv3.FilterChain) *listenerv3.FilterChainMatch {
	if m := fc.GetFilterChainMatch(); m != nil {
		return m
	}
	return &listenerv3.FilterChainMatch{}
}

// addressString renders a socket address as Envoy's Address::Ipv4Instance
// and Ipv6Instance asString do: ip:port, [ip]:port for IPv6.
func addressString(sa *corev3.SocketAddress) string {
	port := strconv.FormatUint(uint64(sa.GetPortValue()), 10)
	if ip, err := netip.ParseAddr(sa.GetAddress()); err == nil && ip.Is6() && !ip.Is4In6() {
		return "[" + ip.String() + "]:" + port
	}
	return sa.GetAddress() + ":" + port
}

// checkIPLiteral: IpResolver in source/common/network/resolver_impl.cc
// parses a socket address without a resolver_name as an IP literal, with no
// DNS lookup, and refuses anything else with "malformed IP address: <address>"
// (envoy#10346: `address: localhost` on a listener). It reports whether the
// address is fine (or not a socket address at all).
func (r *rules) checkIPLiteral(sa *corev3.SocketAddress) bool {
	if sa == nil || sa.GetResolverName() != "" || sa.GetAddress() == "" {
		return true
	}
	if _, err := netip.ParseAddr(sa.GetAddress()); err == nil {
		return true
	}
	if e := r.byMsg[sa]; e != nil {
		r.errorf(e.pos("address"), joinPath(e.path, "address"), "malformed IP address: %s", sa.GetAddress())
	}
	return false
}

// checkCluster applies the rules of the cluster types users trip over:
//   - STATIC (the default type) endpoints are resolved as IP literals, like
//     listener addresses (source/extensions/clusters/static/static_cluster.cc);
//   - LOGICAL_DNS needs exactly one endpoint and no custom resolver
//     (source/extensions/clusters/logical_dns/logical_dns_cluster.cc);
//   - ORIGINAL_DST picks hosts itself, so its lb_policy must be
//     CLUSTER_PROVIDED (source/extensions/clusters/original_dst/original_dst_cluster.cc).
func (r *rules) checkCluster(c *clusterv3.Cluster, entry *decodedMessage) {
	if c.GetClusterType() != nil {
		return // a custom cluster type follows its own rules
	}
	switch c.GetType() {
	case clusterv3.Cluster_STATIC:
		for _, loc := range c.GetLoadAssignment().GetEndpoints() {
			for _, lb := range loc.GetLbEndpoints() {
				r.checkIPLiteral(lb.GetEndpoint().GetAddress().GetSocketAddress())
			}
		}
	case clusterv3.Cluster_LOGICAL_DNS:
		locs := c.GetLoadAssignment().GetEndpoints()
		if len(locs) != 1 || len(locs[0].GetLbEndpoints()) != 1 {
			if c.GetLoadAssignment() != nil {
				r.errorf(fieldKey(entry, "load_assignment"), joinPath(entry.path, "load_assignment"),
					"LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint")
			} else {
				r.errorf(entry.at, entry.path, "LOGICAL_DNS clusters must have a single host")
			}
			return
		}
		sa := locs[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
		if e := r.byMsg[sa]; e != nil && sa.GetResolverName() != "" {
			r.errorf(e.pos("resolver_name"), joinPath(e.path, "resolver_name"), "LOGICAL_DNS clusters must NOT have a custom resolver name set")
		}
	case clusterv3.Cluster_ORIGINAL_DST:
		if c.GetLbPolicy() != clusterv3.Cluster_CLUSTER_PROVIDED && c.GetLoadBalancingPolicy() == nil {
			r.errorf(entry.pos("lb_policy"), joinPath(entry.path, "lb_policy"),
				"cluster: LB policy %s is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'",
				c.GetLbPolicy())
		}
	}
}

// fieldKey is the node of the named field's key (where a problem with the
// field as a whole reads best when its value is a mapping), or the message's
// own position when the field is absent.
func fieldKey(entry *decodedMessage, name protoreflect.Name) *yaml.Node {
	if f, ok := entry.fields[name]; ok {
		return f.key
	}
	return entry.at
}
