package lsp

import (
	"sort"
	"strings"
	"sync"

	"go.lsp.dev/protocol"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// complete offers, at p: the fields of the message at the cursor (inside
// a typed_config, of its @type), or for a key's value its enum values,
// @type URLs (the field's extension category first), filter names or the
// document's cluster names. Inside a flow mapping ({...}) on the cursor's
// line, its keys lead on from the line's.
func complete(d *snapshot, p protocol.Position) *protocol.CompletionList {
	lines := strings.Split(d.text, "\n")
	if int(p.Line) >= len(lines) {
		return nil
	}
	l := strings.TrimRight(lines[p.Line], "\r")
	pre := l[:byteOfRuneCol(l, runeColOf(l, p.Character))]
	y := parseLine(pre)
	dash := -1
	if len(y.dashes) > 0 {
		dash = y.dashes[len(y.dashes)-1]
	}
	frames := enclosing(lines, int(p.Line), y.keyCol, dash)
	keys, present, valueKey, _, inFlow := flowAt(pre[min(y.keyCol, len(pre)):])
	for _, k := range keys {
		frames = append(frames, frame{key: k, line: int(p.Line), col: y.keyCol})
	}
	sc, ok := resolve(lines, frames)
	if !ok {
		return nil
	}
	var items []protocol.CompletionItem
	switch {
	case inFlow && valueKey != "":
		items = values(sc, valueKey, d.clusters)
	case inFlow:
		items = fieldItems(sc, present)
	case y.hasColon:
		items = values(sc, y.key, d.clusters)
	default:
		items = fieldItems(sc, siblingKeys(lines, int(p.Line), y.keyCol))
	}
	if items == nil {
		return nil
	}
	return &protocol.CompletionList{Items: items}
}

func fieldItems(sc scope, present map[string]bool) []protocol.CompletionItem {
	var items []protocol.CompletionItem
	if sc.anyField != nil && sc.msg.FullName() == anyName || sc.typeURL != "" {
		if !present["@type"] {
			items = append(items, protocol.CompletionItem{Label: "@type", Kind: protocol.CompletionItemKindProperty,
				InsertText: `"@type": `, SortText: "0", Detail: "the type of this typed_config"})
		}
		if sc.msg.FullName() == anyName {
			return items
		}
	}
	if strings.HasPrefix(string(sc.msg.FullName()), "google.protobuf.") {
		return items // written as scalars in YAML
	}
	oneofTaken := map[protoreflect.FullName]bool{}
	fs := sc.msg.Fields()
	for i := range fs.Len() {
		fd := fs.Get(i)
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() && (present[string(fd.Name())] || present[fd.JSONName()]) {
			oneofTaken[o.FullName()] = true
		}
	}
	for i := range fs.Len() {
		fd := fs.Get(i)
		name := string(fd.Name())
		if present[name] || present[fd.JSONName()] {
			continue
		}
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() && oneofTaken[o.FullName()] {
			continue
		}
		it := protocol.CompletionItem{
			Label: name, Kind: protocol.CompletionItemKindField, Detail: typeName(fd),
			InsertText: name + ": ", SortText: "1" + name,
			Documentation: protocol.MarkupContent{Kind: protocol.Markdown, Value: fieldDoc(fd)},
		}
		if deprecated(fd) {
			it.Tags, it.SortText = []protocol.CompletionItemTag{protocol.CompletionItemTagDeprecated}, "9"+name
		}
		items = append(items, it)
	}
	return items
}

func values(sc scope, key string, clusters []string) []protocol.CompletionItem {
	if key == "@type" {
		return typeItems(loadDocs().Categories[string(sc.anyField.FullName())])
	}
	fd := field(sc.msg, key)
	if fd == nil {
		return nil
	}
	var items []protocol.CompletionItem
	add := func(label string, kind protocol.CompletionItemKind, detail string) {
		items = append(items, protocol.CompletionItem{Label: label, Kind: kind, Detail: detail})
	}
	msg := string(sc.msg.FullName())
	switch {
	case fd.Enum() != nil:
		vs := fd.Enum().Values()
		for i := range vs.Len() {
			add(string(vs.Get(i).Name()), protocol.CompletionItemKindEnumMember, string(fd.Enum().FullName()))
		}
	case fd.Kind() == protoreflect.BoolKind || fd.Message() != nil && fd.Message().FullName() == "google.protobuf.BoolValue":
		add("true", protocol.CompletionItemKindValue, "")
		add("false", protocol.CompletionItemKindValue, "")
	case key == "name" && filterKinds[msg] != "":
		for _, n := range filterNames(filterKinds[msg]) {
			add(n, protocol.CompletionItemKindModule, "filter")
		}
	case fd.Kind() == protoreflect.StringKind && (key == "cluster" || key == "cluster_name" ||
		key == "name" && msg == "envoy.config.route.v3.WeightedCluster.ClusterWeight"):
		for _, c := range clusters {
			add(c, protocol.CompletionItemKindReference, "cluster")
		}
	}
	return items
}

// filterKinds are the messages whose name is a filter's, and the
// extension package of their filters.
var filterKinds = map[string]string{
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter": "envoy.extensions.filters.http.",
	"envoy.config.listener.v3.Filter":                                        "envoy.extensions.filters.network.",
	"envoy.config.listener.v3.ListenerFilter":                                "envoy.extensions.filters.listener.",
	"envoy.extensions.filters.network.thrift_proxy.v3.ThriftFilter":          "envoy.extensions.filters.network.thrift_proxy.filters.",
}

// filterNames are the canonical names of the filters in an extension
// package: envoy.extensions.filters.http.router.v3 is envoy.filters.http.router.
func filterNames(pkgPrefix string) []string {
	seen := map[string]bool{}
	var names []string
	for _, t := range typeNames() {
		rest, ok := strings.CutPrefix(t, pkgPrefix)
		if !ok {
			continue
		}
		parts := strings.Split(rest, ".")
		if len(parts) < 3 { // name, version, message
			continue
		}
		n := strings.Replace(pkgPrefix, "envoy.extensions.", "envoy.", 1) + strings.Join(parts[:len(parts)-2], ".")
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}

// typeNames are the top-level messages of the registry, sorted.
var typeNames = sync.OnceValue(func() []string {
	var names []string
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		md := mt.Descriptor()
		if _, nested := md.Parent().(protoreflect.MessageDescriptor); !nested && !strings.HasPrefix(string(md.FullName()), "google.") {
			names = append(names, string(md.FullName()))
		}
		return true
	})
	sort.Strings(names)
	return names
})

// typeItems are @type URLs, those of the extension category first.
func typeItems(category string) []protocol.CompletionItem {
	prefix := ""
	if category != "" {
		prefix = strings.Replace(category, "envoy.", "envoy.extensions.", 1) + "."
	}
	items := make([]protocol.CompletionItem, 0, len(typeNames()))
	for _, n := range typeNames() {
		sort := "2"
		if prefix != "" && strings.HasPrefix(n, prefix) {
			sort = "0"
		}
		url := "type.googleapis.com/" + n
		items = append(items, protocol.CompletionItem{Label: url, Kind: protocol.CompletionItemKindClass, SortText: sort + n, FilterText: url})
	}
	return items
}
