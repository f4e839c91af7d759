package lsp

import (
	"slices"
	"testing"
)

func TestFlowAt(t *testing.T) {
	for _, c := range []struct {
		in               string
		keys             []string
		valueKey, prefix string
		present          string
		ok               bool
	}{
		{in: "socket_address: {address: 0.0.0.0, port_v", keys: []string{"socket_address"}, prefix: "port_v", present: "address", ok: true},
		{in: `a: {b: {"c": 1, d: "x, y`, keys: []string{"a", "b"}, valueKey: "d", prefix: "x, y", present: "c", ok: true},
		{in: "routes: [{match: {prefix: /}}, {ro", keys: []string{"routes"}, prefix: "ro", ok: true},
		{in: "domains: [\"*\"]", ok: false},
		{in: "name: plain", ok: false},
		{in: "a: {b: 1}, c: {", keys: []string{"c"}, ok: true},
	} {
		keys, present, vk, prefix, ok := flowAt(c.in)
		if ok != c.ok || !slices.Equal(keys, c.keys) || vk != c.valueKey || prefix != c.prefix || c.present != "" && !present[c.present] {
			t.Errorf("flowAt(%q) = %v %v %q %q %v", c.in, keys, present, vk, prefix, ok)
		}
	}
}
