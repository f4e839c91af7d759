package bootstrap

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"
)

// Decoding typed configs: an Any by its "@type", and a TypedStruct's value
// by the type it names.

// decodeAny resolves "@type" through the type registry, decodes the other
// keys into the named message and packs it. The payload is recorded like any
// other message, so it is validated too (PGV itself never looks inside Any).
func (d *decoder) decodeAny(n *yaml.Node, m protoreflect.Message, path string, at *yaml.Node, parent *decodedMessage) {
	ps := d.pairs(n)
	var typeNode *yaml.Node
	rest := make([]pair, 0, len(ps))
	for _, p := range ps {
		if p.key.Value == "@type" {
			typeNode = d.resolve(p.value)
			continue
		}
		rest = append(rest, p)
	}
	if typeNode == nil {
		// parser.cc:1064 and :1079, ParseAny: the legacy parser takes an Any without @type
		// only when it is an empty object.
		if len(rest) > 0 {
			d.errorf(at, path, "%s: missing \"@type\" naming the type of its contents", fieldName(path))
		} else {
			d.note(n, path, "%s: an empty Any without \"@type\"; Envoy accepts it (protobuf's legacy JSON parsing), the canonical form leaves the field out", fieldName(path))
		}
		return
	}
	typePath := path + ".@type"
	if typeNode.Kind != yaml.ScalarNode {
		d.errorf(typeNode, typePath, "@type: expected a type URL, got %s", kindName(typeNode))
		return
	}
	url := typeNode.Value
	anyMsg := m.Interface().(*anypb.Any)
	anyMsg.TypeUrl = url
	mt := d.resolveType(url, typeNode, typePath)
	if mt == nil {
		return
	}
	inner := mt.New()
	if isWellKnown(mt.Descriptor().FullName()) {
		// The JSON mapping of an Any holding a well-known type puts it under "value".
		for _, p := range rest {
			if p.key.Value == "value" {
				d.decodeWellKnown(d.resolve(p.value), inner, path+".value")
			}
		}
	} else {
		entry := d.recordSized(inner, path, at, parent, len(rest))
		d.decodeFields(rest, inner, entry)
		d.anys[anyMsg] = entry
		if d.nextElems != nil {
			d.anyLog = append(d.anyLog, anyPayload{anyMsg, entry})
		}
		if name := mt.Descriptor().FullName(); name == "xds.type.v3.TypedStruct" || name == "udpa.type.v1.TypedStruct" {
			d.decodeTypedStruct(entry)
		}
	}
	b, err := proto.MarshalOptions{AllowPartial: true, Deterministic: true}.Marshal(inner.Interface())
	if err != nil {
		d.errorf(typeNode, path, "%s: cannot encode %s: %v", fieldName(path), mt.Descriptor().FullName(), err)
		return
	}
	anyMsg.Value = b
}

// decodeTypedStruct checks a TypedStruct's value against the type its
// type_url names: Envoy accepts TypedStruct wherever it takes a typed config.
func (d *decoder) decodeTypedStruct(entry *decodedMessage) {
	urlNode, ok := entry.fields["type_url"]
	if !ok || urlNode.value.Kind != yaml.ScalarNode {
		return
	}
	path := entry.path + ".type_url"
	mt := d.resolveType(urlNode.value.Value, urlNode.value, path)
	if mt == nil {
		return
	}
	valueNode, ok := entry.fields["value"]
	if !ok {
		return
	}
	d.decodeMessage(valueNode.value, mt.New(), entry.path+".value", valueNode.key, entry)
}
