package lsp

import (
	"regexp"
	"strconv"
	"strings"

	"go.lsp.dev/protocol"
	"gopkg.in/yaml.v3"
)

// clusterRef is one place a cluster name is written: its definition
// (static_resources.clusters[].name) or a use.
type clusterRef struct {
	name string
	node *yaml.Node
	def  bool
}

// clusterRefs reads every cluster definition and use of a document that
// parses: route and tcp_proxy `cluster`, weighted clusters' `name`,
// ClusterLoadAssignment's `cluster_name`.
func clusterRefs(text string) []clusterRef {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil || len(root.Content) == 0 {
		return nil
	}
	var refs []clusterRef
	doc := root.Content[0]
	if cs := lookup(lookup(doc, "static_resources"), "clusters"); cs != nil && cs.Kind == yaml.SequenceNode {
		for _, c := range cs.Content {
			if n := lookup(c, "name"); n != nil && n.Kind == yaml.ScalarNode {
				refs = append(refs, clusterRef{name: n.Value, node: n, def: true})
			}
		}
	}
	var walk func(n *yaml.Node, weighted bool)
	walk = func(n *yaml.Node, weighted bool) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if v.Kind == yaml.ScalarNode && (k == "cluster" || k == "cluster_name" || weighted && k == "name") {
					refs = append(refs, clusterRef{name: v.Value, node: v})
				}
				if k == "weighted_clusters" {
					walk(v, false)
					if cs := lookup(v, "clusters"); cs != nil {
						for _, c := range cs.Content {
							walk(c, true)
						}
					}
					continue
				}
				if v.Kind != yaml.ScalarNode {
					walk(v, false)
				}
			}
		case yaml.SequenceNode, yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, false)
			}
		}
	}
	walk(doc, false)
	return refs
}

// lookup is a mapping's value for key, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// at is the reference whose scalar holds the position.
func at(text string, refs []clusterRef, p protocol.Position) *clusterRef {
	l := lineAt(text, int(p.Line))
	col := runeColOf(l, p.Character)
	for i, r := range refs {
		if r.node.Line != int(p.Line)+1 {
			continue
		}
		end := r.node.Column + len([]rune(r.name))
		if r.node.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			end += 2
		}
		if col >= r.node.Column && col <= end {
			return &refs[i]
		}
	}
	return nil
}

func location(d *snapshot, r clusterRef) protocol.Location {
	return protocol.Location{URI: d.uri, Range: tokenRange(d.text, r.node.Line, r.node.Column)}
}

// definition goes from a use of a cluster to its definition.
func definition(d *snapshot, p protocol.Position) []protocol.Location {
	refs := clusterRefs(d.text)
	r := at(d.text, refs, p)
	if r == nil {
		return nil
	}
	var out []protocol.Location
	for _, x := range refs {
		if x.def && x.name == r.name {
			out = append(out, location(d, x))
		}
	}
	return out
}

// references lists the uses of the cluster at p (named at its definition
// or at a use).
func references(d *snapshot, p protocol.Position, withDecl bool) []protocol.Location {
	refs := clusterRefs(d.text)
	r := at(d.text, refs, p)
	if r == nil {
		return nil
	}
	out := []protocol.Location{}
	for _, x := range refs {
		if x.name == r.name && (!x.def || withDecl) {
			out = append(out, location(d, x))
		}
	}
	return out
}

var didYouMean = regexp.MustCompile(`did you mean ("(?:[^"\\]|\\.)*"|[^\s?]+)\?`)

// codeActions offer each did-you-mean of the diagnostics in the request
// as a quick fix that writes the suggestion over the token.
func codeActions(d *snapshot, p protocol.CodeActionParams) []protocol.CodeAction {
	out := []protocol.CodeAction{}
	for _, diag := range p.Context.Diagnostics {
		m := didYouMean.FindStringSubmatch(diag.Message)
		if m == nil {
			continue
		}
		s := m[1]
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
		r := diag.Range
		// Inside quotes, the text between them is replaced.
		l := lineAt(d.text, int(r.Start.Line))
		if tok := sliceUTF16(l, r.Start.Character, r.End.Character); len(tok) >= 2 && (tok[0] == '"' || tok[0] == '\'') && tok[len(tok)-1] == tok[0] {
			r.Start.Character++
			r.End.Character--
		}
		out = append(out, protocol.CodeAction{
			Title:       "Change to " + strconv.Quote(s),
			Kind:        protocol.QuickFix,
			Diagnostics: []protocol.Diagnostic{diag},
			IsPreferred: true,
			Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{
				d.uri: {{Range: r, NewText: s}},
			}},
		})
	}
	return out
}

// sliceUTF16 is line between two UTF-16 offsets.
func sliceUTF16(line string, from, to uint32) string {
	a := byteOfRuneCol(line, runeColOf(line, from))
	b := byteOfRuneCol(line, runeColOf(line, to))
	if a > b || b > len(line) {
		return ""
	}
	return strings.Clone(line[a:b])
}
