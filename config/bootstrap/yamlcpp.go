package bootstrap

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// jsonKind is the JSON type Envoy gives a YAML scalar before protobuf sees it.
type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
)

// envoyScalar is a YAML scalar as Envoy types it: Envoy never reads YAML into
// a message directly; it builds a google.protobuf.Value with yaml-cpp
// (parseYamlNode in source/common/protobuf/yaml_utility.cc, formerly
// utility.cc), prints it as JSON and parses that JSON into the message. So
// `exact: 6514` reaches protobuf as the JSON number 6514, which a string
// field refuses, while `port_value: "8080"` reaches it as a string, which an
// integer field accepts.
type envoyScalar struct {
	kind jsonKind
	b    bool
	num  float64
	// text is the string value, or the JSON spelling of a number.
	text string
}

// typeScalar types a plain or quoted YAML scalar the way parseYamlNode does
// in Envoy 1.40 (source/common/protobuf/yaml_utility.cc, parseYamlNode; the
// double branch was removed after envoyproxy/envoy#24410, and the 1.40.0
// binary keeps `name: 1.50` as the string "1.50"):
//  1. yaml-cpp's Null (plain ~, null, Null, NULL or nothing) is null;
//  2. a scalar yaml-cpp tags "!" (quoted, literal, folded, or an explicit !)
//     is a string;
//  3. what YAML::convert<bool> decodes is a bool;
//  4. what YAML::convert<int64_t> decodes is a number when it fits int32,
//     otherwise its decimal digits as a string (the JSON mapping takes
//     quoted integers, and 64-bit values would lose precision as doubles);
//  5. anything else, floats included, is the string as written: `1.5`,
//     `1e3` and `.inf` reach protobuf as "1.5", "1e3" and ".inf", which a
//     string field takes as they are and a float field parses (the JSON
//     mapping accepts quoted numbers).
func typeScalar(n *yaml.Node) envoyScalar {
	s := n.Value
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 || n.Tag == "!" {
		return envoyScalar{kind: jsonString, text: s}
	}
	switch s {
	case "", "~", "null", "Null", "NULL":
		return envoyScalar{kind: jsonNull}
	}
	if b, ok := cppBool(s); ok {
		return envoyScalar{kind: jsonBool, b: b}
	}
	if i, ok := cppInt64(s); ok {
		if i >= math.MinInt32 && i <= math.MaxInt32 {
			text := s
			if s[0] == '+' || s[0] == '0' || (len(s) > 1 && s[0] == '-' && s[1] == '0') || strings.TrimRight(s, " \t\n\r\f\v") != s {
				// Not plain decimal (octal, hex, a sign, blanks): spell it out.
				text = strconv.FormatInt(i, 10)
			}
			return envoyScalar{kind: jsonNumber, num: float64(i), text: text}
		}
		return envoyScalar{kind: jsonString, text: strconv.FormatInt(i, 10)}
	}
	return envoyScalar{kind: jsonString, text: s}
}

// cppBool mirrors yaml-cpp's convert<bool>::decode (src/convert.cpp): the
// words y/n, yes/no, true/false, on/off, all lower case, all upper case, or
// capitalised ("Yes", "YES", "yes" but not "yEs").
func cppBool(s string) (bool, bool) {
	if len(s) == 0 || len(s) > 5 || !flexibleCase(s) {
		return false, false
	}
	for _, w := range [...]struct {
		word  string
		value bool
	}{{"y", true}, {"n", false}, {"yes", true}, {"no", false}, {"true", true}, {"false", false}, {"on", true}, {"off", false}} {
		if strings.EqualFold(s, w.word) {
			return w.value, true
		}
	}
	return false, false
}

// flexibleCase is yaml-cpp's IsFlexibleCase: all lower case, or a capital
// followed by all lower or all upper case.
func flexibleCase(s string) bool {
	lower, upper := true, true
	for i := 1; i < len(s); i++ {
		c := s[i]
		lower = lower && !(c >= 'A' && c <= 'Z')
		upper = upper && !(c >= 'a' && c <= 'z')
	}
	if s[0] >= 'A' && s[0] <= 'Z' {
		return lower || upper
	}
	return lower
}

// cppInt64 mirrors yaml-cpp's convert<int64_t>::decode: an istream with the
// base flags cleared, so 0x.. is hex and a leading 0 octal (as strtoll with
// base 0); no leading blanks, trailing blanks allowed, overflow fails.
func cppInt64(s string) (int64, bool) {
	s = strings.TrimRight(s, " \t\n\r\f\v")
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	base := 10
	switch {
	case len(body) > 2 && (body[:2] == "0x" || body[:2] == "0X"):
		base, body = 16, body[2:]
	case len(body) > 1 && body[0] == '0':
		base, body = 8, body[1:]
	}
	if body == "" || !allDigits(body, base) {
		// Checked first: most scalars are words, and a failed ParseUint
		// allocates its error.
		return 0, false
	}
	u, err := strconv.ParseUint(body, base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

func allDigits(s string, base int) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '7':
		case c <= '9' && c >= '0':
			if base == 8 {
				return false
			}
		case base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		default:
			return false
		}
	}
	return true
}

// simpleAtob mirrors absl::SimpleAtob, which protobuf's legacy JSON parser
// uses for a bool field given a string (json/internal/parser.cc, the kStr
// case of TYPE_BOOL under allow_legacy_nonconformant_behavior).
func simpleAtob(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}
