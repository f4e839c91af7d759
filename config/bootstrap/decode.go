package bootstrap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/internal/suggest"
)

// decoder turns a yaml.v3 node tree into proto messages field by field, so
// that every field, list element and Any payload keeps its line and column.
// It reports every problem it meets rather than stopping at the first, and
// hands the load-time rules the tree it built (rules.go).
type decoder struct {
	*sink
	*tree
	// budget bounds the nodes visited, so alias bombs cannot blow up memory.
	budget int
	over   bool
	// dupWarned holds the keys already warned about as duplicates, since an
	// aliased mapping is visited once per alias.
	dupWarned map[*yaml.Node]bool

	// ctx, when it can end, is checked every so many nodes; cancelled
	// says it ended, and over is set with it to stop the decoding.
	ctx       context.Context
	cancelled bool
	// workers is how many goroutines may decode a long list of messages
	// (1 or less: one); a worker's own decoder has none.
	workers int

	// The long lists' elements kept between versions (elemcache.go):
	// prevElems, read only, are the version before's; nextElems, when not
	// nil, collects this version's, from each worker's kept; anyLog lists
	// the Any payloads in the order they were decoded.
	prevElems map[*yaml.Node]*decodedElement
	nextElems map[*yaml.Node]*decodedElement
	kept      []*decodedElement
	anyLog    []anyPayload
	adopted   int // the elements taken from prevElems
}

func newDecoder(file string, dataLen int, strict bool) *decoder {
	return &decoder{
		sink: &sink{file: file, strict: strict},
		tree: &tree{
			// Sized for a message every 64 bytes (a dense bootstrap has one
			// every 45), so that the index seldom grows.
			byMsg: make(map[proto.Message]*decodedMessage, dataLen/64),
			anys:  make(map[*anypb.Any]*decodedMessage),
		},
		dupWarned: make(map[*yaml.Node]bool),
		budget:    4*dataLen + 100_000,
	}
}

// rules are the load-time rules over what the decoder built, reporting to
// the same list.
func (d *decoder) rules() *rules { return &rules{sink: d.sink, tree: d.tree} }

// resolve follows aliases and charges the visit against the budget.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.budget--
	if d.budget&1023 == 0 && d.ctx != nil && !d.over && d.ctx.Err() != nil {
		d.over, d.cancelled = true, true
	}
	if d.budget < 0 && !d.over {
		d.over = true
		d.errorf(n, "", "document is too large once its aliases are expanded (an alias bomb?)")
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// decodeMessage decodes node n into m. at is where problems with the message
// as a whole are reported (its key in the parent, usually).
func (d *decoder) decodeMessage(n *yaml.Node, m protoreflect.Message, path string, at *yaml.Node, parent *decodedMessage) {
	n = d.resolve(n)
	if d.over || isNull(n) {
		return
	}
	full := m.Descriptor().FullName()
	if isWellKnown(full) {
		if n.Kind == yaml.MappingNode && hasObjectForm(full) {
			// parser.cc:1317, ParseMessage: with an object coming, the legacy
			// parser reads a ListValue, wrapper, Timestamp, Duration or
			// FieldMask field by field: {seconds: 1, nanos: 500000000}.
			d.note(n, path, "%s: %s written as its fields; Envoy accepts it (protobuf's legacy JSON parsing), the canonical form is %s", fieldName(path), full, canonicalForm(full))
			entry := d.record(m, path, at, parent)
			d.decodeFields(d.pairs(n), m, entry)
			if full == "google.protobuf.Duration" {
				d.checkDuration(n, m, path)
			}
			return
		}
		if n.Kind == yaml.SequenceNode && full != "google.protobuf.ListValue" && full != "google.protobuf.Value" {
			d.errorf(n, path, "%s: expected %s for %s, got a list", fieldName(path), canonicalForm(full), full)
			return
		}
		if full == "google.protobuf.BoolValue" && n.Kind == yaml.ScalarNode {
			// parser.cc, TYPE_BOOL, kStr: a wrapper's value is parsed like a
			// bool field, so the legacy parser reads a quoted "true", "yes" or
			// "1" with absl::SimpleAtob; the 1.40.0 binary accepts
			// `use_remote_address: "yes"` and refuses `use_remote_address: 1`.
			if v := typeScalar(n); v.kind == jsonString {
				if b, ok := simpleAtob(v.text); ok {
					d.note(n, path, "%s: a quoted bool; Envoy accepts it (protobuf's legacy JSON parsing), the canonical form is %t", fieldName(path), b)
					m.Set(m.Descriptor().Fields().ByName("value"), protoreflect.ValueOfBool(b))
					return
				}
			}
		}
		if fd := m.Descriptor().Fields().ByName("value"); fd != nil && n.Kind == yaml.ScalarNode && isIntWrapper(full) {
			// A quoted number in an integer wrapper is parsed as in an integer
			// field ("0x64" is hexadecimal, "010" decimal: quotedHex), not by
			// Go's protojson, which refuses both.
			if v := typeScalar(n); v.kind == jsonString {
				if val, ok := d.scalarValue(fd, v, n, path); ok {
					m.Set(fd, val)
				}
				return
			}
		}
		if full == "google.protobuf.Duration" && n.Kind == yaml.ScalarNode && strings.HasPrefix(strings.TrimPrefix(n.Value, "-"), ".") {
			// protobuf's C++ parser wants a digit before the point; Go's does not.
			d.errorf(n, path, "%s: invalid google.protobuf.Duration value %q (a digit must come before the point)", fieldName(path), n.Value)
			return
		}
		d.decodeWellKnown(n, m, path)
		if full == "google.protobuf.Duration" {
			d.checkDuration(n, m, path)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "%s: expected a mapping for %s, got %s", fieldName(path), full, kindName(n))
		return
	}
	if full == "google.protobuf.Any" {
		d.decodeAny(n, m, path, at, parent)
		return
	}
	ps := d.pairs(n)
	entry := d.recordSized(m, path, at, parent, len(ps))
	d.decodeFields(ps, m, entry)
	if full == "xds.type.v3.TypedStruct" || full == "udpa.type.v1.TypedStruct" {
		d.decodeTypedStruct(entry)
	}
}

func (d *decoder) record(m protoreflect.Message, path string, at *yaml.Node, parent *decodedMessage) *decodedMessage {
	return d.recordSized(m, path, at, parent, 0)
}

// recordSized is record with room for the fields of a mapping of size
// entries, so that the map does not grow as they are decoded.
func (d *decoder) recordSized(m protoreflect.Message, path string, at *yaml.Node, parent *decodedMessage, size int) *decodedMessage {
	entry := &decodedMessage{msg: m, path: path, at: at, parent: parent, fields: make(map[protoreflect.Name]fieldNodes, size)}
	d.messages = append(d.messages, entry)
	if d.byMsg != nil { // a worker's messages are indexed when they are merged
		d.byMsg[m.Interface()] = entry
	}
	return entry
}

// decodeFields sets m's fields from the mapping entries ps.
func (d *decoder) decodeFields(ps []pair, m protoreflect.Message, entry *decodedMessage) {
	desc := m.Descriptor()
	fields := desc.Fields()
	// The oneofs set so far: a message has few, so a slice beats a map.
	type oneofSet struct {
		oneof protoreflect.OneofDescriptor
		by    protoreflect.Name
	}
	var oneofSetBy []oneofSet
	for _, p := range ps {
		if d.over {
			return
		}
		key := p.key.Value
		fd := fields.ByName(protoreflect.Name(key))
		if fd == nil {
			fd = fields.ByJSONName(key)
		}
		if fd == nil {
			d.unknownField(p.key, joinPath(entry.path, key), key, entry)
			continue
		}
		if prev, dup := entry.fields[fd.Name()]; dup {
			// The same field under both spellings (connect_timeout and
			// connectTimeout): the legacy parser accepts a field set twice
			// outside a oneof (parser.cc, ParseField); the later value is kept.
			d.report(SeverityWarning, prev.key, joinPath(entry.path, string(fd.Name())), "duplicate field %q (again at line %d as %q): Envoy uses the later one", fd.Name(), p.key.Line, key)
			m.Clear(fd)
		}
		value := d.resolve(p.value)
		entry.fields[fd.Name()] = fieldNodes{key: p.key, value: value}
		if oo := fd.ContainingOneof(); oo != nil && !oo.IsSynthetic() && !isNull(value) {
			i := slices.IndexFunc(oneofSetBy, func(s oneofSet) bool { return s.oneof == oo })
			if i >= 0 {
				d.errorf(p.key, joinPath(entry.path, string(fd.Name())), "%s and %s are both set, but only one of oneof %s may be", oneofSetBy[i].by, fd.Name(), oo.Name())
				continue
			}
			oneofSetBy = append(oneofSetBy, oneofSet{oo, fd.Name()})
		}
		before := len(d.diags)
		if isScalarField(fd) {
			// Most scalars are fine: their path is only built for a
			// problem (the paths were a seventh of Load's allocations).
			d.decodeField(m, fd, value, "", p.key, entry)
			d.setPaths(before, entry.path, fd.Name())
		} else {
			d.decodeField(m, fd, value, joinPath(entry.path, string(fd.Name())), p.key, entry)
		}
		if HasErrors(d.diags[before:]) {
			entry.markFailed(fd)
		}
	}
}

// isScalarField reports a field decodeField decodes with scalar alone,
// which uses its path for nothing but the diagnostics' Path.
func isScalarField(fd protoreflect.FieldDescriptor) bool {
	return !fd.IsList() && !fd.IsMap() && fd.Message() == nil
}

// setPaths gives the diagnostics from index before on, reported with no
// path, the path of field name of the message at parent.
func (d *decoder) setPaths(before int, parent string, name protoreflect.Name) {
	if len(d.diags) == before {
		return
	}
	path := joinPath(parent, string(name))
	for i := before; i < len(d.diags); i++ {
		d.diags[i].Path = path
	}
}

func (m *decodedMessage) markFailed(fd protoreflect.FieldDescriptor) {
	if m.failed == nil {
		m.failed = make(map[protoreflect.Name]bool)
	}
	m.failed[fd.Name()] = true
	if oo := fd.ContainingOneof(); oo != nil {
		m.failed[oo.Name()] = true
	}
}

func (d *decoder) unknownField(key *yaml.Node, path, name string, entry *decodedMessage) {
	desc := entry.msg.Descriptor()
	fields := desc.Fields()
	names := make([]string, 0, fields.Len())
	for i := range fields.Len() {
		names = append(names, string(fields.Get(i).Name()))
	}
	msg := fmt.Sprintf("unknown field %q in %s", name, desc.FullName())
	if name == "<<" {
		// yaml-cpp, Envoy's YAML reader, has no merge keys (yaml_utility.cc,
		// parseYamlNode copies "<<" as a key).
		d.errorf(key, path, "%s: Envoy's YAML reader (yaml-cpp) does not expand merge keys; repeat the fields, or use an alias of the whole mapping", msg)
		return
	}
	if s := suggest.Closest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
		// The typo is the one diagnostic: no "stat_prefix is required" after it.
		if fd := fields.ByName(protoreflect.Name(s)); fd != nil {
			entry.markFailed(fd)
		}
	}
	d.errorf(key, path, "%s", msg)
}

func (d *decoder) decodeField(m protoreflect.Message, fd protoreflect.FieldDescriptor, v *yaml.Node, path string, key *yaml.Node, entry *decodedMessage) {
	if isNull(v) {
		return
	}
	switch {
	case fd.IsList():
		elements := v.Content
		if v.Kind != yaml.SequenceNode {
			// parser.cc:1285, ParseField: "The original ESF parser permits a
			// single element in place of an array thereof."
			d.note(v, path, "%s: a single value where a list goes; Envoy accepts it (protobuf's legacy JSON parsing), the canonical form is a list", fd.Name())
			elements = []*yaml.Node{v}
		}
		next := 0
		d.appendElements(m.Mutable(fd).List(), fd, elements, path, entry, &next)
	case fd.IsMap():
		if v.Kind != yaml.MappingNode {
			d.errorf(v, path, "%s: expected a mapping, got %s", fd.Name(), kindName(v))
			return
		}
		mp := m.Mutable(fd).Map()
		for _, p := range d.pairs(v) {
			elPath := path + "[" + p.key.Value + "]"
			mk, ok := d.mapKey(fd.MapKey(), p.key, elPath)
			if !ok {
				continue
			}
			if fd.MapValue().Message() != nil {
				val := mp.NewValue()
				d.decodeMessage(p.value, val.Message(), elPath, p.key, entry)
				mp.Set(mk.MapKey(), val)
			} else if val, ok := d.scalar(fd.MapValue(), d.resolve(p.value), elPath); ok {
				mp.Set(mk.MapKey(), val)
			}
		}
	case fd.Message() != nil:
		d.decodeMessage(v, m.Mutable(fd).Message(), path, key, entry)
	default:
		if val, ok := d.scalar(fd, v, path); ok {
			m.Set(fd, val)
		}
	}
}

func fieldName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	if path == "" {
		return "bootstrap"
	}
	return path
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func isIntWrapper(name protoreflect.FullName) bool {
	switch name {
	case "google.protobuf.Int32Value", "google.protobuf.Int64Value", "google.protobuf.UInt32Value", "google.protobuf.UInt64Value":
		return true
	}
	return false
}

// checkDuration mirrors MessageUtil::validateDurationFields
// (source/common/protobuf/utility.cc), which Envoy runs over every Duration
// of the bootstrap: the 1.40.0 binary refuses a negative timeout anywhere
// ("Invalid duration: Expected positive duration").
func (d *decoder) checkDuration(n *yaml.Node, m protoreflect.Message, path string) {
	fields := m.Descriptor().Fields()
	secs, nanos := m.Get(fields.ByName("seconds")).Int(), m.Get(fields.ByName("nanos")).Int()
	if secs < 0 || nanos < 0 {
		d.errorf(n, path, "%s: Invalid duration: Expected positive duration", fieldName(path))
	}
}
