package bootstrap

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"
)

// What decoding hands the load-time rules: every message decoded, each with
// the YAML nodes it came from, and the list every room reports to.

// decodedMessage remembers where one message of the bootstrap came from, so
// that validation and semantic errors found later can point at YAML nodes.
type decodedMessage struct {
	msg    protoreflect.Message
	path   string
	at     *yaml.Node // where problems with the message as a whole are reported
	parent *decodedMessage
	fields map[protoreflect.Name]fieldNodes
	// failed names the fields (and oneofs) whose value could not be decoded,
	// or that a misspelt key probably meant: a PGV complaint about them
	// ("value is required") would only repeat the error already given.
	failed map[protoreflect.Name]bool
	// valid says PGV found nothing wrong with the message, for LoadNext to
	// skip it when it keeps the message for the next version.
	valid bool
}

// fieldNodes are the key and (alias-resolved) value nodes of one field.
type fieldNodes struct{ key, value *yaml.Node }

// pos returns the node of the named field's value, or the message's own
// position when the field is absent.
func (m *decodedMessage) pos(name protoreflect.Name) *yaml.Node {
	if f, ok := m.fields[name]; ok {
		return f.value
	}
	return m.at
}

// tree is every message decoded, in document order, with look-ups from a
// proto message and from an Any to its record.
type tree struct {
	messages []*decodedMessage
	byMsg    map[proto.Message]*decodedMessage
	// anys maps each decoded Any to its payload, so the rules can look
	// inside typed_config without unmarshalling it again.
	anys map[*anypb.Any]*decodedMessage
}

// sink collects one file's diagnostics, from the decoder and the rules.
type sink struct {
	file   string
	strict bool
	diags  []Diagnostic
}

func (s *sink) report(sev Severity, n *yaml.Node, path, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	s.diags = append(s.diags, Diagnostic{
		File: s.file, Line: line, Col: col, Severity: sev,
		Message: fmt.Sprintf(format, args...), Path: path,
	})
}

// note reports, in strict mode only, a form Envoy accepts only through
// protobuf's legacy JSON leniencies.
func (s *sink) note(n *yaml.Node, path, format string, args ...any) {
	if s.strict {
		s.report(SeverityNote, n, path, format, args...)
	}
}

func (s *sink) errorf(n *yaml.Node, path, format string, args ...any) {
	s.report(SeverityError, n, path, format, args...)
}
