package bootstrap

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"
)

// pgvError is the shape of every error protoc-gen-validate generates.
type pgvError interface {
	Field() string
	Reason() string
	Cause() error
}

// embeddedReason is PGV's reason for an error that only wraps the errors of a
// sub-message; every sub-message is validated on its own, so these are skipped.
const embeddedReason = "embedded message failed validation"

// validate runs PGV's ValidateAll on every decoded message, Any payloads
// included, and reports each message's own violations at their fields.
// It stops early once ctx ends (a superseded version in the language
// server), checking every so many messages: the caller drops the result.
func (r *rules) validate(ctx context.Context) {
	for i, entry := range r.messages {
		if i&255 == 255 && ctx.Err() != nil {
			return
		}
		if entry.valid {
			continue // a kept element's message, valid before, unchanged since
		}
		v, ok := entry.msg.Interface().(interface{ ValidateAll() error })
		if !ok {
			continue
		}
		err := v.ValidateAll()
		if err == nil {
			entry.valid = true
			continue
		}
		for _, e := range flattenErrors(err) {
			pe, ok := e.(pgvError)
			if !ok {
				r.errorf(entry.at, entry.path, "%s: %v", fieldName(entry.path), e)
				continue
			}
			if pe.Reason() == embeddedReason {
				continue
			}
			r.reportPGV(entry, pe)
		}
	}
}

func flattenErrors(err error) []error {
	if multi, ok := err.(interface{ AllErrors() []error }); ok {
		return multi.AllErrors()
	}
	return []error{err}
}

// reportPGV maps a PGV error's Go field name (e.g. "Clusters[1]",
// "PortSpecifier") back to the proto field or oneof and its YAML node.
func (r *rules) reportPGV(entry *decodedMessage, pe pgvError) {
	goName, index, hasIndex := strings.Cut(pe.Field(), "[")
	index = strings.TrimSuffix(index, "]")
	desc := entry.msg.Descriptor()
	name := protoreflect.Name(goName)
	node := entry.at
	if fd := findByGoName(desc, goName); fd != nil {
		name = fd.Name()
		node = entry.pos(name)
		if hasIndex {
			node = elementNode(node, index)
		}
	} else if oo := findOneofByGoName(desc, goName); oo != nil {
		name = oo.Name()
	}
	if entry.failed[name] {
		return // the field's own decoding error says it already
	}
	path := joinPath(entry.path, string(name))
	label := string(name)
	if hasIndex {
		path += "[" + index + "]"
		label += "[" + index + "]"
	}
	msg := fmt.Sprintf("%s: %s", label, pe.Reason())
	if c := pe.Cause(); c != nil {
		msg += ": " + c.Error()
	}
	r.errorf(node, path, "%s", msg)
}

// fold reduces a field name to compare Go and proto spellings:
// PortValue, port_value and portValue all fold to portvalue.
func fold(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "_", ""))
}

func findByGoName(desc protoreflect.MessageDescriptor, goName string) protoreflect.FieldDescriptor {
	want := fold(goName)
	fields := desc.Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); fold(string(fd.Name())) == want {
			return fd
		}
	}
	return nil
}

func findOneofByGoName(desc protoreflect.MessageDescriptor, goName string) protoreflect.OneofDescriptor {
	want := fold(goName)
	oneofs := desc.Oneofs()
	for i := range oneofs.Len() {
		if oo := oneofs.Get(i); fold(string(oo.Name())) == want {
			return oo
		}
	}
	return nil
}

// elementNode finds a list element by index or a map value by key, falling
// back to the container when the element cannot be found.
func elementNode(container *yaml.Node, index string) *yaml.Node {
	if container == nil {
		return nil
	}
	switch container.Kind {
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(index); err == nil && i >= 0 && i < len(container.Content) {
			return container.Content[i]
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(container.Content); i += 2 {
			if container.Content[i].Value == index {
				return container.Content[i+1]
			}
		}
	}
	return container
}
