package bootstrap

import (
	"regexp"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/internal/suggest"
)

//go:generate go run ./internal/genregistry -o registry_gen.go

// v2Type matches the type names of Envoy's v2 API, which Envoy no longer
// accepts (envoy.api.v2.*, envoy.config.filter.*.v2, *.v2alpha).
var v2Type = regexp.MustCompile(`^envoy\.(api\.v2|config\.filter)\.|\.v2(alpha\d*)?(\.|$)`)

// knownTypeNames lists every registered message name, for typo suggestions.
var knownTypeNames = sync.OnceValue(func() []string {
	var names []string
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		names = append(names, string(mt.Descriptor().FullName()))
		return true
	})
	return names
})

// resolveType finds the message type a type URL names, or reports why not:
// a v2 type or a near miss of a known type is an error; a type merely
// unknown to go-control-plane is a warning (an error in strict mode), since
// the running Envoy may still know it.
func (d *decoder) resolveType(url string, n *yaml.Node, path string) protoreflect.MessageType {
	slash := strings.LastIndexByte(url, '/')
	if slash < 0 || slash == len(url)-1 {
		d.errorf(n, path, "invalid type URL %q: it must look like type.googleapis.com/<message name>", url)
		return nil
	}
	if mt, err := protoregistry.GlobalTypes.FindMessageByURL(url); err == nil {
		return mt
	}
	name := url[slash+1:]
	if v2Type.MatchString(name) {
		d.errorf(n, path, "%s is a v2 API type; Envoy no longer accepts the v2 API, use its v3 equivalent", name)
		return nil
	}
	if s := closestTypeName(name); s != "" {
		d.errorf(n, path, "unknown type %s; did you mean %s?", name, s)
		return nil
	}
	sev := SeverityWarning
	if d.strict {
		sev = SeverityError
	}
	d.report(sev, n, path, "type %s is not known to go-control-plane, so its contents were not checked", name)
	return nil
}

// closestTypeName looks for a typo: a registered name within a few edits,
// compared only against names of similar length to keep it cheap.
func closestTypeName(name string) string {
	var near []string
	for _, known := range knownTypeNames() {
		if diff := len(known) - len(name); diff >= -4 && diff <= 4 {
			near = append(near, known)
		}
	}
	return suggest.Closest(name, near)
}
