package bootstrap

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

const minimal = `
admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 9901}}
static_resources:
  clusters:
  - &base
    name: a
    connect_timeout: 0.25s
    type: STATIC
  - *base
  - name: c
    connectTimeout: 2s
`

// TestAnchorsAndCamelCase: an alias repeats a whole mapping (here the
// first cluster, which makes the second a duplicate), camelCase keys work.
func TestAnchorsAndCamelCase(t *testing.T) {
	res := Load("envoy.yaml", []byte(minimal), Options{})
	cs := res.Bootstrap.GetStaticResources().GetClusters()
	if len(cs) != 3 {
		t.Fatalf("%d clusters, want 3", len(cs))
	}
	if cs[1].GetName() != "a" || cs[1].GetConnectTimeout().AsDuration().Milliseconds() != 250 {
		t.Errorf("aliased cluster = %v", cs[1])
	}
	if cs[2].GetConnectTimeout().GetSeconds() != 2 {
		t.Errorf("camelCase key not applied: %v", cs[2])
	}
}

// TestMergeKeysAreRefused: yaml-cpp has no merge keys, so Envoy 1.40 sees
// "<<" as a field name and refuses it ("no such field: '<<'").
func TestMergeKeysAreRefused(t *testing.T) {
	for _, doc := range []string{
		"static_resources:\n  clusters:\n  - &base {name: a, connect_timeout: 1s}\n  - <<: *base\n    name: b\n",
		"node: {id: a, metadata: {<<: {x: 1}}}\nstatic_resources: {}\n",
	} {
		res := Load("envoy.yaml", []byte(doc), Options{})
		if doc[0] == 'n' {
			// In a Struct "<<" is an ordinary key, as for Envoy.
			if !res.Valid() || res.Bootstrap.GetNode().GetMetadata().GetFields()["<<"] == nil {
				t.Errorf("metadata with a << key: %v", res.Diagnostics)
			}
			continue
		}
		found := false
		for _, d := range res.Diagnostics {
			found = found || (d.Severity == SeverityError && strings.Contains(d.Message, `unknown field "<<"`) && d.Line == 4)
		}
		if !found {
			t.Errorf("merge key accepted or misplaced: %v", res.Diagnostics)
		}
	}
}

func TestAnyPayloadIsDecoded(t *testing.T) {
	b, err := os.ReadFile("../../cmd/envoy-reloader/testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := Load("valid.yaml", b, Options{})
	if !res.Valid() {
		t.Fatalf("diagnostics: %v", res.Diagnostics)
	}
	anyCfg := res.Bootstrap.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig()
	var hcm hcmv3.HttpConnectionManager
	if err := anyCfg.UnmarshalTo(&hcm); err != nil {
		t.Fatal(err)
	}
	if hcm.GetStatPrefix() != "ingress" || hcm.GetRouteConfig().GetVirtualHosts()[0].GetRoutes()[0].GetRoute().GetCluster() != "backend" {
		t.Errorf("payload = %v", &hcm)
	}
}

func TestTypedStructIsCheckedAgainstItsType(t *testing.T) {
	doc := `
admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}
static_resources:
  clusters:
  - name: a
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/xds.type.v3.TypedStruct
        type_url: type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        value:
          bogus_field: 1
`
	res := Load("envoy.yaml", []byte(doc), Options{})
	if res.Valid() {
		t.Fatal("a TypedStruct with an unknown field in its value was accepted")
	}
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String())
	}
	want := []string{
		// HttpProtocolOptions requires one of its protocol choices.
		"envoy.yaml:10:9: error: upstream_protocol_options: value is required",
		`envoy.yaml:11:11: error: unknown field "bogus_field" in envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReferencedFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cds.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	doc := `
admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}
dynamic_resources:
  cds_config:
    path_config_source: {path: cds.yaml}
  lds_config:
    path: /etc/envoy/lds.yaml
`
	res := Load(filepath.Join(dir, "envoy.yaml"), []byte(doc), Options{})
	var got []string
	for _, f := range res.ReferencedFiles {
		got = append(got, fmt.Sprintf("%s@%d", f.Path, f.Line))
	}
	if strings.Join(got, " ") != "cds.yaml@5 /etc/envoy/lds.yaml@7" {
		t.Errorf("referenced files = %v", got)
	}
	// cds.yaml exists beside the bootstrap; only lds.yaml is missing (the
	// deprecated path field also gets its deprecation warning).
	var others []Diagnostic
	for _, d := range res.Diagnostics {
		if !d.Deprecated {
			others = append(others, d)
		}
	}
	if len(others) != 1 || others[0].Line != 7 || others[0].Severity != SeverityWarning {
		t.Errorf("diagnostics = %v", res.Diagnostics)
	}
}

func TestHostileInputsFailCleanly(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'k'; i++ {
		prev := string(i - 1)
		bomb += fmt.Sprintf("%c: &%c [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	bomb += "node: {metadata: {x: *k}}\n"
	tests := []struct {
		name, doc, message string
	}{
		{"empty", "", "the bootstrap is empty"},
		{"only a comment", "# nothing\n", "the bootstrap is empty"},
		{"a scalar", "hello\n", "expected a mapping"},
		{"binary", "\x00\x01\x02\xff\xfe", "YAML"},
		{"alias bomb", bomb, "alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Load("envoy.yaml", []byte(tt.doc), Options{})
			if res.Valid() {
				t.Fatal("accepted")
			}
			found := false
			for _, d := range res.Diagnostics {
				if d.Line < 1 || d.Col < 1 {
					t.Errorf("diagnostic without a position: %v", d)
				}
				found = found || strings.Contains(d.Message, tt.message)
			}
			if !found {
				t.Errorf("no diagnostic mentions %q: %v", tt.message, res.Diagnostics)
			}
		})
	}
}
