package fidelity

import (
	"context"
	"strings"
	"testing"
)

func TestAdminPortZero(t *testing.T) {
	tests := []struct{ in, want string }{
		{"admin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: 9901}\nx: 9901\n", "admin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: 0}\nx: 9901\n"},
		{"admin: {address: {socket_address: {port_value: 19000, address: 0.0.0.0}}}\n", "admin: {address: {socket_address: {port_value: 0, address: 0.0.0.0}}}\n"},
		{"admin: {address: {socket_address: {port_value: \"9901\"}}}\n", "admin: {address: {socket_address: {port_value: \"9901\"}}}\n"}, // quoted: left as written
		{"static_resources: {}\n", "static_resources: {}\n"},
		{"admin: [\n", "admin: [\n"}, // not YAML: as it was
	}
	for _, tt := range tests {
		if got := string(adminPortZero([]byte(tt.in))); got != tt.want {
			t.Errorf("adminPortZero(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStartServing starts the real Envoy on a config it serves, and on
// two it refuses only when it starts (validate mode passes both).
func TestStartServing(t *testing.T) {
	bin := envoyBinary(t)
	const admin = "admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}\n"
	tests := []struct {
		name, yaml string
		refused    bool
		message    string
	}{
		{"serves", admin + "static_resources: {}\n", false, ""},
		{"set-cookie inline", admin + "inline_headers: [{inline_header_name: set-cookie, inline_header_type: RESPONSE_HEADER}]\n", true, "set-cookie cannot be registered as an inline header"},
		{"stats matcher regex", admin + "stats_config: {stats_matcher: {inclusion_list: {patterns: [{safe_regex: {regex: 'a**'}}]}}}\n", true, "bad repetition operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sv, err := startServing(context.Background(), bin, []byte(tt.yaml), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if sv.Refused != tt.refused || !strings.Contains(sv.Message, tt.message) {
				t.Errorf("got %+v, want refused %v with %q", sv, tt.refused, tt.message)
			}
		})
	}
}
