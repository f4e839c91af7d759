package envoytest

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Variants, unlike Mutate's mutations, are not known to be invalid: each
// kind aims at a place where a reader of YAML and protobuf can differ from
// Envoy, and the real Envoy says whether the variant is valid. They are for
// the differential harness (internal/fidelity).

// VariantKind is one kind of variant: Make derives a variant of a valid
// bootstrap with r choosing the spot and the form, or returns nil when the
// bootstrap has no spot for the kind.
type VariantKind struct {
	Name string
	Make func(valid []byte, r *rand.Rand) []byte
}

// VariantKinds lists every kind, in a fixed order.
func VariantKinds() []VariantKind { return variantKinds }

// Variant derives one variant of kind k (an index into VariantKinds).
func Variant(k int, valid []byte, r *rand.Rand) []byte {
	return variantKinds[k].Make(valid, r)
}

var variantKinds = []VariantKind{
	{"int field: quoted", scalarKind(isIntScalar, func(r *rand.Rand, v string) form { return quoted(v) })},
	{"int field: float forms", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain(v+".0"), plain(v+".5"), plain(v+"e0"), quoted(v+".0"), plain(v+"0e-1"))
	})},
	{"int field: hex, octal, sign", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		var n int
		fmt.Sscan(v, &n)
		return pickForm(r, plain(fmt.Sprintf("0x%X", n)), plain(fmt.Sprintf("0%o", n)), plain("+"+v), plain("-"+v), quoted(fmt.Sprintf("0x%x", n)), plain("0"+v), plain(v+"_0"))
	})},
	{"int field: range", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("0"), plain("-1"), plain("65535"), plain("65536"), plain("2147483648"), plain("4294967296"), quoted("4294967296"), plain("99999999999999999999"))
	})},
	{"int field: words", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("on"), plain("yes"), plain("true"), quoted(""), plain("~"), plain("abc"), quoted(v+" "), quoted(" "+v))
	})},
	{"bool field: forms", scalarKind(isBoolScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("yes"), plain("no"), plain("on"), plain("Off"), plain("Y"), plain("n"), plain("TRUE"), plain("True"), plain("tRUE"),
			quoted("true"), quoted("yes"), quoted("1"), quoted("t"), quoted("maybe"), plain("1"), plain("0"))
	})},
	{"enum field: forms", scalarKind(isEnumScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain(strings.ToLower(v)), plain(titleCase(v)), quoted(v), plain("0"), plain("1"), plain("99"), quoted("1"), plain(v+"S"), plain(strings.ReplaceAll(v, "_", "")))
	})},
	{"duration field: forms", scalarKind(isDurationScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("1"), plain("1.5"), quoted("1"), plain("1000ms"), plain("1.5s"), plain("-1s"), plain("0s"), plain(".5s"), plain("1e3s"),
			plain("1m"), plain("315576000001s"), plain("0.000000001s"), plain("1.0000000001s"), quoted(v+" "), mapping("seconds", "1", "nanos", "5"), mapping("seconds", "1"), mapping("nanos", "-5"))
	})},
	{"string field: unquoted scalars", scalarKind(isStringField, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("15"), plain("1.5"), plain("1.50"), plain("1e3"), plain("0x10"), plain(".inf"), plain("-1.5"), plain("on"), plain("Yes"), plain("n"),
			plain("~"), plain("null"), plain("2147483648"), plain("017"), plain("1_000"), plain("08"))
	})},
	{"string field: quoted forms", scalarKind(isStringField, func(r *rand.Rand, v string) form {
		return pickForm(r, quoted(""), quoted(" "), quoted(v+"\t"), quoted(strings.Repeat("x", 300)), quoted("15"), quoted("true"), single(v), literal(v))
	})},
	{"wrapper field: forms", insertKind(clusterMappings, func(r *rand.Rand) (string, form) {
		k := pickString(r, "per_connection_buffer_limit_bytes", "max_requests_per_connection")
		return k, pickForm(r, plain("1024"), quoted("1024"), plain("1024.0"), plain("1.5"), plain("-1"), plain("4294967296"), quoted("x"), mapping("value", "1024"), mapping("value", "\"1024\""), plain("true"), plain("0x400"))
	})},
	{"BoolValue field: forms", insertKind(typedConfigOf("HttpConnectionManager"), func(r *rand.Rand) (string, form) {
		k := pickString(r, "use_remote_address", "generate_request_id", "normalize_path")
		return k, pickForm(r, plain("true"), plain("yes"), plain("on"), quoted("true"), quoted("yes"), quoted("1"), quoted("f"), quoted("nope"), plain("1"), plain("0"), mapping("value", "true"), mapping("value", "\"true\""))
	})},
	{"float field: forms", insertKind(clusterMappings, func(r *rand.Rand) (string, form) {
		v := pickString(r, "50", "50.5", "\"50\"", ".inf", "101", "-1", "1e2", "1e1", "0x10", ".nan", "\"Infinity\"", "yes")
		return "common_lb_config", mappingForm(fmt.Sprintf("{healthy_panic_threshold: {value: %s}}", v))
	})},
	{"PGV bounds", scalarKind(isPGVSpot, func(r *rand.Rand, v string) form {
		return pickForm(r, quoted(""), plain("0"), plain("65536"), plain("0s"), plain("-1s"), quoted(strings.Repeat("a", 256)))
	})},
	{"oneof set twice", oneofTwice},
	{"unknown field in typed_config", unknownInTypedConfig},
	{"@type typos", typeTypo},
	{"TypedStruct", typedStructWrap},
	{"filter order", filterOrder},
	{"regex", regexVariant},
	{"IP literals", scalarKind(keyIs("address"), func(r *rand.Rand, v string) form {
		return pickForm(r, plain("localhost"), plain("::1"), quoted("::"), plain("127.1"), plain("1.2.3.4.5"), quoted("[::1]"), plain("fe80::1%lo"), plain("0.0.0.0"), plain("::ffff:127.0.0.1"), plain("127.0.0.01"), plain("example.com"), quoted(" 127.0.0.1"))
	})},
	{"cluster references", scalarKind(keyIs("cluster"), func(r *rand.Rand, v string) form {
		return pickForm(r, plain(strings.ToUpper(v)), plain(v+"_x"), plain(v+" "), quoted(v), quoted(""), plain(v[:len(v)-1]))
	})},
	{"runtime layers", runtimeLayers},
	{"anchors and aliases", anchorAlias},
	{"merge keys", mergeKey},
	{"!ignore", ignoreTag},
	{"duplicate keys", duplicateKey},
	{"indentation slips", indentSlip},
	{"syntax errors", syntaxError},
	{"camelCase keys", camelKey},
	{"single value for a list", singleForList},
	{"null values", nullValue},
	{"key deleted", keyDeleted},
	{"duplicate names", duplicateNames},
	{"Any without @type", anyWithoutType},
	{"bootstrap-level fields", bootstrapLevel},
	{"header names", insertKind(rootMapping, func(r *rand.Rand) (string, form) {
		n := pickString(r, "x-foo", "X-Foo", "\"\"", "\":path\"", "\"foo bar\"", "host", "cookie", "x_foo")
		t := pickString(r, "REQUEST_HEADER", "RESPONSE_TRAILER", "request_header", "BOGUS")
		return "inline_headers", mappingForm(fmt.Sprintf("[{inline_header_name: %s, inline_header_type: %s}]", n, t))
	})},
}

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

func oneofTwice(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	type edit struct {
		m       *yaml.Node
		k, flow string
	}
	var cands []edit
	for _, m := range mappings(doc) {
		switch {
		case get(m, "port_value") != nil:
			cands = append(cands, edit{m, "named_port", "http"})
		case get(m, "route") != nil && get(m, "match") != nil:
			cands = append(cands, edit{m, "redirect", "{path_redirect: /x}"}, edit{m, "direct_response", "{status: 200}"})
		case get(m, "prefix") != nil && get(m, "case_sensitive") == nil && get(m, "headers") == nil:
			cands = append(cands, edit{m, "path", "/x"}, edit{m, "safe_regex", "{regex: x}"})
		case get(m, "route_config") != nil:
			cands = append(cands, edit{m, "rds", "{route_config_name: r, config_source: {ads: {}, resource_api_version: V3}}"})
		case get(m, "connect_timeout") != nil && get(m, "type") != nil:
			cands = append(cands, edit{m, "cluster_type", "{name: envoy.clusters.static, typed_config: {}}"})
		}
	}
	if len(cands) == 0 {
		return nil
	}
	e := cands[r.IntN(len(cands))]
	setKey(e.m, e.k, mappingForm(e.flow).node())
	return render(doc)
}

func unknownInTypedConfig(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	// Deeper mappings inside a typed_config count too.
	var cands []*yaml.Node
	for _, m := range anyMappings(doc) {
		cands = append(cands, mappings(m)...)
	}
	if len(cands) == 0 {
		return nil
	}
	m := cands[r.IntN(len(cands))]
	k := pickString(r, "bogus_field", "statPrefixx", "typed_config", "name")
	if len(m.Content) >= 2 && r.IntN(2) == 0 {
		// A near typo of an existing key.
		i := 2 * r.IntN(len(m.Content)/2)
		if kk := m.Content[i].Value; len(kk) > 3 && kk != "@type" {
			k = kk[:len(kk)-1]
		}
	}
	setKey(m, k, plain("1").node())
	return render(doc)
}

func typeTypo(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	ms := anyMappings(doc)
	if len(ms) == 0 {
		return nil
	}
	t := get(ms[r.IntN(len(ms))], "@type")
	v := t.Value
	switch r.IntN(7) {
	case 0:
		t.Value = strings.Replace(v, "type.googleapis.com/", "", 1)
	case 1:
		t.Value = strings.Replace(v, "type.googleapis.com/", "types.googleapis.com/", 1)
	case 2:
		t.Value = strings.ToLower(v)
	case 3:
		t.Value = strings.Replace(v, ".v3.", ".v2.", 1)
	case 4:
		t.Value = v + " "
	case 5:
		t.Value = strings.Replace(v, "type.googleapis.com/", "example.com/x/", 1)
	default:
		if i := strings.LastIndexByte(v, '.'); i >= 0 && i+3 < len(v) {
			b := []byte(v)
			b[i+1], b[i+2] = b[i+2], b[i+1]
			t.Value = string(b)
		}
	}
	t.Style = yaml.DoubleQuotedStyle
	return render(doc)
}

func typedStructWrap(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	ms := anyMappings(doc)
	if len(ms) == 0 {
		return nil
	}
	m := ms[r.IntN(len(ms))]
	url := get(m, "@type").Value
	value := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "@type" {
			value.Content = append(value.Content, m.Content[i], m.Content[i+1])
		}
	}
	wrapper := pickString(r, "type.googleapis.com/xds.type.v3.TypedStruct", "type.googleapis.com/udpa.type.v1.TypedStruct")
	if r.IntN(3) == 0 {
		setKey(value, "bogus_field", plain("1").node())
	}
	m.Content = []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "@type", Style: yaml.DoubleQuotedStyle, Tag: "!!str"}, quoted(wrapper).node(),
		{Kind: yaml.ScalarNode, Value: "type_url"}, quoted(url).node(),
		{Kind: yaml.ScalarNode, Value: "value"}, value,
	}
	return render(doc)
}

func filterOrder(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	var cands []*yaml.Node
	for _, s := range spots(doc) {
		if k := s.key().Value; (k == "http_filters" || k == "filters" || k == "listener_filters") && s.value().Kind == yaml.SequenceNode && len(s.value().Content) > 0 {
			cands = append(cands, s.value())
		}
	}
	if len(cands) == 0 {
		return nil
	}
	seq := cands[r.IntN(len(cands))]
	n := len(seq.Content)
	switch {
	case n == 1 || r.IntN(3) == 0:
		// The one filter twice, or a router-like filter added first.
		seq.Content = append([]*yaml.Node{seq.Content[n-1]}, seq.Content...)
	default:
		i, j := r.IntN(n), r.IntN(n)
		seq.Content[i], seq.Content[j] = seq.Content[j], seq.Content[i]
		if i == j {
			seq.Content = seq.Content[:n-1]
		}
	}
	return render(doc)
}

var regexes = []string{"(", "a{1001}", `\C`, "(?i)x", "[[:alpha:]]+", `\pL`, "(?=x)", `(a)\1`, "[z-a]", "a**", `\Q*\E`, "(?P<n>x)", "x{2,1}", "^/api/.*$", `\d+`, "(?s).", `\z`, "[[:word:]]", `\b`, "(?U)a+"}

func regexVariant(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	var cands []*yaml.Node
	for _, m := range mappings(doc) {
		if p := get(m, "prefix"); p != nil && get(m, "path") == nil && get(m, "safe_regex") == nil && p.Kind == yaml.ScalarNode {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	m := cands[r.IntN(len(cands))]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "prefix" {
			m.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Value: "safe_regex"}
			m.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "regex"}, single(pickString(r, regexes...)).node()}}
			break
		}
	}
	return render(doc)
}

func runtimeLayers(valid []byte, r *rand.Rand) []byte {
	layers := []string{
		"[{name: a, static_layer: {foo: [1, 2]}}]", "[{name: a, static_layer: {foo: {bar: null}}}]", "[{name: a, static_layer: {foo: 1, bar: x, baz: {q: true}}}]",
		"[{name: a, static_layer: {}}, {name: a, admin_layer: {}}]", "[{name: a, admin_layer: {}}, {name: b, admin_layer: {}}]", "[{name: a, static_layer: {f: {numerator: 5}}}]",
		"[{name: \"\", static_layer: {}}]", "[{name: a}]", "[{name: a, static_layer: {envoy.reloadable_features.no_extension_lookup_by_name: false}}]",
		"[{name: a, disk_layer: {symlink_root: /nonexistent}}]", "[]", "[{name: a, static_layer: {x: 1.5, y: .inf}}]",
	}
	return insertKind(rootMapping, func(r *rand.Rand) (string, form) {
		return "layered_runtime", mappingForm("{layers: " + layers[r.IntN(len(layers))] + "}")
	})(valid, r)
}

func anchorAlias(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	byKey := map[string][]spot{}
	for _, s := range spots(doc) {
		if v := s.value(); v.Kind == yaml.MappingNode || v.Kind == yaml.ScalarNode {
			byKey[s.key().Value] = append(byKey[s.key().Value], s)
		}
	}
	var keys []string
	for k, ss := range byKey {
		if len(ss) > 1 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	ss := byKey[keys[r.IntN(len(keys))]]
	a, b := ss[0], ss[1+r.IntN(len(ss)-1)]
	a.value().Anchor = "a1"
	b.m.Content[b.i+1] = &yaml.Node{Kind: yaml.AliasNode, Value: "a1", Alias: a.value()}
	return render(doc)
}

func mergeKey(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	var cands []*yaml.Node
	for _, m := range mappings(doc) {
		if len(m.Content) >= 4 && get(m, "@type") == nil {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	m := cands[r.IntN(len(cands))]
	// Move the first entry into a merged mapping.
	merged := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{m.Content[0], m.Content[1]}}
	m.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Value: "<<", Tag: "!!merge"}, merged}, m.Content[2:]...)
	return render(doc)
}

func ignoreTag(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	ms := mappings(doc)
	m := ms[r.IntN(len(ms))]
	if r.IntN(2) == 0 {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "x-defs", Tag: "!ignore"}, mappingForm("{a: 1, b: [x]}").node())
	} else {
		i := 2 * r.IntN(len(m.Content)/2)
		m.Content[i].Tag = "!ignore"
	}
	return render(doc)
}

func duplicateKey(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	ss := spots(doc)
	s := ss[r.IntN(len(ss))]
	k := *s.key()
	v := s.value()
	if r.IntN(2) == 0 && v.Kind == yaml.ScalarNode {
		v = plain(v.Value + "x").node()
	}
	s.m.Content = append(s.m.Content, &k, v)
	return render(doc)
}

func nonBlankLines(text string) ([]string, []int) {
	lines := strings.Split(text, "\n")
	var idx []int
	for i, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			idx = append(idx, i)
		}
	}
	return lines, idx
}

func indentSlip(valid []byte, r *rand.Rand) []byte {
	lines, idx := nonBlankLines(string(valid))
	if len(idx) == 0 {
		return nil
	}
	i := idx[r.IntN(len(idx))]
	switch d := r.IntN(4); {
	case d == 0 && strings.HasPrefix(lines[i], " "):
		lines[i] = lines[i][1:]
	case d == 1 && strings.HasPrefix(lines[i], "  "):
		lines[i] = lines[i][2:]
	case d == 2:
		lines[i] = "  " + lines[i]
	default:
		lines[i] = " " + lines[i]
	}
	return []byte(strings.Join(lines, "\n"))
}

func syntaxError(valid []byte, r *rand.Rand) []byte {
	lines, idx := nonBlankLines(string(valid))
	if len(idx) == 0 {
		return nil
	}
	i := idx[r.IntN(len(idx))]
	l := lines[i]
	switch r.IntN(7) {
	case 0:
		lines[i] = l + ` "`
	case 1:
		lines[i] = strings.Replace(l, ": ", ": [", 1)
	case 2:
		lines[i] = l + "]"
	case 3:
		lines[i] = "\t" + strings.TrimLeft(l, " ")
	case 4:
		lines[i] = strings.Replace(l, ": ", ": a: ", 1)
	case 5:
		lines[i] = strings.Replace(l, ":", "", 1)
	default:
		lines[i] = l + " &"
	}
	return []byte(strings.Join(lines, "\n"))
}

func camelKey(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	var cands []spot
	for _, s := range spots(doc) {
		if strings.Contains(s.key().Value, "_") && !strings.HasPrefix(s.key().Value, "@") {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	k := cands[r.IntN(len(cands))].key()
	parts := strings.Split(k.Value, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	switch r.IntN(3) {
	case 0:
		k.Value = strings.Join(parts, "")
	case 1:
		k.Value = strings.ToUpper(k.Value[:1]) + strings.Join(parts, "")[1:]
	default:
		k.Value = strings.ToLower(strings.Join(parts, ""))
	}
	return render(doc)
}

func singleForList(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	var cands []spot
	for _, s := range spots(doc) {
		if v := s.value(); (v.Kind == yaml.SequenceNode && len(v.Content) == 1) || v.Kind == yaml.ScalarNode {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	s := cands[r.IntN(len(cands))]
	if v := s.value(); v.Kind == yaml.SequenceNode {
		s.m.Content[s.i+1] = v.Content[0]
	} else {
		s.m.Content[s.i+1] = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{v}}
	}
	return render(doc)
}

func nullValue(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	ss := spots(doc)
	s := ss[r.IntN(len(ss))]
	s.m.Content[s.i+1] = plain(pickString(r, "null", "~", "", "[]", "{}")).node()
	return render(doc)
}

func keyDeleted(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	ss := spots(doc)
	s := ss[r.IntN(len(ss))]
	s.m.Content = append(s.m.Content[:s.i:s.i], s.m.Content[s.i+2:]...)
	return render(doc)
}

func duplicateNames(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	var cands []*yaml.Node
	for _, s := range spots(doc) {
		if k := s.key().Value; (k == "clusters" || k == "listeners" || k == "virtual_hosts" || k == "domains" || k == "routes" || k == "lb_endpoints") && s.value().Kind == yaml.SequenceNode && len(s.value().Content) > 0 {
			cands = append(cands, s.value())
		}
	}
	if len(cands) == 0 {
		return nil
	}
	seq := cands[r.IntN(len(cands))]
	seq.Content = append(seq.Content, seq.Content[r.IntN(len(seq.Content))])
	return render(doc)
}

func anyWithoutType(valid []byte, r *rand.Rand) []byte {
	doc := parse(valid)
	if doc == nil {
		return nil
	}
	ms := anyMappings(doc)
	if len(ms) == 0 {
		return nil
	}
	m := ms[r.IntN(len(ms))]
	if r.IntN(2) == 0 {
		m.Content = nil
	} else {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "@type" {
				m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
				break
			}
		}
	}
	return render(doc)
}

func bootstrapLevel(valid []byte, r *rand.Rand) []byte {
	fields := []struct{ k, v string }{
		{"watchdog", "{miss_timeout: 1s}"}, {"watchdogs", "{main_thread_watchdog: {miss_timeout: 1s}}"},
		{"application_log_config", "{log_format: {json_format: {msg: \"%v\"}}}"}, {"application_log_config", "{log_format: {json_format: {t: \"%_ x\"}}}"},
		{"application_log_config", "{log_format: {json_format: {t: \"%n %l\"}}}"}, {"application_log_config", "{log_format: {text_format: \"%v\"}}"},
		{"bootstrap_extensions", "[{name: x, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]"},
		{"bootstrap_extensions", "[{name: x, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener}}]"},
		{"stats_flush_interval", "0.5s"}, {"stats_flush_interval", "1ms"}, {"stats_flush_on_admin", "true"},
		{"node", "{id: \"\", cluster: 1.5}"}, {"overload_manager", "{refresh_interval: 0.25s}"}, {"default_regex_engine", "{name: x, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.regex_engines.v3.GoogleRE2}}"},
	}
	doc := parse(valid)
	if doc == nil || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	root := doc.Content[0]
	n := 1 + r.IntN(2)
	for range n {
		f := fields[r.IntN(len(fields))]
		setKey(root, f.k, mappingForm(f.v).node())
	}
	return render(doc)
}
