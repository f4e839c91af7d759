package standin

import (
	"github.com/cncf/xds/go/udpa/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// redact is MessageUtil::redact (source/common/protobuf/utility.cc), which
// the admin applies before /config_dump prints a config: the strings and
// bytes of every field annotated udpa.annotations.sensitive, and of every
// message under one, become "[redacted]", typed Any payloads included. The
// stand-in has its own copy so that nothing of the product's decides what
// it prints.
func redact(m protoreflect.Message, all bool) {
	if a, ok := m.Interface().(*anypb.Any); ok {
		inner, err := a.UnmarshalNew()
		if err != nil {
			return
		}
		redact(inner.ProtoReflect(), all)
		// Deterministic, so that equal payloads stay byte-equal for a diff.
		if b, err := (proto.MarshalOptions{Deterministic: true}).Marshal(inner); err == nil {
			a.Value = b
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		sensitive := all || proto.GetExtension(fd.Options(), annotations.E_Sensitive).(bool)
		switch {
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Message() != nil {
					redact(mv.Message(), sensitive)
				} else if sensitive {
					v.Map().Set(k, redacted(fd.MapValue(), mv))
				}
				return true
			})
		case fd.IsList():
			for i := range v.List().Len() {
				if fd.Message() != nil {
					redact(v.List().Get(i).Message(), sensitive)
				} else if sensitive {
					v.List().Set(i, redacted(fd, v.List().Get(i)))
				}
			}
		case fd.Message() != nil:
			redact(v.Message(), sensitive)
		case sensitive:
			m.Set(fd, redacted(fd, v))
		}
		return true
	})
}

func redacted(fd protoreflect.FieldDescriptor, v protoreflect.Value) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("[redacted]")
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("[redacted]"))
	}
	return v
}
