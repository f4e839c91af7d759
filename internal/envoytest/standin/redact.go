package standin

import (
	"strings"

	"github.com/cncf/xds/go/udpa/annotations"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// redact is MessageUtil::redact (source/common/protobuf/utility.cc), which
// the admin applies before /config_dump prints a config: the strings and
// bytes of every field annotated udpa.annotations.sensitive, and of every
// message under one, become "[redacted]", typed Any payloads included. The
// stand-in has its own copy so that nothing of the product's decides what
// it prints.
func redact(m protoreflect.Message, all bool) {
	if ts, ok := m.Interface().(*xdstypev3.TypedStruct); ok {
		respell(ts, all)
		return
	}
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

// respell is redactTypedStruct (source/common/protobuf/utility.cc): a
// TypedStruct of a known type is reified, redacted and turned back into a
// Struct through JSON, which drops defaults, spells keys by their proto
// names and int64s as strings. One of an unknown type stays as it is.
func respell(ts *xdstypev3.TypedStruct, all bool) {
	name := ts.GetTypeUrl()[strings.LastIndexByte(ts.GetTypeUrl(), '/')+1:]
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(name)
	if err != nil {
		return
	}
	b, err := protojson.Marshal(ts.GetValue())
	if err != nil {
		return
	}
	typed := mt.New().Interface()
	if protojson.Unmarshal(b, typed) != nil {
		return
	}
	redact(typed.ProtoReflect(), all)
	if b, err = (protojson.MarshalOptions{UseProtoNames: true}).Marshal(typed); err != nil {
		return
	}
	v := &structpb.Struct{}
	if protojson.Unmarshal(b, v) == nil {
		ts.Value = v
	}
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
