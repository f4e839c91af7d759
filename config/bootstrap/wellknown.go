package bootstrap

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"
)

// Well-known types (Duration, Struct, the wrappers…): written in their
// JSON form, handed to protojson whole rather than decoded field by field.

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

// hasObjectForm lists the well-known types protobuf's legacy JSON parser also
// reads as a plain object of their fields (parser.cc, ParseMessage).
func hasObjectForm(name protoreflect.FullName) bool {
	switch name {
	case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.Empty":
		return false
	}
	return true
}

func canonicalForm(name protoreflect.FullName) string {
	switch name {
	case "google.protobuf.Duration":
		return `a string such as "1.5s"`
	case "google.protobuf.Timestamp":
		return `an RFC 3339 string such as "2026-01-01T00:00:00Z"`
	case "google.protobuf.FieldMask":
		return `a string of comma-separated paths`
	case "google.protobuf.ListValue":
		return "a list"
	}
	return "the bare value"
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

// writeScalarJSON writes n as the JSON Envoy would make of it (typeScalar).
func writeScalarJSON(buf *bytes.Buffer, n *yaml.Node) {
	v := typeScalar(n)
	switch v.kind {
	case jsonNull:
		buf.WriteString("null")
	case jsonBool:
		buf.WriteString(strconv.FormatBool(v.b))
	case jsonNumber:
		buf.WriteString(v.text)
	default:
		writeJSONString(buf, v.text)
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // marshalling a string cannot fail
	buf.Write(b)
}
