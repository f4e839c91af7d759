package restart

import (
	"fmt"
	"slices"

	"github.com/cncf/xds/go/udpa/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// dropSensitive clears every field annotated udpa.annotations.sensitive in
// m, inside typed Any payloads too (re-packed deterministically).
func dropSensitive(m protoreflect.Message) {
	if a, ok := m.Interface().(*anypb.Any); ok {
		if typed, ok := reified(a); ok {
			dropSensitive(typed.ProtoReflect())
			_ = a.MarshalFrom(typed) // compared as the typed message Envoy reifies
			return
		}
		inner, err := a.UnmarshalNew()
		if err != nil {
			return // a type this build does not know: left as it is
		}
		dropSensitive(inner.ProtoReflect())
		if b, err := (proto.MarshalOptions{Deterministic: true}).Marshal(inner); err == nil {
			a.Value = b
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case proto.GetExtension(fd.Options(), annotations.E_Sensitive).(bool):
			m.Clear(fd)
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				dropSensitive(mv.Message())
				return true
			})
		case fd.IsList() && fd.Message() != nil:
			for i := range v.List().Len() {
				dropSensitive(v.List().Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			dropSensitive(v.Message())
		}
		return true
	})
}

// diffMessages lists the field paths where a and b differ, at most max:
// into messages and same-length lists, down to the first field that differs;
// into Any payloads by their type, a TypedStruct as the message it stands
// for (typedstruct.go).
func diffMessages(a, b protoreflect.Message, prefix string, max int) []string {
	if aa, ok := a.Interface().(*anypb.Any); ok {
		ba := b.Interface().(*anypb.Any)
		if at, ok := reified(aa); ok {
			_ = aa.MarshalFrom(at)
		}
		if bt, ok := reified(ba); ok {
			_ = ba.MarshalFrom(bt)
		}
		ai, aerr := aa.UnmarshalNew()
		bi, berr := ba.UnmarshalNew()
		if aa.GetTypeUrl() != ba.GetTypeUrl() || aerr != nil || berr != nil {
			if proto.Equal(aa, ba) {
				return nil
			}
			return []string{prefix}
		}
		return diffMessages(ai.ProtoReflect(), bi.ProtoReflect(), prefix, max)
	}
	var out []string
	fields := a.Descriptor().Fields()
	for i := range fields.Len() {
		if len(out) >= max {
			break
		}
		fd := fields.Get(i)
		if !a.Has(fd) && !b.Has(fd) {
			continue
		}
		path := string(fd.Name())
		if prefix != "" {
			path = prefix + "." + path
		}
		av, bv := a.Get(fd), b.Get(fd)
		switch {
		case fd.IsList() && fd.Message() != nil && av.List().Len() == bv.List().Len():
			for j := range av.List().Len() {
				if len(out) >= max {
					break
				}
				out = append(out, diffMessages(av.List().Get(j).Message(), bv.List().Get(j).Message(), fmt.Sprintf("%s[%d]", path, j), max-len(out))...)
			}
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap() && a.Has(fd) && b.Has(fd):
			out = append(out, diffMessages(av.Message(), bv.Message(), path, max-len(out))...)
		case !equalField(fd, a, b):
			out = append(out, path)
		}
	}
	return slices.Clip(out)
}

// equalField compares one field of a and b through proto.Equal on
// messages holding just that field, which handles lists, maps and scalars
// alike.
func equalField(fd protoreflect.FieldDescriptor, a, b protoreflect.Message) bool {
	return proto.Equal(onlyField(fd, a), onlyField(fd, b))
}

func onlyField(fd protoreflect.FieldDescriptor, m protoreflect.Message) proto.Message {
	out := m.New()
	if m.Has(fd) {
		out.Set(fd, m.Get(fd))
	}
	return out.Interface()
}
