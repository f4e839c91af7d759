package bootstrap

import (
	"maps"
	"strconv"
	"sync"

	"google.golang.org/protobuf/types/known/anypb"

	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"
)

// Mappings and lists as Envoy sees them: the entries of a mapping after
// !ignore and duplicate keys (merge keys are not expanded, as yaml-cpp does not), and the elements of a list after
// protobuf's legacy leniencies.

// pair is one key/value of a mapping.
type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's entries as parseYamlNode keeps them: without the
// keys tagged !ignore, the last of a key given twice.
func (d *decoder) pairs(n *yaml.Node) []pair {
	var explicit []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!ignore" {
			// parseYamlNode (yaml_utility.cc:106) leaves out of the Struct every
			// mapping entry whose key is tagged !ignore, at any depth; anchors
			// under it still serve aliases elsewhere.
			continue
		}
		// A merge key (<<) is an ordinary key to Envoy: yaml-cpp implements
		// no merges, so parseYamlNode puts "<<" into the Struct as it is, and
		// protobuf refuses it as an unknown field (the 1.40.0 binary: "no such
		// field: '<<'"). It is kept here as a pair, to be refused the same way.
		explicit = append(explicit, pair{k, v})
	}
	return d.lastWins(explicit)
}

// lastWins drops all but the last of keys given twice, warning at each
// earlier one: yaml-cpp keeps every entry, but parseYamlNode assigns them one
// by one into a Struct's map (yaml_utility.cc:107), so the last wins.
func (d *decoder) lastWins(ps []pair) []pair {
	if len(ps) < 2 || !hasDuplicateKey(ps) {
		return ps
	}
	last := make(map[string]int, len(ps))
	for i, p := range ps {
		last[p.key.Value] = i
	}
	out := make([]pair, 0, len(last))
	for i, p := range ps {
		j := last[p.key.Value]
		if j == i {
			out = append(out, p)
			continue
		}
		if !d.dupWarned[p.key] {
			d.dupWarned[p.key] = true
			d.report(SeverityWarning, p.key, "", "duplicate key %q: Envoy uses the one at line %d", p.key.Value, ps[j].key.Line)
		}
	}
	return out
}

// hasDuplicateKey is the cheap test lastWins runs on every mapping: most
// are small, where comparing pairs costs less than building a map.
func hasDuplicateKey(ps []pair) bool {
	if len(ps) > 16 {
		seen := make(map[string]bool, len(ps))
		for _, p := range ps {
			if seen[p.key.Value] {
				return true
			}
			seen[p.key.Value] = true
		}
		return false
	}
	for i := 1; i < len(ps); i++ {
		for j := 0; j < i; j++ {
			if ps[i].key.Value == ps[j].key.Value {
				return true
			}
		}
	}
	return false
}

// appendElements decodes list elements into list, with two leniencies of
// protobuf's legacy parser (parser.cc:666 and :683 at protobuf e712d276): a null element is the
// element type's default (EmitNull), and a list inside the list is flattened
// into it, except where the elements are google.protobuf.Value or ListValue.
func (d *decoder) appendElements(list protoreflect.List, fd protoreflect.FieldDescriptor, elements []*yaml.Node, path string, entry *decodedMessage, next *int) {
	if d.parallel(fd, elements) && d.appendParallel(list, elements, path, entry, next) {
		return
	}
	msgName := protoreflect.FullName("")
	if fd.Message() != nil {
		msgName = fd.Message().FullName()
	}
	for _, raw := range elements {
		el := d.resolve(raw)
		if d.over {
			return
		}
		elPath := path + "[" + strconv.Itoa(*next) + "]"
		if el.Kind == yaml.SequenceNode && msgName != "google.protobuf.Value" && msgName != "google.protobuf.ListValue" {
			d.note(el, elPath, "%s: a list inside the list; Envoy flattens it (protobuf's legacy JSON parsing)", fd.Name())
			d.appendElements(list, fd, el.Content, path, entry, next)
			continue
		}
		*next++
		if isNull(el) && msgName != "google.protobuf.Value" {
			d.note(el, elPath, "%s: null in a list; Envoy reads it as a default element (protobuf's legacy JSON parsing)", fd.Name())
			list.Append(list.NewElement())
			if fd.Message() != nil {
				// The empty element is validated like any other.
				d.record(list.Get(list.Len()-1).Message(), elPath, el, entry)
			}
			continue
		}
		if fd.Message() != nil {
			elem := list.NewElement()
			d.decodeMessage(el, elem.Message(), elPath, el, entry)
			list.Append(elem)
		} else if val, ok := d.scalar(fd, el, elPath); ok {
			list.Append(val)
		}
	}
}

// parallelMin is the fewest list elements decoded by more than one
// goroutine: below it, starting them costs more than it saves.
const parallelMin = 64

// parallel reports whether the elements can be decoded by workers: a long
// list of mappings into messages, where appendElements would neither
// flatten nor fill in a null.
func (d *decoder) parallel(fd protoreflect.FieldDescriptor, elements []*yaml.Node) bool {
	// With the elements of the version before to reuse, one worker (this
	// goroutine) takes the same path.
	if d.workers < 1 || d.workers < 2 && d.prevElems == nil || len(elements) < parallelMin || fd.Message() == nil {
		return false
	}
	if name := fd.Message().FullName(); name == "google.protobuf.Value" || name == "google.protobuf.ListValue" {
		return false
	}
	for _, el := range elements {
		if el.Kind != yaml.MappingNode {
			return false
		}
	}
	return true
}

// appendParallel decodes the elements (mappings, no aliases) as the serial
// loop does, in d.workers shares at once, each by a decoder of its own
// whose diagnostics and messages are then taken in the order of the
// elements: the result is the serial one. It is false, with nothing
// changed, when the shares took more nodes than the budget has left: the
// serial loop then says where it ran out.
func (d *decoder) appendParallel(list protoreflect.List, elements []*yaml.Node, path string, entry *decodedMessage, next *int) bool {
	elems := make([]protoreflect.Value, len(elements))
	for i := range elems {
		elems[i] = list.NewElement()
	}
	n := min(d.workers, len(elements))
	share := (len(elements) + n - 1) / n
	ws := make([]*decoder, n)
	var wg sync.WaitGroup
	for w := range ws {
		lo, hi := w*share, min(len(elements), (w+1)*share)
		ws[w] = &decoder{sink: &sink{file: d.file, strict: d.strict}, tree: &tree{anys: make(map[*anypb.Any]*decodedMessage)},
			dupWarned: make(map[*yaml.Node]bool), budget: d.budget, ctx: d.ctx,
			prevElems: d.prevElems, nextElems: d.nextElems}
		run := func(wd *decoder) {
			for i := lo; i < hi && !wd.over; i++ {
				elPath := path + "[" + strconv.Itoa(*next+i) + "]"
				if c := wd.cached(elements[i], elPath); c != nil {
					elems[i] = c.value
					wd.adopt(c, entry)
					continue
				}
				messages, anys, diags, budget := len(wd.messages), len(wd.anyLog), len(wd.diags), wd.budget
				el := wd.resolve(elements[i])
				if wd.over {
					return
				}
				wd.decodeMessage(el, elems[i].Message(), elPath, el, entry)
				wd.keep(elements[i], elPath, elems[i], entry, messages, anys, diags, budget)
			}
		}
		if w == len(ws)-1 {
			run(ws[w]) // the last share on this goroutine
			continue
		}
		wg.Add(1)
		go func(wd *decoder) {
			defer wg.Done()
			run(wd)
		}(ws[w])
	}
	wg.Wait()
	used := 0
	for _, w := range ws {
		if w.cancelled {
			d.over, d.cancelled = true, true
			// What the workers finished is kept all the same.
			for _, w := range ws {
				d.keepAll(w.kept)
			}
			return true
		}
		used += d.budget - w.budget
	}
	if used > d.budget {
		return false
	}
	d.budget -= used
	for _, w := range ws {
		d.diags = append(d.diags, w.diags...)
		d.messages = append(d.messages, w.messages...)
		for _, e := range w.messages {
			d.byMsg[e.msg.Interface()] = e
		}
		maps.Copy(d.anys, w.anys)
		maps.Copy(d.dupWarned, w.dupWarned)
		d.keepAll(w.kept)
		d.adopted += w.adopted
	}
	for _, el := range elems {
		list.Append(el)
	}
	*next += len(elements)
	return true
}
