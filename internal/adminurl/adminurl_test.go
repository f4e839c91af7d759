package adminurl

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		raw string
		ok  bool
	}{
		{"http://127.0.0.1:9901", true},
		{"https://envoy.local:9901", true},
		{"ftp://127.0.0.1:9901", false},
		{"unix:///var/run/envoy.sock", false},
		{"127.0.0.1:9901", false},
		{"http://", false},
		{"http://[::1", false},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.raw); (err == nil) != tt.ok {
			t.Errorf("Parse(%q): %v, want ok=%v", tt.raw, err, tt.ok)
		}
	}
}
