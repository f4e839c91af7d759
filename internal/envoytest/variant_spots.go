package envoytest

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The variants' tools: the forms a value can be written in, and the spots
// of a bootstrap a kind can change.

// form is a replacement value: a scalar of a style, or a YAML flow text.
type form struct {
	value string
	style yaml.Style
	flow  string // parsed as YAML when set
}

func plain(v string) form  { return form{value: v} }
func quoted(v string) form { return form{value: v, style: yaml.DoubleQuotedStyle} }
func single(v string) form { return form{value: v, style: yaml.SingleQuotedStyle} }
func literal(v string) form {
	return form{value: v + "\n", style: yaml.LiteralStyle}
}
func mapping(kv ...string) form {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(kv[i] + ": " + kv[i+1])
	}
	b.WriteString("}")
	return form{flow: b.String()}
}
func mappingForm(flow string) form { return form{flow: flow} }

func pickForm(r *rand.Rand, fs ...form) form       { return fs[r.IntN(len(fs))] }
func pickString(r *rand.Rand, ss ...string) string { return ss[r.IntN(len(ss))] }

func (f form) node() *yaml.Node {
	if f.flow != "" {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(f.flow), &doc) != nil || len(doc.Content) == 0 {
			return &yaml.Node{Kind: yaml.ScalarNode, Value: f.flow}
		}
		return doc.Content[0]
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: f.value, Style: f.style}
	if f.style != 0 {
		n.Tag = "!!str"
	}
	return n
}

func titleCase(v string) string {
	if v == "" {
		return v
	}
	return v[:1] + strings.ToLower(v[1:])
}

// spot is a mapping entry: the mapping and the index of the key.
type spot struct {
	m *yaml.Node
	i int
}

func (s spot) key() *yaml.Node   { return s.m.Content[s.i] }
func (s spot) value() *yaml.Node { return s.m.Content[s.i+1] }

// parse reads a bootstrap's tree; nil when it does not parse.
func parse(valid []byte) *yaml.Node {
	var doc yaml.Node
	if yaml.Unmarshal(valid, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	return &doc
}

func render(doc *yaml.Node) []byte {
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil
	}
	return out
}

// spots lists every mapping entry of the tree, aliases not followed.
func spots(n *yaml.Node) []spot {
	var out []spot
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				out = append(out, spot{n, i})
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

func mappings(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			out = append(out, n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

func plainScalar(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Style == 0 }

var (
	intRe      = regexp.MustCompile(`^[0-9]+$`)
	enumRe     = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^(STATIC|EDS|AUTO|GRPC|REST|V3|HTTP1|HTTP2|HTTP3|ALLOW|DENY|LOG|TCP|UDP)$`)
	durationRe = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?s$`)
)

func isIntScalar(s spot) bool { return plainScalar(s.value()) && intRe.MatchString(s.value().Value) }
func isBoolScalar(s spot) bool {
	v := s.value()
	return plainScalar(v) && (v.Value == "true" || v.Value == "false")
}
func isEnumScalar(s spot) bool {
	return s.value().Kind == yaml.ScalarNode && enumRe.MatchString(s.value().Value)
}
func isDurationScalar(s spot) bool {
	return s.value().Kind == yaml.ScalarNode && durationRe.MatchString(s.value().Value)
}

var stringFields = []string{"name", "stat_prefix", "cluster_name", "prefix", "cluster", "host_rewrite_literal", "inline_code", "sni", "id"}

func isStringField(s spot) bool {
	return s.value().Kind == yaml.ScalarNode && slices.Contains(stringFields, s.key().Value) && s.value().Value != "" && !intRe.MatchString(s.value().Value)
}

func isPGVSpot(s spot) bool {
	k := s.key().Value
	return s.value().Kind == yaml.ScalarNode && (k == "stat_prefix" || k == "port_value" || k == "connect_timeout" || k == "name" || k == "sni" || k == "cluster_name")
}

func keyIs(k string) func(spot) bool {
	return func(s spot) bool {
		return s.key().Value == k && s.value().Kind == yaml.ScalarNode && s.value().Value != ""
	}
}

// scalarKind replaces the value of one random spot that match accepts.
func scalarKind(match func(spot) bool, mk func(*rand.Rand, string) form) func([]byte, *rand.Rand) []byte {
	return func(valid []byte, r *rand.Rand) []byte {
		doc := parse(valid)
		if doc == nil {
			return nil
		}
		var cands []spot
		for _, s := range spots(doc) {
			if match(s) {
				cands = append(cands, s)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		s := cands[r.IntN(len(cands))]
		s.m.Content[s.i+1] = mk(r, s.value().Value).node()
		return render(doc)
	}
}

// insertKind sets a key (added, or replaced when present) in one random
// mapping that where lists.
func insertKind(where func(doc *yaml.Node) []*yaml.Node, mk func(*rand.Rand) (string, form)) func([]byte, *rand.Rand) []byte {
	return func(valid []byte, r *rand.Rand) []byte {
		doc := parse(valid)
		if doc == nil {
			return nil
		}
		ms := where(doc)
		if len(ms) == 0 {
			return nil
		}
		m := ms[r.IntN(len(ms))]
		k, f := mk(r)
		setKey(m, k, f.node())
		return render(doc)
	}
}

func setKey(m *yaml.Node, k string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
}

func get(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

func rootMapping(doc *yaml.Node) []*yaml.Node {
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	return []*yaml.Node{doc.Content[0]}
}

func clusterMappings(doc *yaml.Node) []*yaml.Node {
	seq := get(get(doc.Content[0], "static_resources"), "clusters")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*yaml.Node
	for _, c := range seq.Content {
		if c.Kind == yaml.MappingNode {
			out = append(out, c)
		}
	}
	return out
}

// typedConfigOf lists the typed_config mappings whose @type ends in suffix.
func typedConfigOf(suffix string) func(*yaml.Node) []*yaml.Node {
	return func(doc *yaml.Node) []*yaml.Node {
		var out []*yaml.Node
		for _, m := range mappings(doc) {
			if t := get(m, "@type"); t != nil && strings.HasSuffix(t.Value, suffix) {
				out = append(out, m)
			}
		}
		return out
	}
}

func anyMappings(doc *yaml.Node) []*yaml.Node { return typedConfigOf("")(doc) }
