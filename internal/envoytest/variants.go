package envoytest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Variants, unlike Mutate's mutations, are not known to be invalid: each
// kind aims at a place where a reader of YAML and protobuf can differ from
// Envoy, and the real Envoy says whether the variant is valid. They are for
// the differential harness (internal/fidelity).

// VariantKind is one kind of variant: Make derives a variant of a valid
// bootstrap with r choosing the spot and the form, or returns nil when the
// bootstrap has no spot for the kind.
type VariantKind struct {
	Name string
	Make func(valid []byte, r *rand.Rand) []byte
}

// VariantKinds lists every kind, in a fixed order.
func VariantKinds() []VariantKind { return variantKinds }

// Variant derives one variant of kind k (an index into VariantKinds).
func Variant(k int, valid []byte, r *rand.Rand) []byte {
	return variantKinds[k].Make(valid, r)
}

var variantKinds = []VariantKind{
	{"int field: quoted", scalarKind(isIntScalar, func(r *rand.Rand, v string) form { return quoted(v) })},
	{"int field: float forms", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain(v+".0"), plain(v+".5"), plain(v+"e0"), quoted(v+".0"), plain(v+"0e-1"))
	})},
	{"int field: hex, octal, sign", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		var n int
		fmt.Sscan(v, &n)
		return pickForm(r, plain(fmt.Sprintf("0x%X", n)), plain(fmt.Sprintf("0%o", n)), plain("+"+v), plain("-"+v), quoted(fmt.Sprintf("0x%x", n)), plain("0"+v), plain(v+"_0"))
	})},
	{"int field: range", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("0"), plain("-1"), plain("65535"), plain("65536"), plain("2147483648"), plain("4294967296"), quoted("4294967296"), plain("99999999999999999999"))
	})},
	{"int field: words", scalarKind(isIntScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("on"), plain("yes"), plain("true"), quoted(""), plain("~"), plain("abc"), quoted(v+" "), quoted(" "+v))
	})},
	{"bool field: forms", scalarKind(isBoolScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("yes"), plain("no"), plain("on"), plain("Off"), plain("Y"), plain("n"), plain("TRUE"), plain("True"), plain("tRUE"),
			quoted("true"), quoted("yes"), quoted("1"), quoted("t"), quoted("maybe"), plain("1"), plain("0"))
	})},
	{"enum field: forms", scalarKind(isEnumScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain(strings.ToLower(v)), plain(titleCase(v)), quoted(v), plain("0"), plain("1"), plain("99"), quoted("1"), plain(v+"S"), plain(strings.ReplaceAll(v, "_", "")))
	})},
	{"duration field: forms", scalarKind(isDurationScalar, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("1"), plain("1.5"), quoted("1"), plain("1000ms"), plain("1.5s"), plain("-1s"), plain("0s"), plain(".5s"), plain("1e3s"),
			plain("1m"), plain("315576000001s"), plain("0.000000001s"), plain("1.0000000001s"), quoted(v+" "), mapping("seconds", "1", "nanos", "5"), mapping("seconds", "1"), mapping("nanos", "-5"))
	})},
	{"string field: unquoted scalars", scalarKind(isStringField, func(r *rand.Rand, v string) form {
		return pickForm(r, plain("15"), plain("1.5"), plain("1.50"), plain("1e3"), plain("0x10"), plain(".inf"), plain("-1.5"), plain("on"), plain("Yes"), plain("n"),
			plain("~"), plain("null"), plain("2147483648"), plain("017"), plain("1_000"), plain("08"))
	})},
	{"string field: quoted forms", scalarKind(isStringField, func(r *rand.Rand, v string) form {
		return pickForm(r, quoted(""), quoted(" "), quoted(v+"\t"), quoted(strings.Repeat("x", 300)), quoted("15"), quoted("true"), single(v), literal(v))
	})},
	{"wrapper field: forms", insertKind(clusterMappings, func(r *rand.Rand) (string, form) {
		k := pickString(r, "per_connection_buffer_limit_bytes", "max_requests_per_connection")
		return k, pickForm(r, plain("1024"), quoted("1024"), plain("1024.0"), plain("1.5"), plain("-1"), plain("4294967296"), quoted("x"), mapping("value", "1024"), mapping("value", "\"1024\""), plain("true"), plain("0x400"))
	})},
	{"BoolValue field: forms", insertKind(typedConfigOf("HttpConnectionManager"), func(r *rand.Rand) (string, form) {
		k := pickString(r, "use_remote_address", "generate_request_id", "normalize_path")
		return k, pickForm(r, plain("true"), plain("yes"), plain("on"), quoted("true"), quoted("yes"), quoted("1"), quoted("f"), quoted("nope"), plain("1"), plain("0"), mapping("value", "true"), mapping("value", "\"true\""))
	})},
	{"float field: forms", insertKind(clusterMappings, func(r *rand.Rand) (string, form) {
		v := pickString(r, "50", "50.5", "\"50\"", ".inf", "101", "-1", "1e2", "1e1", "0x10", ".nan", "\"Infinity\"", "yes")
		return "common_lb_config", mappingForm(fmt.Sprintf("{healthy_panic_threshold: {value: %s}}", v))
	})},
	{"PGV bounds", scalarKind(isPGVSpot, func(r *rand.Rand, v string) form {
		return pickForm(r, quoted(""), plain("0"), plain("65536"), plain("0s"), plain("-1s"), quoted(strings.Repeat("a", 256)))
	})},
	{"oneof set twice", oneofTwice},
	{"unknown field in typed_config", unknownInTypedConfig},
	{"@type typos", typeTypo},
	{"TypedStruct", typedStructWrap},
	{"filter order", filterOrder},
	{"regex", regexVariant},
	{"IP literals", scalarKind(keyIs("address"), func(r *rand.Rand, v string) form {
		return pickForm(r, plain("localhost"), plain("::1"), quoted("::"), plain("127.1"), plain("1.2.3.4.5"), quoted("[::1]"), plain("fe80::1%lo"), plain("0.0.0.0"), plain("::ffff:127.0.0.1"), plain("127.0.0.01"), plain("example.com"), quoted(" 127.0.0.1"))
	})},
	{"cluster references", scalarKind(keyIs("cluster"), func(r *rand.Rand, v string) form {
		return pickForm(r, plain(strings.ToUpper(v)), plain(v+"_x"), plain(v+" "), quoted(v), quoted(""), plain(v[:len(v)-1]))
	})},
	{"runtime layers", runtimeLayers},
	{"anchors and aliases", anchorAlias},
	{"merge keys", mergeKey},
	{"!ignore", ignoreTag},
	{"duplicate keys", duplicateKey},
	{"indentation slips", indentSlip},
	{"syntax errors", syntaxError},
	{"camelCase keys", camelKey},
	{"single value for a list", singleForList},
	{"null values", nullValue},
	{"key deleted", keyDeleted},
	{"duplicate names", duplicateNames},
	{"Any without @type", anyWithoutType},
	{"bootstrap-level fields", bootstrapLevel},
	{"header names", insertKind(rootMapping, func(r *rand.Rand) (string, form) {
		n := pickString(r, "x-foo", "X-Foo", "\"\"", "\":path\"", "\"foo bar\"", "host", "cookie", "x_foo")
		t := pickString(r, "REQUEST_HEADER", "RESPONSE_TRAILER", "request_header", "BOGUS")
		return "inline_headers", mappingForm(fmt.Sprintf("[{inline_header_name: %s, inline_header_type: %s}]", n, t))
	})},
}
