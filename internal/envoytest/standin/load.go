package standin

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"
)

// loadBootstrap is phase 1, as Envoy's InstanceUtil::loadBootstrapConfig
// (source/server/server.cc) runs it: the file, then --config-yaml merged
// over it, then the constraints of the merged result. It returns the
// exception text Envoy would stop with, or "".
func loadBootstrap(path, overlayYAML string) (*bootstrapv3.Bootstrap, string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Sprintf("unable to read file: %s", path)
	}
	boot := &bootstrapv3.Bootstrap{}
	if what := loadFromYAML(data, boot); what != "" {
		return nil, what
	}
	if overlayYAML != "" {
		overlay := &bootstrapv3.Bootstrap{}
		if what := loadFromYAML([]byte(overlayYAML), overlay); what != "" {
			return nil, what
		}
		// bootstrap.MergeFrom(bootstrap_override): scalars replace, lists append.
		proto.Merge(boot, overlay)
	}
	if what := validate(boot); what != "" {
		return nil, what
	}
	return boot, ""
}

// loadFromYAML is MessageUtil::loadFromYaml (source/common/protobuf/
// yaml_utility.cc and utility.cc): YAML to JSON, then JSON to the message,
// strictly first; a failure that a lenient parse does not repeat was an
// unknown field and is reported as such.
func loadFromYAML(data []byte, m proto.Message) string {
	js, what := yamlToJSON(data)
	if what != "" {
		return what
	}
	err := protojson.Unmarshal(js, m)
	if err == nil {
		return ""
	}
	if (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(js, proto.Clone(m)) == nil {
		return fmt.Sprintf("Protobuf message (type %s reason INVALID_ARGUMENT:%s) has unknown fields",
			m.ProtoReflect().Descriptor().FullName(), protojsonDetail(err))
	}
	return fmt.Sprintf("Unable to parse JSON as proto (INVALID_ARGUMENT:%s): %s", protojsonDetail(err), js)
}

// protojsonDetail drops the "proto:" prefix Go's errors carry and Envoy's
// (from C++ protobuf) do not; Go follows it with a space or, at random, a
// no-break space, to keep callers from matching its text.
func protojsonDetail(err error) string {
	if m := unresolvedType.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf(" could not find @type '%s'", m[1]) // C++ protobuf's words
	}
	s, ok := strings.CutPrefix(err.Error(), "proto:")
	if !ok {
		return err.Error()
	}
	return strings.TrimLeft(s, " \u00a0")
}

var unresolvedType = regexp.MustCompile(`unable to resolve "([^"]+)"`)

// validate is MessageUtil::validate (source/common/protobuf/utility.h): the
// protoc-gen-validate constraints, which stop at Any fields — their payloads
// are checked when a factory takes them, in phase 4 (see checks.go).
// Envoy's C++ validator stops at the first violation; so does the text.
func validate(m proto.Message) string {
	v, ok := m.(interface{ ValidateAll() error })
	if !ok {
		return ""
	}
	err := v.ValidateAll()
	if err == nil {
		return ""
	}
	var all interface{ AllErrors() []error }
	if errors.As(err, &all) && len(all.AllErrors()) > 0 {
		err = all.AllErrors()[0]
	}
	return fmt.Sprintf("Proto constraint validation failed (%v): %s", err, prototext.MarshalOptions{}.Format(m))
}

// yamlToJSON turns a YAML document into JSON as Envoy's parseYamlNode does:
// scalars by their resolved YAML type, and integers outside int32 as
// strings (which protobuf's JSON parser accepts for every integer field).
// A syntax error is reported in the YAML parser's own words, as Envoy
// passes yaml-cpp's on.
func yamlToJSON(data []byte) ([]byte, string) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err.Error()
	}
	if v == nil {
		v = map[string]any{} // an empty file is an empty bootstrap
	}
	js, err := json.Marshal(jsonValue(v))
	if err != nil {
		return nil, fmt.Sprintf("Unable to convert YAML as JSON: %v", err)
	}
	return js, ""
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case int:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return strconv.Itoa(x)
		}
		return x
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		switch { // protobuf's JSON spells these as strings
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
		return x
	}
	return v
}
