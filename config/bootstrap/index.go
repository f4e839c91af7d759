package bootstrap

import (
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"
)

// Pos is a place in a bootstrap: 1-based line and column (in characters,
// as yaml.v3 counts them).
type Pos struct{ Line, Col int }

// IndexedField is one decoded field (or list element) and where it is
// written: its path, as diagnostics and Envoy's messages spell it
// (static_resources.clusters[2].name), its key's position (zero for a list
// element) and its value's.
type IndexedField struct {
	Path       string
	Key, Value Pos
	// At is where a message about the field reads best: a scalar's value,
	// else the key (as Locate places it).
	At Pos
}

// Index is where each decoded field of a bootstrap is written: every
// message and every field set in one (not inside Struct values nor map
// values that are not messages). Load records the positions once from
// what it decoded, so its callers (check --envoy placing Envoy's verdict,
// the language server) read them without parsing the YAML again (when
// Options.Index asks: nobody else pays for it); the
// paths and the look-up by path are made on first use, so a Load nobody
// asks costs a slice.
type Index struct {
	recorded []recorded
	once     sync.Once
	fields   []IndexedField // in document order
	byPath   map[string]int // folded path → index in fields
}

// recorded is a field as Load records it: its path is made later, and its
// positions are kept small (a 2,000-cluster bootstrap has 40,000 fields).
type recorded struct {
	msgPath        string
	name           protoreflect.Name // "" for the message itself
	key, value, at pos32
}

type pos32 struct{ line, col int32 }

func (p pos32) pos() Pos { return Pos{int(p.line), int(p.col)} }

func posOf(n *yaml.Node) pos32 {
	if n == nil || n.Line == 0 {
		return pos32{}
	}
	return pos32{int32(n.Line), int32(n.Column)}
}

// newIndex reads the tree the decoder built.
func newIndex(t *tree) *Index {
	n := 0
	for _, m := range t.messages {
		n += 1 + len(m.fields)
	}
	x := &Index{recorded: make([]recorded, 0, n)}
	for _, m := range t.messages {
		if m.path != "" && m.at != nil {
			x.recorded = append(x.recorded, recorded{msgPath: m.path, value: posOf(m.at), at: posOf(m.at)})
		}
		for name, f := range m.fields {
			at := f.key
			if f.value != nil && f.value.Kind == yaml.ScalarNode {
				at = f.value
			}
			x.recorded = append(x.recorded, recorded{msgPath: m.path, name: name, key: posOf(f.key), value: posOf(f.value), at: posOf(at)})
		}
	}
	return x
}

// build makes the paths and the look-up, once.
func (x *Index) build() {
	x.once.Do(func() {
		x.byPath = make(map[string]int, len(x.recorded))
		x.fields = make([]IndexedField, 0, len(x.recorded))
		for _, r := range x.recorded {
			path := r.msgPath
			if r.name != "" {
				path = joinPath(r.msgPath, string(r.name))
			}
			if _, seen := x.byPath[foldPath(path)]; seen {
				continue // a message and its field in the parent name one node
			}
			x.byPath[foldPath(path)] = 0
			x.fields = append(x.fields, IndexedField{Path: path, Key: r.key.pos(), Value: r.value.pos(), At: r.at.pos()})
		}
		x.recorded = nil
		sort.SliceStable(x.fields, func(i, j int) bool { return x.fields[i].start().before(x.fields[j].start()) })
		for i, f := range x.fields {
			x.byPath[foldPath(f.Path)] = i
		}
	})
}

// Fields are every indexed field, in document order.
func (x *Index) Fields() []IndexedField {
	if x == nil {
		return nil
	}
	x.build()
	return x.fields
}

// Locate finds where a field path is written (At). Keys match in snake_case or
// camelCase. When the whole path is not indexed, the deepest indexed field
// above it is returned with ok false (a message about a field left at its
// default points at the message that lacks it).
func (x *Index) Locate(path string) (p Pos, ok bool) {
	if x == nil {
		return Pos{1, 1}, false
	}
	x.build()
	for exact := true; path != ""; exact = false {
		if i, found := x.byPath[foldPath(path)]; found {
			return x.fields[i].At, exact
		}
		path = parentPath(path)
	}
	return Pos{1, 1}, false
}

// start is where a field is best pointed at: its key, or its value.
func (f IndexedField) start() Pos {
	if f.Key.Line > 0 {
		return f.Key
	}
	return f.Value
}

func (p Pos) before(q Pos) bool { return p.Line < q.Line || p.Line == q.Line && p.Col < q.Col }

// parentPath drops a path's last step: a.b[2].c → a.b[2] → a.b → a.
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i > 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexAny(path, ".["); i > 0 {
		return path[:i]
	}
	return ""
}

// foldPath folds each step's name as fold does (port_value ~ portValue),
// leaving what is inside brackets (indexes, map keys) as it is.
func foldPath(path string) string {
	var b strings.Builder
	b.Grow(len(path))
	depth := 0
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0 && c == '_':
			continue
		case depth == 0 && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
