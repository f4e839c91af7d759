package envoytest

import (
	"math/rand/v2"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The variant kinds of YAML's own features, where yaml-cpp and a YAML 1.2
// reader part: anchors, merge keys, !ignore, duplicate keys, indentation
// slips and other syntax errors.

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
