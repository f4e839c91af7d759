package bootstrap

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/internal/suggest"
)

// scalar converts a YAML scalar to a value of fd's kind as Envoy does: first
// typed by yaml-cpp (typeScalar), then parsed by protobuf's JSON parser with
// its legacy leniencies (json/internal/parser.cc, ParseSingular and friends).
func (d *decoder) scalar(fd protoreflect.FieldDescriptor, n *yaml.Node, path string) (protoreflect.Value, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "%s: expected a %s value, got %s", fd.Name(), kindWord(fd), kindName(n))
		return protoreflect.Value{}, false
	}
	return d.scalarValue(fd, typeScalar(n), n, path)
}

// mapKey converts a map key: yaml-cpp reads every mapping key as a string
// (it.first.as<std::string>() in parseYamlNode), and protobuf parses map keys
// of other kinds from that string.
func (d *decoder) mapKey(fd protoreflect.FieldDescriptor, n *yaml.Node, path string) (protoreflect.Value, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "%s: expected a %s map key, got %s", fd.Name(), kindWord(fd), kindName(n))
		return protoreflect.Value{}, false
	}
	return d.scalarValue(fd, envoyScalar{kind: jsonString, text: n.Value}, n, path)
}

func (d *decoder) scalarValue(fd protoreflect.FieldDescriptor, v envoyScalar, n *yaml.Node, path string) (protoreflect.Value, bool) {
	name := fd.Name()
	s := v.text
	bad := func() (protoreflect.Value, bool) {
		d.errorf(n, path, "%s: invalid value for %s field: %q", name, kindWord(fd), n.Value)
		return protoreflect.Value{}, false
	}
	if v.kind == jsonBool && fd.Kind() != protoreflect.BoolKind {
		return d.mistyped(fd, v, n, path)
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		switch v.kind {
		case jsonNumber:
			return d.mistyped(fd, v, n, path)
		case jsonBool:
			return protoreflect.ValueOfBool(v.b), true
		case jsonString:
			// parser.cc:475, TYPE_BOOL, kStr: the legacy parser reads a string with
			// absl::SimpleAtob ("true", "yes", "1", "f" ...).
			if b, ok := simpleAtob(s); ok {
				d.note(n, path, "%s: a quoted bool; Envoy accepts it (protobuf's legacy JSON parsing), the canonical form is %t", name, b)
				return protoreflect.ValueOfBool(b), true
			}
		}
		return bad()
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		i, ok := parseInt(v, 32)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfInt32(int32(i)), true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		i, ok := parseInt(v, 64)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfInt64(i), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		u, ok := parseUint(v, 32)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfUint32(uint32(u)), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		u, ok := parseUint(v, 64)
		if !ok {
			return bad()
		}
		return protoreflect.ValueOfUint64(u), true
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f, ok := parseFloat(v)
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
		if v.kind != jsonString {
			return d.mistyped(fd, v, n, path)
		}
		if !utf8.ValidString(s) {
			d.errorf(n, path, "%s: string is not valid UTF-8", name)
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfString(s), true
	case protoreflect.BytesKind:
		if v.kind != jsonString {
			return d.mistyped(fd, v, n, path)
		}
		b, ok := decodeBase64(s)
		if !ok {
			d.errorf(n, path, "%s: invalid base64 for bytes field: %q", name, s)
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfBytes(b), true
	case protoreflect.EnumKind:
		return d.enum(fd, v, n, path)
	}
	return bad()
}

// mistyped reports a scalar that yaml-cpp typed as a bool or a number where
// protobuf wants something else. Envoy fails with "invalid value 6514 for
// type TYPE_STRING"; say that, and how to write what was meant.
func (d *decoder) mistyped(fd protoreflect.FieldDescriptor, v envoyScalar, n *yaml.Node, path string) (protoreflect.Value, bool) {
	word, shown := "number", v.text
	if v.kind == jsonBool {
		word, shown = "bool", strconv.FormatBool(v.b)
	}
	fix := "quote it: " + strconv.Quote(n.Value)
	// Quoting is the fix for strings, and for enums, whose names may be
	// yaml-cpp bools (an unquoted OFF reaches protobuf as false).
	if k := fd.Kind(); k != protoreflect.StringKind && k != protoreflect.BytesKind && k != protoreflect.EnumKind {
		fix = "write " + kindArticle(fd)
	}
	want := kindWord(fd)
	if strings.HasPrefix(want, "enum") || strings.HasPrefix(want, "int") { // a uint32, an int32
		want = "an " + want
	} else {
		want = "a " + want
	}
	d.errorf(n, path, "%s: the unquoted %s is a %s to Envoy, not %s (invalid value %s for type TYPE_%s); %s",
		fd.Name(), n.Value, word, want, shown, strings.ToUpper(fd.Kind().String()), fix)
	return protoreflect.Value{}, false
}

func kindArticle(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return "true or false"
	}
	return "a number"
}

func (d *decoder) enum(fd protoreflect.FieldDescriptor, v envoyScalar, n *yaml.Node, path string) (protoreflect.Value, bool) {
	values := fd.Enum().Values()
	if v.kind == jsonNumber {
		if i, ok := parseInt(v, 32); ok {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(i)), true
		}
	}
	if ev := values.ByName(protoreflect.Name(v.text)); ev != nil {
		return protoreflect.ValueOfEnum(ev.Number()), true
	}
	// Envoy sets case_insensitive_enum_parsing (loadFromJsonNoThrow in
	// yaml_utility.cc): round_robin is ROUND_ROBIN.
	if ev := values.ByName(protoreflect.Name(strings.ToUpper(v.text))); ev != nil {
		return protoreflect.ValueOfEnum(ev.Number()), true
	}
	// ParseEnumFromStr (parser.cc) then tries the string as a number.
	if v.kind == jsonString {
		if i, err := strconv.ParseInt(v.text, 10, 32); err == nil {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(i)), true
		}
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

// parseInt reads an integer as protobuf's ParseIntInner (parser.cc) does: a
// JSON number, or a string of decimal digits (absl::SimpleAtoi, no blanks),
// either of them also an integral float such as 1e3 (ParseFloatStringAsInt).
func parseInt(v envoyScalar, bits int) (int64, bool) {
	if u, ok := quotedHex(v, bits-1); ok {
		return int64(u), true
	}
	if !numeric(v) {
		return 0, false
	}
	if i, err := strconv.ParseInt(v.text, 10, bits); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(v.text, 64)
	if err != nil || f != math.Trunc(f) || f < -math.Ldexp(1, bits-1) || f >= math.Ldexp(1, bits-1) {
		return 0, false
	}
	return int64(f), true
}

func parseUint(v envoyScalar, bits int) (uint64, bool) {
	if u, ok := quotedHex(v, bits); ok {
		return u, true
	}
	if !numeric(v) {
		return 0, false
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(v.text, "+"), 10, bits); err == nil {
		return u, true
	}
	f, err := strconv.ParseFloat(v.text, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f >= math.Ldexp(1, bits) {
		return 0, false
	}
	return uint64(f), true
}

// quotedHex reads a quoted "0x1f90": protobuf's integer parsing of a string
// takes a 0x prefix as hexadecimal (the 1.40.0 binary accepts
// port_value: "0x10" as 16 and refuses "0x10000" as over 65535), without a
// sign or blanks; a leading 0 stays decimal ("010" is 10).
func quotedHex(v envoyScalar, bits int) (uint64, bool) {
	if v.kind != jsonString || len(v.text) < 3 || v.text[0] != '0' || (v.text[1] != 'x' && v.text[1] != 'X') {
		return 0, false
	}
	u, err := strconv.ParseUint(v.text[2:], 16, bits)
	return u, err == nil && !strings.ContainsAny(v.text[2:], "+-_")
}

// numeric reports whether v may stand for a number: a JSON number, or a
// string without blanks (the JSON mapping accepts quoted numbers; protobuf
// refuses blanks inside them, "non-number characters in quoted number").
func numeric(v envoyScalar) bool {
	switch v.kind {
	case jsonNumber:
		return true
	case jsonString:
		return v.text != "" && strings.IndexFunc(v.text, unicode.IsSpace) < 0 &&
			!strings.ContainsAny(v.text, "_xXpP") && !strings.EqualFold(strings.TrimLeft(v.text, "+-"), "inf") &&
			!strings.EqualFold(strings.TrimLeft(v.text, "+-"), "infinity") && !strings.EqualFold(v.text, "nan")
	}
	return false
}

// parseFloat reads a float or double: a JSON number, a numeric string, or
// the strings "NaN", "Infinity" and "-Infinity" of the JSON mapping (which is
// what parseYamlNode makes of YAML's .nan and .inf).
func parseFloat(v envoyScalar) (float64, bool) {
	if v.kind == jsonString {
		switch v.text {
		case "Infinity":
			return math.Inf(1), true
		case "-Infinity":
			return math.Inf(-1), true
		case "NaN":
			return math.NaN(), true
		}
	}
	if !numeric(v) {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.text, 64)
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
