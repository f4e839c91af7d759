package bootstrap

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/internal/suggest"
)

// scalar converts a YAML scalar to a value of fd's kind the way the proto3
// JSON mapping does (numbers may be quoted, enums are names or numbers).
func (d *decoder) scalar(fd protoreflect.FieldDescriptor, n *yaml.Node, path string) (protoreflect.Value, bool) {
	name := fd.Name()
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "%s: expected a %s value, got %s", name, kindWord(fd), kindName(n))
		return protoreflect.Value{}, false
	}
	tag, s := n.ShortTag(), n.Value
	bad := func() (protoreflect.Value, bool) {
		d.errorf(n, path, "%s: invalid value for %s field: %q", name, kindWord(fd), s)
		return protoreflect.Value{}, false
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if tag != "!!bool" {
			return bad()
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfBool(b), true
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		i, ok := parseInt(tag, s, 32)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfInt32(int32(i)), true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		i, ok := parseInt(tag, s, 64)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfInt64(i), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		u, ok := parseUint(tag, s, 32)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfUint32(uint32(u)), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		u, ok := parseUint(tag, s, 64)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfUint64(u), true
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f, ok := parseFloat(tag, s)
		if !ok {
			return bad()
		}
		if fd.Kind() == protoreflect.FloatKind {
			if !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
				return bad()
			}
			return protoreflect.ValueOfFloat32(float32(f)), true
		}
		return protoreflect.ValueOfFloat64(f), true
	case protoreflect.StringKind:
		if !utf8.ValidString(s) {
			d.errorf(n, path, "%s: string is not valid UTF-8", name)
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfString(s), true
	case protoreflect.BytesKind:
		b, ok := decodeBase64(s)
		if !ok {
			d.errorf(n, path, "%s: invalid base64 for bytes field: %q", name, s)
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfBytes(b), true
	case protoreflect.EnumKind:
		return d.enum(fd, n, path)
	}
	return bad()
}

func (d *decoder) enum(fd protoreflect.FieldDescriptor, n *yaml.Node, path string) (protoreflect.Value, bool) {
	values := fd.Enum().Values()
	if n.ShortTag() == "!!int" {
		if i, ok := parseInt("!!int", n.Value, 32); ok {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(i)), true
		}
	}
	if v := values.ByName(protoreflect.Name(n.Value)); v != nil {
		return protoreflect.ValueOfEnum(v.Number()), true
	}
	// Envoy parses enum names case-insensitively (round_robin is ROUND_ROBIN).
	if v := values.ByName(protoreflect.Name(strings.ToUpper(n.Value))); v != nil {
		return protoreflect.ValueOfEnum(v.Number()), true
	}
	names := make([]string, values.Len())
	for i := range values.Len() {
		names[i] = string(values.Get(i).Name())
	}
	msg := strings.Builder{}
	msg.WriteString(string(fd.Name()) + ": unknown value " + strconv.Quote(n.Value) + " for enum " + string(fd.Enum().FullName()))
	if s := suggest.Closest(n.Value, names); s != "" {
		msg.WriteString("; did you mean " + strconv.Quote(s) + "?")
	} else if len(names) <= 8 {
		msg.WriteString(" (one of " + strings.Join(names, ", ") + ")")
	}
	d.errorf(n, path, "%s", msg.String())
	return protoreflect.Value{}, false
}

func kindWord(fd protoreflect.FieldDescriptor) string {
	if fd.Kind() == protoreflect.EnumKind {
		return "enum " + string(fd.Enum().FullName())
	}
	return fd.Kind().String()
}

// numberLike reports whether a scalar with this tag may stand for a number:
// plain numbers, and strings, since the JSON mapping accepts quoted numbers.
func numberLike(tag string) bool {
	return tag == "!!int" || tag == "!!float" || tag == "!!str"
}

func parseInt(tag, s string, bits int) (int64, bool) {
	if !numberLike(tag) {
		return 0, false
	}
	if i, err := strconv.ParseInt(stripBase(s), baseOf(s), bits); err == nil {
		return i, true
	}
	// The JSON mapping accepts integral floats such as 1e3.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < -math.Ldexp(1, bits-1) || f >= math.Ldexp(1, bits-1) {
		return 0, false
	}
	return int64(f), true
}

func parseUint(tag, s string, bits int) (uint64, bool) {
	if !numberLike(tag) {
		return 0, false
	}
	if u, err := strconv.ParseUint(stripBase(s), baseOf(s), bits); err == nil {
		return u, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f >= math.Ldexp(1, bits) {
		return 0, false
	}
	return uint64(f), true
}

// baseOf and stripBase read YAML 1.2's 0x and 0o prefixes; a leading zero
// alone does not mean octal in YAML 1.2.
func baseOf(s string) int {
	switch {
	case strings.HasPrefix(s, "0x"):
		return 16
	case strings.HasPrefix(s, "0o"):
		return 8
	}
	return 10
}

func stripBase(s string) string {
	if baseOf(s) != 10 {
		return s[2:]
	}
	return s
}

func parseFloat(tag, s string) (float64, bool) {
	if !numberLike(tag) {
		return 0, false
	}
	switch s {
	case ".inf", ".Inf", ".INF", "+.inf", "Infinity":
		return math.Inf(1), true
	case "-.inf", "-.Inf", "-.INF", "-Infinity":
		return math.Inf(-1), true
	case ".nan", ".NaN", ".NAN", "NaN":
		return math.NaN(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// isWellKnown lists the types whose JSON form is special (a string for
// Duration, a bare value for wrappers, free-form JSON for Struct); they are
// handed to protojson whole instead of being decoded field by field.
func isWellKnown(name protoreflect.FullName) bool {
	switch name {
	case "google.protobuf.Duration", "google.protobuf.Timestamp", "google.protobuf.FieldMask",
		"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Empty",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
		"google.protobuf.Int32Value", "google.protobuf.Int64Value", "google.protobuf.UInt32Value",
		"google.protobuf.UInt64Value", "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
		return true
	}
	return false
}

var protoErrNoise = regexp.MustCompile(`^proto:[\s\x{00a0}]*|\(line \d+:\d+\):[\s\x{00a0}]*`)

func (d *decoder) decodeWellKnown(n *yaml.Node, m protoreflect.Message, path string) {
	var buf bytes.Buffer
	d.nodeJSON(&buf, n)
	if d.over {
		return
	}
	if err := protojson.Unmarshal(buf.Bytes(), m.Interface()); err != nil {
		msg := protoErrNoise.ReplaceAllString(err.Error(), "")
		d.errorf(n, path, "%s: %s", fieldName(path), msg)
	}
}

// nodeJSON writes n as JSON, typing scalars by their YAML 1.2 tags.
func (d *decoder) nodeJSON(buf *bytes.Buffer, n *yaml.Node) {
	n = d.resolve(n)
	if d.over || n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i, p := range d.pairs(n) {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, p.key.Value)
			buf.WriteByte(':')
			d.nodeJSON(buf, p.value)
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, el := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			d.nodeJSON(buf, el)
		}
		buf.WriteByte(']')
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.nodeJSON(buf, n.Content[0])
		}
	default:
		writeScalarJSON(buf, n)
	}
}

func writeScalarJSON(buf *bytes.Buffer, n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		if b, err := strconv.ParseBool(n.Value); err == nil {
			buf.WriteString(strconv.FormatBool(b))
			return
		}
		writeJSONString(buf, n.Value)
	case "!!int":
		if i, err := strconv.ParseInt(stripBase(n.Value), baseOf(n.Value), 64); err == nil {
			buf.WriteString(strconv.FormatInt(i, 10))
			return
		}
		writeJSONString(buf, n.Value)
	case "!!float":
		f, ok := parseFloat("!!float", n.Value)
		switch {
		case ok && math.IsInf(f, 1):
			buf.WriteString(`"Infinity"`)
		case ok && math.IsInf(f, -1):
			buf.WriteString(`"-Infinity"`)
		case ok && math.IsNaN(f):
			buf.WriteString(`"NaN"`)
		case ok:
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		default:
			writeJSONString(buf, n.Value)
		}
	default:
		writeJSONString(buf, n.Value)
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // marshalling a string cannot fail
	buf.Write(b)
}
