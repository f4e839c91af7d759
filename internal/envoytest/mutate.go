package envoytest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Mutation is a broken bootstrap derived from a valid one.
type Mutation struct {
	Kind string // the kind of damage, e.g. "unknown field"
	Name string // source and kind, for test names
	Data []byte
}

// Mutate derives broken bootstraps from a valid one by systematic
// mutations, each of which Envoy would reject; kinds that do not apply to
// the source (no lb_policy to corrupt, say) are left out.
func Mutate(source string, valid []byte) []Mutation {
	var out []Mutation
	add := func(kind string, data []byte) {
		if data != nil && !bytes.Equal(data, valid) {
			out = append(out, Mutation{Kind: kind, Name: source + ": " + kind, Data: data})
		}
	}
	text := string(valid)
	add("unknown field", []byte("bogus_root_field: 1\n"+text))
	add("wrong type", replaceFirst(text, `(port_value:\s*)\d+`, "${1}not-a-number"))
	add("out-of-range number", replaceFirst(text, `(port_value:\s*)\d+`, "${1}70000"))
	add("bad enum", replaceFirst(text, `((?:lb_policy|codec_type):\s*)[A-Za-z_]+`, "${1}NOT_AN_ENUM_VALUE"))
	add("typo in @type", typoInType(text))
	if !strings.Contains(text, "cds_config") && !strings.Contains(text, "validate_clusters: false") {
		// A route's key is exactly "route" (not catch_all_route, say).
		dangling := replaceFirst(text, `(?m)(^[ \t]*(?:- )?route:\s*\{\s*cluster:\s*)([\w.-]+)`, "${1}${2}_missing")
		if dangling == nil { // block style: route:\n  cluster: name
			dangling = replaceFirst(text, `(?m)(^[ \t]*(?:- )?route:[ \t]*\n[ \t]+cluster:[ \t]*)([\w.-]+)`, "${1}${2}_missing")
		}
		add("dangling cluster reference", dangling)
	}
	add("duplicate cluster names", editTree(valid, duplicateFirst("static_resources", "clusters")))
	// Not a duplicate listener: Envoy 1.40 keeps the first static listener
	// of a name and drops a second one without a word.
	add("required field deleted (cluster name)", editTree(valid, deleteKeyInFirst("static_resources", "clusters", "name")))
	add("required field deleted (stat_prefix)", editTree(valid, deleteFirstKey("stat_prefix")))
	add("broken indentation", tabIndent(text))
	add("truncated file", truncateInFlow(text))
	return out
}

// Hostile returns inputs that test the loader's bounds rather than Envoy's
// rules: binary garbage, an empty file, a 50 MB file, deep nesting, and an
// alias bomb.
func Hostile() []Mutation {
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.IntN(256))
	}
	big := bytes.Repeat([]byte("static_resources: {clusters: [{name: x}]}\n# padding to 50 MB\n"), 50<<20/60)
	deep := "node:\n  metadata:\n    x: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n"
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	for c := 'b'; c <= 'k'; c++ {
		p := string(c - 1)
		bomb += fmt.Sprintf("%c: &%c [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", c, c, p, p, p, p, p, p, p, p, p)
	}
	bomb += "node: {metadata: {x: *k}}\n"
	return []Mutation{
		{Kind: "binary garbage", Name: "binary garbage", Data: garbage},
		{Kind: "empty file", Name: "empty file", Data: nil},
		{Kind: "50 MB file", Name: "50 MB file", Data: big},
		{Kind: "deeply nested YAML", Name: "deeply nested YAML", Data: []byte(deep)},
		{Kind: "alias bomb", Name: "alias bomb", Data: []byte(bomb)},
	}
}

func replaceFirst(text, pattern, repl string) []byte {
	re := regexp.MustCompile(pattern)
	loc := re.FindStringSubmatchIndex(text)
	if loc == nil {
		return nil
	}
	var dst []byte
	dst = re.ExpandString(dst, repl, text, loc)
	return []byte(text[:loc[0]] + string(dst) + text[loc[1]:])
}

// typoInType swaps two letters in the message name of the first @type.
func typoInType(text string) []byte {
	loc := regexp.MustCompile(`type\.googleapis\.com/[\w.]*\.([A-Z]\w{3,})`).FindStringSubmatchIndex(text)
	if loc == nil {
		return nil
	}
	i := loc[2] + 1 // swap the 2nd and 3rd letters of the message name
	b := []byte(text)
	if b[i] == b[i+1] {
		i++
	}
	b[i], b[i+1] = b[i+1], b[i]
	return b
}

// tabIndent indents a key line of the top-level mapping's first block with a
// tab, which YAML forbids.
func tabIndent(text string) []byte {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  ") && strings.Contains(l, ":") && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines[i] = "\t" + strings.TrimLeft(l, " ")
			return []byte(strings.Join(lines, "\n"))
		}
	}
	return nil
}

// truncateInFlow cuts the file right after the first flow collection or
// quoted string opens, as an interrupted write would.
func truncateInFlow(text string) []byte {
	if i := strings.IndexAny(text, "{[\""); i >= 0 {
		return []byte(text[:i+1])
	}
	return nil
}

// editTree applies edit to the YAML node tree and renders it again.
func editTree(valid []byte, edit func(root *yaml.Node) bool) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(valid, &doc) != nil || len(doc.Content) == 0 || !edit(doc.Content[0]) {
		return nil
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil
	}
	return out
}

func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func duplicateFirst(section, list string) func(*yaml.Node) bool {
	return func(root *yaml.Node) bool {
		seq := child(child(root, section), list)
		if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) == 0 || child(seq.Content[0], "name") == nil {
			return false
		}
		seq.Content = append(seq.Content, seq.Content[0])
		return true
	}
}

func deleteKeyInFirst(section, list, key string) func(*yaml.Node) bool {
	return func(root *yaml.Node) bool {
		seq := child(child(root, section), list)
		if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) == 0 {
			return false
		}
		return deleteKey(seq.Content[0], key)
	}
}

func deleteKey(m *yaml.Node, key string) bool {
	if m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return true
		}
	}
	return false
}

// deleteFirstKey removes the first occurrence of key anywhere in the tree.
func deleteFirstKey(key string) func(*yaml.Node) bool {
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if deleteKey(n, key) {
			return true
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk
}
