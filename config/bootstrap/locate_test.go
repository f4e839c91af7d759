package bootstrap

import "testing"

func TestLocate(t *testing.T) {
	doc := []byte(`static_resources:
  listeners:
  - name: l
    filter_chains:
    - filters:
      - name: hcm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          statPrefix: 1
  clusters:
  - name: a
  - name: b
    connect_timeout: x
`)
	tests := []struct {
		path      string
		line, col int
		ok        bool
	}{
		{"static_resources.clusters[1].connect_timeout", 13, 22, true},
		{"static_resources.clusters[1]", 12, 5, true},
		{"static_resources.clusters", 10, 3, true},
		{"static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stat_prefix", 9, 23, true},
		{"static_resources.clusters[5].name", 10, 3, false},
		{"static_resources.clusters[0].bogus", 11, 5, false},
	}
	for _, tt := range tests {
		line, col, ok := Locate(doc, tt.path)
		if line != tt.line || col != tt.col || ok != tt.ok {
			t.Errorf("%s: got %d:%d %v, want %d:%d %v", tt.path, line, col, ok, tt.line, tt.col, tt.ok)
		}
	}
}
