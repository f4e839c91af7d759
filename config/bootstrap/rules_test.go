package bootstrap

import (
	"fmt"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"gopkg.in/yaml.v3"
)

// chainListener places the filters of one network chain on a listener;
// each filter carries only its @type, which is all the chain rule reads.
func chainListener(filters ...string) string {
	var b strings.Builder
	b.WriteString("static_resources:\n  listeners:\n  - name: l\n    address:\n      socket_address: {address: 0.0.0.0, port_value: 1}\n    filter_chains:\n    - filters:\n")
	for i, f := range filters {
		fmt.Fprintf(&b, "      - name: f%d\n        typed_config: {\"@type\": type.googleapis.com/%s}\n", i, f)
	}
	return b.String()
}

// chainHCM places the filters of one HTTP chain on an HCM.
func chainHCM(filters ...string) string {
	var b strings.Builder
	b.WriteString(chainListener("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"))
	b.WriteString("        # the HCM's own config follows\n")
	s := strings.Replace(b.String(), "typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager}",
		"typed_config:\n          \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\n          stat_prefix: s\n          http_filters:\n", 1)
	b.Reset()
	b.WriteString(s)
	for i, f := range filters {
		fmt.Fprintf(&b, "          - name: h%d\n            typed_config: {\"@type\": type.googleapis.com/%s}\n", i, f)
	}
	return b.String()
}

func hasMessage(res *Result, want string) bool {
	for _, d := range res.Diagnostics {
		if d.Severity == SeverityError && d.Message == want {
			return true
		}
	}
	return false
}

// TestFilterKindTables checks every entry of the terminal-filter tables:
// its config type exists, and a chain that misplaces it is refused with
// Envoy's message naming the entry's extension name.
func TestFilterKindTables(t *testing.T) {
	tables := []struct {
		chain string
		kinds map[protoreflect.FullName]filterKind
		build func(...string) string
		name  string // the name the builder gives the filter under test
	}{
		{"network", networkFilterKinds, chainListener, "f0"},
		{"http", httpFilterKinds, chainHCM, "h0"},
	}
	for _, tb := range tables {
		for typ, kind := range tb.kinds {
			t.Run(string(typ), func(t *testing.T) {
				if _, err := protoregistry.GlobalTypes.FindMessageByName(typ); err != nil {
					t.Fatalf("%s is not a registered type: %v", typ, err)
				}
				var yaml, want string
				if kind.terminal {
					// Twice: the first is a terminal filter that is not last.
					yaml = tb.build(string(typ), string(typ))
					want = fmt.Sprintf("terminal filter named %s of type %s must be the last filter in a %s filter chain.", tb.name, kind.name, tb.chain)
				} else {
					yaml = tb.build(string(typ))
					want = fmt.Sprintf("non-terminal filter named %s of type %s is the last filter in a %s filter chain.", tb.name, kind.name, tb.chain)
				}
				// The sketch leaves each filter's required fields out.
				res := Load("t.yaml", []byte(yaml), Options{keepSemanticErrors: true})
				if !hasMessage(res, want) {
					t.Errorf("no %q in %v", want, res.Diagnostics)
				}
			})
		}
	}
}

// TestFilterChainInOrderIsAccepted guards against the rule firing on good
// chains: non-terminal filters followed by one terminal filter.
func TestFilterChainInOrderIsAccepted(t *testing.T) {
	for _, yaml := range []string{
		chainListener("envoy.extensions.filters.network.rbac.v3.RBAC", "envoy.extensions.filters.network.echo.v3.Echo"),
		chainHCM("envoy.extensions.filters.http.cors.v3.Cors", "envoy.extensions.filters.http.router.v3.Router"),
		chainListener("com.example.Unknown"), // unknown to the table: not judged
	} {
		res := Load("t.yaml", []byte(yaml), Options{keepSemanticErrors: true})
		for _, d := range res.Diagnostics {
			if strings.Contains(d.Message, "filter chain") {
				t.Errorf("unexpected %q in\n%s", d.Message, yaml)
			}
		}
	}
}

// TestTerminalFiltersAreEnvoys pins the terminal entries of both tables to
// the list read from Envoy's factories (see the table comments), so an
// edit that flips an entry fails here and not only at a user's Envoy.
func TestTerminalFiltersAreEnvoys(t *testing.T) {
	want := map[string]bool{
		"envoy.filters.network.tcp_proxy": true, "envoy.filters.network.http_connection_manager": true,
		"envoy.filters.network.redis_proxy": true, "envoy.filters.network.thrift_proxy": true,
		"envoy.filters.network.dubbo_proxy": true, "envoy.filters.network.rocketmq_proxy": true,
		"envoy.filters.network.kafka_mesh": true, "envoy.filters.network.generic_proxy": true,
		"envoy.filters.network.echo": true, "envoy.filters.network.direct_response": true,
		"envoy.filters.http.router": true, "envoy.filters.http.upstream_codec": true,
	}
	got := map[string]bool{}
	for _, kinds := range []map[protoreflect.FullName]filterKind{networkFilterKinds, httpFilterKinds} {
		for _, k := range kinds {
			if k.terminal {
				got[k.name] = true
			}
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s is terminal in Envoy but not in the table", name)
		}
	}
	for name := range got {
		if !want[name] {
			t.Errorf("%s is terminal in the table but not in Envoy", name)
		}
	}
}

// TestDeprecationHintsMatchDescriptors ties the generated hints to
// go-control-plane: every hinted field that go-control-plane has must be
// deprecated there too, or the generator misread the .proto sources.
func TestDeprecationHintsMatchDescriptors(t *testing.T) {
	checked := 0
	for name := range deprecationHints {
		full := protoreflect.FullName(name)
		mt, err := protoregistry.GlobalTypes.FindMessageByName(full.Parent())
		if err != nil {
			continue // an enum value, or a type go-control-plane lacks
		}
		fd := mt.Descriptor().Fields().ByName(full.Name())
		if fd == nil {
			t.Errorf("%s: no such field in go-control-plane", name)
			continue
		}
		if !fieldDeprecated(fd) {
			t.Errorf("%s is not deprecated in go-control-plane", name)
		}
		checked++
	}
	if checked < 50 {
		t.Errorf("only %d hinted fields found in go-control-plane", checked)
	}
}

// TestLoadTimeRuleEdges covers conditions the CLI table does not: each
// case names a message that must (or must not) appear, and how often.
func TestLoadTimeRuleEdges(t *testing.T) {
	tests := []struct {
		name, yaml, message string
		count               int
	}{
		{"TypedExtensionConfig without typed_config is PGV's alone",
			"bootstrap_extensions:\n- name: envoy.bootstrap.foo\n", "Didn't find a registered implementation", 0},
		{"TypedExtensionConfig with an empty typed_config",
			"bootstrap_extensions:\n- name: envoy.bootstrap.foo\n  typed_config: {}\n", "Didn't find a registered implementation for 'envoy.bootstrap.foo' with type URL: ''", 1},
		{"listener filter without typed_config",
			"static_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: 0.0.0.0, port_value: 1}}\n    listener_filters: [{name: envoy.filters.listener.tls_inspector}]\n    filter_chains: [{filters: []}]\n",
			"Didn't find a registered implementation for 'envoy.filters.listener.tls_inspector' with type URL: ''", 1},
		{"IPv6 listener without filter chains",
			"static_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: \"::\", port_value: 10000}}\n",
			"error adding listener '[::]:10000': no filter chains specified", 1},
		{"UDP listener without filter chains",
			"static_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: \"::1\", port_value: 1, protocol: UDP}}\n",
			"no filter chains specified", 0},
		{"listener with only a default filter chain",
			"static_resources:\n  listeners:\n  - name: l\n    address: {socket_address: {address: 0.0.0.0, port_value: 1}}\n    default_filter_chain: {filters: []}\n",
			"no filter chains specified", 0},
		{"hostname with a resolver_name is not an IP literal's business",
			"admin: {address: {socket_address: {address: envoy.local, port_value: 1, resolver_name: custom}}}\n",
			"malformed IP address", 0},
		{"IPv6 with a zone is an IP literal",
			"admin: {address: {socket_address: {address: \"fe80::1%eth0\", port_value: 1}}}\n",
			"malformed IP address", 0},
		{"guard turned off with the string false",
			"layered_runtime: {layers: [{name: s, static_layer: {envoy.reloadable_features.no_extension_lookup_by_name: \"false\"}}]}\n" +
				"bootstrap_extensions:\n- name: envoy.bootstrap.foo\n  typed_config: {}\n",
			"Didn't find a registered implementation", 0},
		{"a later layer turns the guard back on",
			"layered_runtime: {layers: [{name: a, static_layer: {envoy.reloadable_features.no_extension_lookup_by_name: false}}, " +
				"{name: b, static_layer: {envoy.reloadable_features.no_extension_lookup_by_name: true}}]}\n" +
				"bootstrap_extensions:\n- name: envoy.bootstrap.foo\n  typed_config: {}\n",
			"Didn't find a registered implementation", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Load("t.yaml", []byte(tt.yaml), Options{})
			n := 0
			for _, d := range res.Diagnostics {
				if strings.Contains(d.Message, tt.message) {
					n++
				}
			}
			if n != tt.count {
				t.Errorf("%d diagnostics with %q, want %d: %v", n, tt.message, tt.count, res.Diagnostics)
			}
		})
	}
}

// BenchmarkLoadTimeRules2000Clusters measures the load-time rules alone on
// BenchmarkValidate2000Clusters's bootstrap, to compare with the whole Load
// when the machine is too busy for two Load timings to be compared.
func BenchmarkLoadTimeRules2000Clusters(b *testing.B) {
	data := generateLarge(2000, 200)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	d := newDecoder("large.yaml", len(data), false)
	bs := &bootstrapv3.Bootstrap{}
	d.decodeMessage(doc.Content[0], bs.ProtoReflect(), "", doc.Content[0], nil)
	b.ReportAllocs()
	for b.Loop() {
		d.diags = d.diags[:0]
		d.rules().loadTimeRules(bs)
	}
	if len(d.diags) != 0 {
		b.Fatal(d.diags[0])
	}
}
