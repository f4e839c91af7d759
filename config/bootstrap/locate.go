package bootstrap

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Locate finds the YAML node a field path names in a bootstrap
// (static_resources.clusters[2].name, as Envoy's messages and this package's
// diagnostics spell paths) and returns its line and column. Keys match in
// snake_case or camelCase; a typed_config's fields are the siblings of its
// "@type", so they need no step of their own. When the whole path cannot be
// followed, the deepest node reached is returned with ok false.
func Locate(data []byte, path string) (line, col int, ok bool) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 1, 1, false
	}
	n := doc.Content[0]
	reached, keyNode := n, (*yaml.Node)(nil)
	for _, step := range splitPath(path) {
		n = deref(n)
		if step.name != "" {
			k, v := lookupKey(n, step.name)
			if v == nil {
				return position(reached, keyNode, false)
			}
			keyNode, n = k, v
		}
		if step.index != "" {
			container := deref(n)
			next := elementNode(container, step.index)
			if next == container {
				return position(reached, keyNode, false)
			}
			keyNode, n = nil, next
		}
		reached = n
	}
	return position(reached, keyNode, true)
}

// position reads best at the key for a mapping or list value.
func position(n, key *yaml.Node, ok bool) (int, int, bool) {
	if key != nil && deref(n) != nil && deref(n).Kind != yaml.ScalarNode {
		n = key
	}
	if n == nil || n.Line == 0 {
		return 1, 1, false
	}
	return n.Line, n.Column, ok
}

type pathStep struct{ name, index string }

// splitPath splits a.b[2].c["k"] into steps; an index is kept with its name.
func splitPath(path string) []pathStep {
	var out []pathStep
	for path != "" {
		var seg string
		if i := strings.IndexByte(path, '.'); i >= 0 && !strings.Contains(path[:i], "[") {
			seg, path = path[:i], path[i+1:]
		} else if j := strings.IndexByte(path, ']'); j >= 0 && strings.Contains(path[:j], "[") {
			seg, path = path[:j+1], strings.TrimPrefix(path[j+1:], ".")
		} else {
			seg, path = path, ""
		}
		name, idx, _ := strings.Cut(seg, "[")
		idx = strings.TrimSuffix(idx, "]")
		if u, err := strconv.Unquote(idx); err == nil {
			idx = u
		}
		out = append(out, pathStep{name: name, index: idx})
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// lookupKey finds a key of mapping n by folded name (port_value ~ portValue).
func lookupKey(n *yaml.Node, name string) (key, value *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	want := fold(name)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Value == name || fold(k.Value) == want {
			key, value = k, n.Content[i+1]
		}
	}
	return key, value
}
