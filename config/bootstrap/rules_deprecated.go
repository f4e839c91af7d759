package bootstrap

import (
	"fmt"
	"path"
	"sync"

	"github.com/envoyproxy/go-control-plane/envoy/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"gopkg.in/yaml.v3"
)

//go:generate go run ./internal/gendeprecated -api ${ENVOY_API_DIR} -o deprecated_gen.go

// deprecatedField is a field of a message that is deprecated itself, or
// whose enum has deprecated values.
type deprecatedField struct {
	fd    protoreflect.FieldDescriptor
	name  protoreflect.Name // fd.Name() computes it on every call
	field bool
	enum  bool
}

// deprecatedFields caches, per message type, its deprecatedField list, so
// each type's options are read once per process and a message costs one
// map look-up.
var deprecatedFields sync.Map // protoreflect.MessageDescriptor → []deprecatedField

func deprecatedFieldsOf(desc protoreflect.MessageDescriptor) []deprecatedField {
	// Keyed by the descriptor itself: hashing its pointer is cheaper than
	// hashing its full name, and this runs for every decoded message.
	if v, ok := deprecatedFields.Load(desc); ok {
		return v.([]deprecatedField)
	}
	var out []deprecatedField
	fields := desc.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		f := deprecatedField{fd: fd, name: fd.Name(), field: fieldDeprecated(fd)}
		if fd.Kind() == protoreflect.EnumKind && !fd.IsList() && !fd.IsMap() {
			values := fd.Enum().Values()
			for j := range values.Len() {
				f.enum = f.enum || enumValueDeprecated(values.Get(j))
			}
		}
		if f.field || f.enum {
			out = append(out, f)
		}
	}
	deprecatedFields.Store(desc, out)
	return out
}

// fieldDeprecated reads the proto `deprecated` option and Envoy's
// envoy.annotations.deprecated_at_minor_version annotation.
func fieldDeprecated(fd protoreflect.FieldDescriptor) bool {
	opts, ok := fd.Options().(*descriptorpb.FieldOptions)
	if !ok || opts == nil {
		return false
	}
	return opts.GetDeprecated() || proto.GetExtension(opts, annotations.E_DeprecatedAtMinorVersion).(string) != ""
}

func enumValueDeprecated(ev protoreflect.EnumValueDescriptor) bool {
	opts, ok := ev.Options().(*descriptorpb.EnumValueOptions)
	if !ok || opts == nil {
		return false
	}
	return opts.GetDeprecated() || proto.GetExtension(opts, annotations.E_DeprecatedAtMinorVersionEnum).(string) != ""
}

// checkDeprecated warns, as Envoy does when it loads the config
// (MessageUtil::checkForUnexpectedFields and its deprecation helper in
// source/common/protobuf/utility.cc and deprecation.cc), about each
// deprecated field set and each deprecated enum value used, adding the
// replacement the proto comment names. Like Envoy it only sees what is
// set: a scalar at its default value and an enum at its zero value are not.
func (r *rules) checkDeprecated(entry *decodedMessage) {
	deps := deprecatedFieldsOf(entry.msg.Descriptor())
	if len(deps) == 0 {
		return
	}
	msg := entry.msg
	for _, f := range deps {
		// Has first: it is cheaper than the map look-up, and usually false.
		if !msg.Has(f.fd) {
			continue
		}
		nodes, written := entry.fields[f.name]
		if !written {
			continue
		}
		file := path.Base(f.fd.ParentFile().Path())
		fieldPath := joinPath(entry.path, string(f.fd.Name()))
		if f.field {
			text := fmt.Sprintf("Using deprecated option '%s' from file %s.", f.fd.FullName(), file)
			r.deprecation(nodes.key, fieldPath, text, deprecationHints[string(f.fd.FullName())])
		}
		if f.enum {
			n := msg.Get(f.fd).Enum()
			ev := f.fd.Enum().Values().ByNumber(n)
			if n == 0 || ev == nil || !enumValueDeprecated(ev) {
				continue
			}
			text := fmt.Sprintf("Using deprecated value %s for enum '%s' from file %s.", ev.Name(), f.fd.FullName(), file)
			r.deprecation(nodes.value, fieldPath, text, deprecationHints[string(f.fd.Enum().FullName())+"."+string(ev.Name())])
		}
	}
}

func (r *rules) deprecation(at *yaml.Node, path, text, hint string) {
	if hint != "" {
		text += " " + hint
	}
	r.report(SeverityWarning, at, path, "%s", text)
	r.diags[len(r.diags)-1].Deprecated = true
}

// DenyDeprecated turns the deprecation warnings among ds into errors
// (--deny-deprecated).
func DenyDeprecated(ds []Diagnostic) {
	for i := range ds {
		if ds[i].Deprecated {
			ds[i].Severity = SeverityError
		}
	}
}
