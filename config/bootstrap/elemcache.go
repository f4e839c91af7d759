package bootstrap

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"
)

// The elements of the long lists (clusters, listeners), decoded, kept
// from one version to the next by LoadNext. A spliced tree keeps the node
// of every element the edit did not touch, and decoding an element reads
// nothing but its own nodes, its path and Options.Strict: so an element
// whose node comes back, at the same path, decodes to what it did, and
// its messages are taken as they were. Only elements that decoded without
// a diagnostic are kept (a diagnostic's line is fixed when it is made,
// and lines move); the rules then run over every message as ever, and
// PGV skips the kept messages it passed before (it reads only the
// message, which is unchanged).

// elementCache is one version's decoded list elements, by node.
type elementCache struct {
	strict bool
	elems  map[*yaml.Node]*decodedElement
	// reused counts the elements this version took from the one before.
	reused int
}

// decodedElement is one list element as decoding left it.
type decodedElement struct {
	node  *yaml.Node // the element's node, before aliases (there are none)
	path  string
	value protoreflect.Value
	// messages are the element's decoded messages in order; those whose
	// parent is parent (the list's message) are its outermost.
	messages []*decodedMessage
	parent   *decodedMessage
	anys     []anyPayload
	budget   int // the nodes it charged to the decoder's budget
}

// anyPayload is one entry of tree.anys.
type anyPayload struct {
	any   *anypb.Any
	entry *decodedMessage
}

// cached returns the element kept for node at path, or nil.
func (d *decoder) cached(node *yaml.Node, path string) *decodedElement {
	if d.prevElems == nil {
		return nil
	}
	if c := d.prevElems[node]; c != nil && c.path == path {
		return c
	}
	return nil
}

// adopt takes a kept element into this version under the list's message
// entry, and keeps it for the next.
func (d *decoder) adopt(c *decodedElement, entry *decodedMessage) {
	for _, m := range c.messages {
		if m.parent == c.parent {
			m.parent = entry
		}
	}
	c.parent = entry
	d.messages = append(d.messages, c.messages...)
	for _, a := range c.anys {
		d.anys[a.any] = a.entry
	}
	d.anyLog = append(d.anyLog, c.anys...)
	d.budget -= c.budget
	d.kept = append(d.kept, c)
	d.adopted++
}

// keep records the element just decoded, from the lengths of the
// decoder's lists before it, unless it had a diagnostic.
func (d *decoder) keep(node *yaml.Node, path string, value protoreflect.Value, entry *decodedMessage, messages, anys, diags, budget int) {
	if d.nextElems == nil || d.over || len(d.diags) != diags {
		return
	}
	d.kept = append(d.kept, &decodedElement{
		node: node, path: path, value: value, parent: entry,
		messages: d.messages[messages:len(d.messages):len(d.messages)],
		anys:     d.anyLog[anys:len(d.anyLog):len(d.anyLog)],
		budget:   budget - d.budget,
	})
}

// keepAll records a worker's kept elements for the next version.
func (d *decoder) keepAll(kept []*decodedElement) {
	if d.nextElems == nil {
		return
	}
	for _, c := range kept {
		d.nextElems[c.node] = c
	}
}
