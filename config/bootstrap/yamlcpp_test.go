package bootstrap

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"gopkg.in/yaml.v3"
)

// TestTypeScalar pins each rule of parseYamlNode (Envoy's
// source/common/protobuf/yaml_utility.cc) and of the yaml-cpp conversions
// it calls.
func TestTypeScalar(t *testing.T) {
	tests := []struct {
		yaml string
		kind jsonKind
		text string // string value, or JSON spelling of a number
		b    bool
	}{
		// convert<bool>: y/n, yes/no, true/false, on/off in three casings.
		{"y", jsonBool, "", true}, {"Y", jsonBool, "", true}, {"n", jsonBool, "", false},
		{"yes", jsonBool, "", true}, {"Yes", jsonBool, "", true}, {"YES", jsonBool, "", true},
		{"on", jsonBool, "", true}, {"OFF", jsonBool, "", false}, {"False", jsonBool, "", false},
		{"yEs", jsonString, "yEs", false}, {"oN", jsonString, "oN", false},
		// Tag "!" (quoted, block scalars): a string whatever it holds.
		{`"yes"`, jsonString, "yes", false}, {"'8080'", jsonString, "8080", false},
		{"|\n  12\n", jsonString, "12\n", false},
		// convert<int64_t>: base from the prefix, int32 range → number.
		{"8080", jsonNumber, "8080", false}, {"0x1F90", jsonNumber, "8080", false},
		{"017620", jsonNumber, "8080", false}, {"-12", jsonNumber, "-12", false}, {"+7", jsonNumber, "7", false},
		{"2147483647", jsonNumber, "2147483647", false},
		// Beyond int32: the decimal digits as a string.
		{"2147483648", jsonString, "2147483648", false}, {"0x100000000", jsonString, "4294967296", false},
		// Floats stay strings as written (Envoy 1.40 has no double branch).
		{"1.5", jsonString, "1.5", false}, {"1.50", jsonString, "1.50", false}, {"1e3", jsonString, "1e3", false},
		{"08", jsonString, "08", false}, {"-1.5", jsonString, "-1.5", false},
		{".inf", jsonString, ".inf", false}, {"-.inf", jsonString, "-.inf", false}, {".nan", jsonString, ".nan", false},
		// Anything else is a string.
		{"1s", jsonString, "1s", false}, {"0x", jsonString, "0x", false}, {"1_000", jsonString, "1_000", false},
		{"inf", jsonString, "inf", false}, {"0x1p3", jsonString, "0x1p3", false},
		// Null.
		{"~", jsonNull, "", false}, {"null", jsonNull, "", false}, {"NULL", jsonNull, "", false},
	}
	for _, tt := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte("v: "+tt.yaml), &doc); err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		got := typeScalar(doc.Content[0].Content[1])
		if got.kind != tt.kind || (tt.kind == jsonBool && got.b != tt.b) || (tt.kind != jsonBool && tt.kind != jsonNull && got.text != tt.text) {
			t.Errorf("%q: got %+v, want kind %d text %q bool %v", tt.yaml, got, tt.kind, tt.text, tt.b)
		}
	}
}

// TestStructValuesTypedAsEnvoy checks free-form Struct values (metadata,
// TypedStruct payloads) get the same typing: Envoy sees on as true.
func TestStructValuesTypedAsEnvoy(t *testing.T) {
	res := Load("m.yaml", []byte(`node:
  metadata: {a: on, b: "on", c: 0x10, d: 4294967296, e: 1.5, f: ~}
static_resources: {}
`), Options{})
	if !res.Valid() {
		t.Fatal(res.Diagnostics)
	}
	got := res.Bootstrap.GetNode().GetMetadata().AsMap()
	want := map[string]any{"a": true, "b": "on", "c": 16.0, "d": "4294967296", "e": "1.5", "f": nil}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %#v, want %#v", k, got[k], v)
		}
	}
}

// TestObjectFormsOfWellKnownTypes mirrors parser.cc's ParseMessage: with an
// object coming, the legacy parser reads ListValue, Timestamp, Duration and
// wrappers field by field.
func TestObjectFormsOfWellKnownTypes(t *testing.T) {
	tests := []struct {
		yaml string
		msg  proto.Message
		want proto.Message
	}{
		{"{seconds: 1, nanos: 500000000}", &durationpb.Duration{}, &durationpb.Duration{Seconds: 1, Nanos: 500000000}},
		{"{seconds: 1700000000}", &timestamppb.Timestamp{}, &timestamppb.Timestamp{Seconds: 1700000000}},
		{"{value: 32768}", &wrapperspb.UInt32Value{}, wrapperspb.UInt32(32768)},
		{"{value: yes}", &wrapperspb.BoolValue{}, wrapperspb.Bool(true)},
		{"{values: [1, a]}", &structpb.ListValue{}, &structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(1), structpb.NewStringValue("a")}}},
	}
	for _, tt := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
			t.Fatal(err)
		}
		d := newDecoder("w.yaml", len(tt.yaml), true)
		d.decodeMessage(doc.Content[0], tt.msg.ProtoReflect(), "f", doc.Content[0], nil)
		if HasErrors(d.diags) || !proto.Equal(tt.msg, tt.want) {
			t.Errorf("%s: got %v (%v), want %v", tt.yaml, tt.msg, d.diags, tt.want)
		}
		if len(d.diags) != 1 || d.diags[0].Severity != SeverityNote {
			t.Errorf("%s: want one note in strict mode, got %v", tt.yaml, d.diags)
		}
	}
}

// TestQuotedHexIntegers: protobuf reads a quoted 0x number as hexadecimal
// (the 1.40.0 binary: port_value "0x10" is 16, "0x10000" is over 65535), a
// leading zero as decimal, and refuses a sign before the 0x.
func TestQuotedHexIntegers(t *testing.T) {
	for _, tt := range []struct {
		v     string
		valid bool
	}{{`"0x10"`, true}, {`"0X1f90"`, true}, {`"010"`, true}, {`"0x10000"`, false}, {`"-0x1"`, false}, {`"0x"`, false}} {
		doc := "static_resources:\n  clusters:\n  - name: c\n    type: STATIC\n    load_assignment:\n      cluster_name: c\n      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: " + tt.v + "}}}}]}]\n    per_connection_buffer_limit_bytes: " + tt.v + "\n"
		if res := Load("h.yaml", []byte(doc), Options{}); res.Valid() != tt.valid {
			t.Errorf("%s: valid = %v, want %v (%v)", tt.v, res.Valid(), tt.valid, res.Diagnostics)
		}
	}
}
