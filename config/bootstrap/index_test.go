package bootstrap

import (
	"os"
	"testing"
)

func TestIndexLocate(t *testing.T) {
	data := []byte(`static_resources:
  listeners:
  - name: l
    address:
      socket_address: {address: 0.0.0.0, port_value: 80}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tcp
          cluster: c
  clusters:
  - name: c
    connect_timeout: 1s
    metadata:
      filter_metadata:
        "my_key": {}
`)
	res := Load("index.yaml", data, Options{Index: true})
	if !res.Valid() {
		t.Fatalf("not valid: %v", res.Diagnostics)
	}
	for _, tc := range []struct {
		path string
		want Pos
		ok   bool
	}{
		{"static_resources.clusters[0].name", Pos{14, 11}, true},
		{"staticResources.clusters[0].connectTimeout", Pos{15, 22}, true},
		{"static_resources.clusters[0]", Pos{14, 5}, true},
		{"static_resources.listeners[0].address.socket_address.port_value", Pos{5, 54}, true},
		{"static_resources.listeners[0].filter_chains[0].filters[0].typed_config.cluster", Pos{12, 20}, true},
		// A Struct's inside is not decoded field by field: its map key is not
		// indexed, so the field above it is the answer.
		{`static_resources.clusters[0].metadata.filter_metadata["my_key"]`, Pos{17, 7}, false},
		{"static_resources.clusters[0].lb_policy", Pos{14, 5}, false},
		{"static_resources.clusters[7].name", Pos{13, 3}, false},
		{"nothing.here", Pos{1, 1}, false},
	} {
		got, ok := res.Index.Locate(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Locate(%s) = %v, %v; want %v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
		if l, c, lok := Locate(data, tc.path); tc.ok && (l != got.Line || c != got.Col || !lok) {
			t.Errorf("Locate(%s): the index says %v, the YAML walk %d:%d", tc.path, got, l, c)
		}
	}
	fields := res.Index.Fields()
	for i := 1; i < len(fields); i++ {
		if fields[i].start().before(fields[i-1].start()) {
			t.Fatalf("fields out of document order: %v before %v", fields[i-1], fields[i])
		}
	}
	if unasked := Load("index.yaml", data, Options{}); unasked.Index != nil {
		t.Error("an index nobody asked for was built")
	}
	if broken := Load("broken.yaml", []byte("a: [\n"), Options{Index: true}); broken.Index != nil {
		t.Errorf("a file that does not parse has an index: %v", broken.Index.Fields())
	}
}

// TestIndexAgreesWithTheYAMLWalk: over every corpus bootstrap, each
// indexed field is placed where Locate's walk of the YAML places it. A
// message as a whole (a list element, a map value) is placed where its
// diagnostics are, which the walk does not know; and the walk cannot follow
// a TypedStruct's value, which the index can.
func TestIndexAgreesWithTheYAMLWalk(t *testing.T) {
	checked := 0
	for _, file := range corpusBootstraps(t) {
		res, err := LoadFile(file, Options{Index: true})
		if err != nil || res.Index == nil {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Index.Fields() {
			at, ok := res.Index.Locate(f.Path)
			if !ok || at != f.At {
				t.Errorf("%s: %s: Locate says %v (%v), the field is at %v", file, f.Path, at, ok, f.At)
			}
			line, col, walked := Locate(data, f.Path)
			if f.Key.Line == 0 || !walked {
				continue
			}
			if at != (Pos{line, col}) {
				t.Errorf("%s: %s: the index says %v (%v), the YAML walk %d:%d (%v)", file, f.Path, at, ok, line, col, walked)
			}
			checked++
		}
	}
	t.Logf("%d paths checked", checked)
	if checked < 1000 {
		t.Errorf("only %d paths checked", checked)
	}
}
