package bootstrap

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/internal/suggest"
)

// clusterRef is a place that names a cluster by name.
type clusterRef struct {
	name  string
	entry *decodedMessage
	field string
}

// semanticChecks runs the checks `envoy --mode validate` makes that protos
// cannot express, and collects the files the bootstrap reads.
func (r *rules) semanticChecks(root *decodedMessage, file string) []ReferencedFile {
	first := len(r.diags)
	defer func() {
		for i := first; i < len(r.diags); i++ {
			r.diags[i].Semantic = true
		}
	}()
	b := root.msg.Interface().(*bootstrapv3.Bootstrap)
	if b.GetAdmin().GetAddress() == nil {
		r.report(SeverityWarning, root.at, "admin", "no admin address: the reloader confirms restarts through Envoy's admin /server_info")
	}
	clusters := r.checkClusterNames(b)
	r.checkListeners(b)
	r.loadTimeRules(b)
	r.checkBootstrap(root, b)

	var refs []clusterRef
	var files []ReferencedFile
	for _, entry := range r.messages {
		if r.isIgnored(entry) {
			continue
		}
		switch m := entry.msg.Interface().(type) {
		case *routev3.RouteAction:
			refs = appendRef(refs, m.GetCluster(), entry, "cluster")
		case *routev3.WeightedCluster_ClusterWeight:
			refs = appendRef(refs, m.GetName(), entry, "name")
		case *routev3.RouteAction_RequestMirrorPolicy:
			refs = appendRef(refs, m.GetCluster(), entry, "cluster")
		// A tcp_proxy's cluster is looked up per connection, not when the
		// listener is built: the 1.40.0 binary validates a tcp_proxy naming
		// no cluster there is, so it is not a reference checked here.
		case *corev3.ConfigSource:
			//lint:ignore SA1019 detecting the deprecated V2 is the point
			if m.GetResourceApiVersion() == corev3.ApiVersion_V2 {
				// Only the transport version is refused: the 1.40.0 binary validates
				// and starts with resource_api_version: V2 on a config source.
				r.report(SeverityWarning, entry.pos("resource_api_version"), joinPath(entry.path, "resource_api_version"), "resource_api_version: V2 is deprecated; Envoy 1.40 accepts it here but serves only V3 resources: use V3")
			}
			//lint:ignore SA1019 Envoy still reads the deprecated path field
			files = appendFile(files, m.GetPath(), entry.pos("path"))
		case *corev3.ApiConfigSource:
			//lint:ignore SA1019 detecting the deprecated V2 is the point
			if m.GetTransportApiVersion() == corev3.ApiVersion_V2 {
				r.errorf(entry.pos("transport_api_version"), joinPath(entry.path, "transport_api_version"), "transport_api_version: V2 is no longer supported by Envoy; use V3")
			}
		case *corev3.PathConfigSource:
			files = appendFile(files, m.GetPath(), entry.pos("path"))
		case *corev3.DataSource:
			files = appendFile(files, m.GetFilename(), entry.pos("filename"))
		}
	}
	dyn := b.GetDynamicResources()
	r.checkClusterRefs(refs, clusters, dyn.GetCdsConfig() != nil || dyn.GetCdsResourcesLocator() != "")
	r.checkFilesExist(files, file)
	return files
}

// isIgnored reports whether entry is, or is inside, a listener Envoy
// ignores (a second listener of a taken name): Envoy never builds it.
func (r *rules) isIgnored(entry *decodedMessage) bool {
	if r.ignored == nil {
		return false
	}
	for e := entry; e != nil; e = e.parent {
		if r.ignored[e] {
			return true
		}
	}
	return false
}

func appendRef(refs []clusterRef, name string, entry *decodedMessage, field string) []clusterRef {
	if name == "" {
		return refs
	}
	return append(refs, clusterRef{name: name, entry: entry, field: field})
}

func appendFile(files []ReferencedFile, path string, at *yaml.Node) []ReferencedFile {
	if path == "" {
		return files
	}
	return append(files, ReferencedFile{Path: path, Line: at.Line, Col: at.Column})
}

// checkClusterNames reports duplicate static cluster names and returns the names.
func (r *rules) checkClusterNames(b *bootstrapv3.Bootstrap) []string {
	first := make(map[string]*yaml.Node)
	var names []string
	for _, c := range b.GetStaticResources().GetClusters() {
		r.checkDuplicate(first, c.GetName(), r.byMsg[c], "cluster")
		names = append(names, c.GetName())
	}
	return names
}

func (r *rules) checkDuplicate(first map[string]*yaml.Node, name string, entry *decodedMessage, what string) {
	if name == "" || entry == nil {
		return
	}
	at := entry.pos("name")
	if prev, dup := first[name]; dup {
		r.errorf(at, joinPath(entry.path, "name"), "duplicate %s name %q (first defined at line %d)", what, name, prev.Line)
		return
	}
	first[name] = at
}

// checkListeners reports a listener name given twice and two listeners
// bound to the same protocol, address and port. A static listener whose name
// is already taken is dropped without a word by Envoy 1.40 (the 1.40.0
// binary validates and serves such a bootstrap; ListenerManagerImpl's
// addOrUpdateListener in source/common/listener_manager/listener_manager_impl.cc
// keeps the first), so the second one is only a warning, and its address
// is not compared.
func (r *rules) checkListeners(b *bootstrapv3.Bootstrap) {
	names := make(map[string]*yaml.Node)
	addrs := make(map[string]*yaml.Node)
	for _, l := range b.GetStaticResources().GetListeners() {
		entry := r.byMsg[l]
		if entry == nil {
			continue
		}
		if name := l.GetName(); name != "" {
			at := entry.pos("name")
			if prev, dup := names[name]; dup {
				r.report(SeverityWarning, at, joinPath(entry.path, "name"), "listener name %q is already taken (line %d): Envoy keeps the first listener of a name and ignores this one", name, prev.Line)
				if r.ignored == nil {
					r.ignored = make(map[*decodedMessage]bool)
				}
				r.ignored[entry] = true
				continue
			}
			names[name] = at
		}
		sa := l.GetAddress().GetSocketAddress()
		if sa == nil || (l.GetBindToPort() != nil && !l.GetBindToPort().GetValue()) {
			continue
		}
		port, ok := sa.GetPortSpecifier().(*corev3.SocketAddress_PortValue)
		if !ok || port.PortValue == 0 {
			continue
		}
		key := fmt.Sprintf("%s %s:%d", sa.GetProtocol(), sa.GetAddress(), port.PortValue)
		at := entry.pos("address")
		if prev, dup := addrs[key]; dup {
			r.errorf(at, joinPath(entry.path, "address"), "listener %q has the same address %s:%d as the listener at line %d",
				l.GetName(), sa.GetAddress(), port.PortValue, prev.Line)
			continue
		}
		addrs[key] = at
	}
}

// checkClusterRefs reports references to clusters that are not static. With
// CDS configured, only the routes of an HCM's inline route_config are
// checked: Envoy validates them when it builds the listener, before CDS has
// delivered a cluster (the 1.40.0 binary refuses a route to a CDS cluster
// there, in validate mode and at start, unless validate_clusters is false;
// ConfigImpl in source/common/router/config_impl.cc).
func (r *rules) checkClusterRefs(refs []clusterRef, clusters []string, cds bool) {
	for _, ref := range refs {
		if slices.Contains(clusters, ref.name) || validateClustersOff(ref.entry) || cds && !inlineRoute(ref.entry) {
			continue
		}
		msg := fmt.Sprintf("%s: unknown cluster %q: no static cluster has that name and there is no CDS", ref.field, ref.name)
		if cds {
			msg = fmt.Sprintf("%s: unknown cluster %q: no static cluster has that name, and Envoy checks an inline route_config when it builds the listener, before CDS delivers any (validate_clusters: false lets it route to a CDS cluster)", ref.field, ref.name)
		}
		if s := suggest.Closest(ref.name, clusters); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		r.errorf(ref.entry.pos(protoreflect.Name(ref.field)), joinPath(ref.entry.path, ref.field), "%s", msg)
	}
}

// validateClustersOff reports whether the enclosing route configuration
// turned Envoy's own cluster check off (validate_clusters: false).
func validateClustersOff(entry *decodedMessage) bool {
	for e := entry; e != nil; e = e.parent {
		if rc, ok := e.msg.Interface().(*routev3.RouteConfiguration); ok {
			return rc.GetValidateClusters() != nil && !rc.GetValidateClusters().GetValue()
		}
	}
	return false
}

// inlineRoute reports whether entry is inside an HTTP connection manager's
// inline route_config.
func inlineRoute(entry *decodedMessage) bool {
	for e := entry; e != nil; e = e.parent {
		if _, ok := e.msg.Interface().(*routev3.RouteConfiguration); ok {
			if e.parent == nil {
				return false
			}
			_, hcm := e.parent.msg.Interface().(*hcmv3.HttpConnectionManager)
			return hcm
		}
	}
	return false
}

// checkFilesExist warns about referenced files missing on this machine;
// relative paths are taken from the bootstrap's directory.
func (r *rules) checkFilesExist(files []ReferencedFile, bootstrapFile string) {
	for _, f := range files {
		p := f.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(bootstrapFile), p)
		}
		if _, err := os.Stat(p); err != nil {
			r.diags = append(r.diags, Diagnostic{
				File: r.file, Line: f.Line, Col: f.Col, Severity: SeverityWarning,
				Message: fmt.Sprintf("referenced file %s does not exist here (fine if it is a path inside the container)", f.Path),
			})
		}
	}
}
