package envoytest

import (
	"math/rand/v2"
	"strings"

	"gopkg.in/yaml.v3"
)

// The variant kinds that change a bootstrap's structure rather than one
// scalar: oneofs, typed configs, filter order, regexes, YAML features.

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
