package lsp

//go:generate go run ./internal/gendocs -o docs.json.gz

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/envoyproxy/protoc-gen-validate/validate"
	"go.lsp.dev/protocol"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// docsGz is the hover index written by internal/gendocs from the pinned
// go-control-plane module's doc comments.
//
//go:embed docs.json.gz
var docsGz []byte

type docIndex struct {
	Version    string            `json:"version"`
	Docs       map[string]string `json:"docs"`
	Categories map[string]string `json:"categories"`
}

var loadDocs = sync.OnceValue(func() *docIndex {
	idx := &docIndex{}
	zr, err := gzip.NewReader(bytes.NewReader(docsGz))
	if err == nil {
		err = json.NewDecoder(zr).Decode(idx)
	}
	if err != nil {
		panic(fmt.Sprintf("lsp: embedded docs index: %v", err)) // a build defect, caught by every test
	}
	return idx
})

// cursor is what is under a position: a key, or a key's value.
type cursor struct {
	lines   []string
	line    int
	y       yline
	onValue bool
	sc      scope
	ok      bool // sc resolved
}

func cursorAt(text string, p protocol.Position) *cursor {
	lines := strings.Split(text, "\n")
	if int(p.Line) >= len(lines) {
		return nil
	}
	l := strings.TrimRight(lines[p.Line], "\r")
	c := &cursor{lines: lines, line: int(p.Line), y: parseLine(l)}
	if c.y.blank || c.y.key == "" {
		return nil
	}
	b := byteOfRuneCol(l, runeColOf(l, p.Character))
	keyEnd := tokenEnd(l, c.y.keyCol)
	c.onValue = c.y.hasColon && b > keyEnd
	dash := -1
	if len(c.y.dashes) > 0 {
		dash = c.y.dashes[len(c.y.dashes)-1]
	}
	c.sc, c.ok = resolve(lines, enclosing(lines, c.line, c.y.keyCol, dash))
	return c
}

func hover(d *snapshot, p protocol.Position) *protocol.Hover {
	c := cursorAt(d.text, p)
	if c == nil || !c.ok {
		return nil
	}
	if fd := flowField(c, p); fd != nil {
		return markdownHover(fieldDoc(fd))
	}
	if c.y.key == "@type" {
		md := lookupType(c.y.value)
		if md == nil {
			return nil
		}
		return markdownHover(messageDoc(md))
	}
	fd := field(c.sc.msg, c.y.key)
	if fd == nil {
		return nil
	}
	return markdownHover(fieldDoc(fd))
}

// flowField is the field under the cursor inside a flow mapping on its
// line ({address: a, port_value: 1}): the key there, or the key of the
// value there.
func flowField(c *cursor, p protocol.Position) protoreflect.FieldDescriptor {
	l := strings.TrimRight(c.lines[c.line], "\r")
	b := byteOfRuneCol(l, runeColOf(l, p.Character))
	start := b
	for start > c.y.keyCol && !strings.ContainsRune(" {[,", rune(l[start-1])) {
		start--
	}
	end := tokenEnd(l, start)
	if b > end || start <= c.y.keyCol {
		return nil
	}
	keys, _, valueKey, partial, ok := flowAt(l[c.y.keyCol:end])
	if !ok {
		return nil
	}
	dash := -1
	if len(c.y.dashes) > 0 {
		dash = c.y.dashes[len(c.y.dashes)-1]
	}
	frames := enclosing(c.lines, c.line, c.y.keyCol, dash)
	for _, k := range keys {
		frames = append(frames, frame{key: k, line: c.line, col: c.y.keyCol})
	}
	sc, ok := resolve(c.lines, frames)
	if !ok {
		return nil
	}
	name := partial
	if valueKey != "" {
		name = valueKey
	}
	return field(sc.msg, name)
}

func markdownHover(s string) *protocol.Hover {
	return &protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.Markdown, Value: s}}
}

func messageDoc(md protoreflect.MessageDescriptor) string {
	idx := loadDocs()
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n", md.FullName())
	if doc := idx.Docs[string(md.FullName())]; doc != "" {
		b.WriteString(doc + "\n\n")
	}
	fmt.Fprintf(&b, "[envoyproxy.io](%s)", docsLink(md.ParentFile().Path(), "envoy_v3_api_msg_"+strings.TrimPrefix(string(md.FullName()), "envoy.")))
	return b.String()
}

// fieldDoc is a field's hover: its type, documentation, validation rules
// and deprecation, and a link to that version's docs.
func fieldDoc(fd protoreflect.FieldDescriptor) string {
	idx := loadDocs()
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** `%s`", fd.Name(), typeName(fd))
	if fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic() {
		fmt.Fprintf(&b, " (one of `%s`)", fd.ContainingOneof().Name())
	}
	b.WriteString("\n\n")
	if deprecated(fd) {
		b.WriteString("**Deprecated.**\n\n")
	}
	if doc := idx.Docs[string(fd.FullName())]; doc != "" {
		b.WriteString(doc + "\n\n")
	}
	if r := rules(fd); r != "" {
		fmt.Fprintf(&b, "Validation: `%s`\n\n", r)
	}
	if fd.Enum() != nil {
		var vals []string
		for i := range fd.Enum().Values().Len() {
			vals = append(vals, "`"+string(fd.Enum().Values().Get(i).Name())+"`")
		}
		fmt.Fprintf(&b, "Values: %s\n\n", strings.Join(vals, ", "))
	}
	parent := strings.TrimPrefix(string(fd.Parent().FullName()), "envoy.")
	fmt.Fprintf(&b, "[envoyproxy.io](%s)", docsLink(fd.ParentFile().Path(), "envoy_v3_api_field_"+parent+"."+string(fd.Name())))
	return b.String()
}

func docsLink(protoFile, label string) string {
	return "https://www.envoyproxy.io/docs/envoy/" + loadDocs().Version + "/api-v3/" + strings.TrimPrefix(protoFile, "envoy/") +
		"#" + strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(label))
}

func typeName(fd protoreflect.FieldDescriptor) string {
	var t string
	switch {
	case fd.IsMap():
		return "map<" + kindName(fd.MapKey()) + ", " + kindName(fd.MapValue()) + ">"
	default:
		t = kindName(fd)
	}
	if fd.IsList() {
		t = "repeated " + t
	}
	return t
}

func kindName(fd protoreflect.FieldDescriptor) string {
	switch {
	case fd.Message() != nil:
		return string(fd.Message().FullName())
	case fd.Enum() != nil:
		return string(fd.Enum().FullName())
	}
	return fd.Kind().String()
}

func deprecated(fd protoreflect.FieldDescriptor) bool {
	o, ok := fd.Options().(*descriptorpb.FieldOptions)
	return ok && o.GetDeprecated()
}

// rules are the field's PGV rules in text form.
func rules(fd protoreflect.FieldDescriptor) string {
	o, ok := fd.Options().(*descriptorpb.FieldOptions)
	if !ok || o == nil || !proto.HasExtension(o, validate.E_Rules) {
		return ""
	}
	r, _ := proto.GetExtension(o, validate.E_Rules).(*validate.FieldRules)
	if r == nil {
		return ""
	}
	return strings.TrimSpace(prototext.MarshalOptions{}.Format(r))
}
