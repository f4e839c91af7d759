package bootstrap

import (
	"bytes"
	"context"

	"gopkg.in/yaml.v3"
)

// Incremental parsing, for a caller that validates version after version
// of one text (the language server). Parsing is two fifths of a Load of a
// large bootstrap, and a keystroke changes one element of a long list: the
// next version's tree is the previous one with that element parsed again
// and the lines of what follows moved by the lines the edit added. It is
// done only where that tree is, node for node, what parsing the whole text
// gives (comments aside, which nothing reads); anything else is a full
// parse. Decoding and the rules then run over the whole tree as in Load,
// so names, references and duplicates across elements are checked as
// ever, and the result is Load's.

// Parsed is one version of a bootstrap's text with its YAML tree, for
// LoadNext to reuse in the next version. LoadNext takes it over: the
// nodes it reuses are moved into the next version's tree, so a Parsed is
// passed to one LoadNext only, and its data must not change.
type Parsed struct {
	data []byte
	doc  *yaml.Node
	// elems are the long lists' elements as this version decoded them
	// (elemcache.go), nil until it has.
	elems *elementCache
}

// LoadNext is LoadContext of data, parsing only what changed since prev
// (the Parsed of an earlier version, or nil) where that is exact. It
// returns the Parsed to pass to the next call: data's when it parsed,
// else prev, untouched, which holds for its own text still. After an
// error (ctx ended) the Parsed returned is still good.
func LoadNext(ctx context.Context, file string, data []byte, opts Options, prev *Parsed) (*Result, *Parsed, error) {
	if prev != nil && len(data) <= MaxSize {
		if doc, ok := prev.splice(data); ok {
			// The elements kept are those of the tree's nodes (splice
			// dropped the ones it changed), so the cache goes on, and
			// keeps what a cancelled decoding did not reach.
			next := &Parsed{data: data, doc: doc, elems: prev.elems}
			if next.elems == nil || next.elems.strict != opts.Strict {
				next.elems = newElementCache(opts)
			}
			res, err := decodeTree(ctx, file, data, doc, opts, next.elems, next.elems)
			return res, next, err
		}
	}
	next := &Parsed{data: data, elems: newElementCache(opts)}
	res, doc, err := loadFull(ctx, file, data, opts, next.elems)
	if doc == nil || hasOddBreaks(data) {
		// Without a tree (or one whose lines the splice could not
		// count) the earlier version stays the one to diff against.
		return res, prev, err
	}
	next.doc = doc
	return res, next, err
}

func newElementCache(opts Options) *elementCache {
	return &elementCache{strict: opts.Strict, elems: map[*yaml.Node]*decodedElement{}}
}

// hasOddBreaks reports what would make lines counted by '\n' differ from
// yaml.v3's: a lone '\r', NEL, LS or PS (line breaks to YAML), or a
// UTF-16 byte-order mark.
func hasOddBreaks(data []byte) bool {
	if bytes.HasPrefix(data, []byte{0xfe, 0xff}) || bytes.HasPrefix(data, []byte{0xff, 0xfe}) {
		return true
	}
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\r')
		if j < 0 {
			break
		}
		i += j + 1
		if i == len(data) || data[i] != '\n' {
			return true
		}
	}
	return bytes.Contains(data, []byte("\u0085")) || bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))
}

// splice makes data's tree from p's when data differs from p.data inside
// one element of a block sequence that is not the last of it, and that
// element, parsed alone, is one element whose every line but the first is
// indented past its "- ": then what comes before the element and what
// comes after it read as they did, and the element reads alone as it
// does in place. p's tree is changed only when splice succeeds.
func (p *Parsed) splice(data []byte) (*yaml.Node, bool) {
	old := p.data
	pre := commonPrefix(old, data)
	suf := commonSuffix(old[pre:], data[pre:])
	oldEnd, newEnd := len(old)-suf, len(data)-suf
	if pre == oldEnd && pre == newEnd {
		return p.doc, true // the same text
	}
	// A byte either side too: an edit can part a '\r' from its '\n'.
	if hasOddBreaks(data[max(0, pre-1):min(len(data), newEnd+1)]) {
		return nil, false
	}
	starts := lineStarts(old)
	lineOf := func(off int) int { // 1-based line of byte off
		lo, hi := 0, len(starts)
		for lo+1 < hi {
			m := (lo + hi) / 2
			if starts[m] <= off {
				lo = m
			} else {
				hi = m
			}
		}
		return lo + 1
	}
	first, last := lineOf(pre), lineOf(max(pre, oldEnd-1))
	path := elementsAt(p.doc, first, last)
	// The innermost element first: the least to parse again.
	for k := len(path) - 1; k >= 0; k-- {
		if !path[k].whole {
			continue
		}
		if p.elems != nil {
			// The elements the edit is inside are not what they were
			// (the innermost is replaced).
			for _, e := range path[:k+1] {
				delete(p.elems.elems, e.seq.Content[e.i])
			}
		}
		if p.spliceAt(path[k].seq, path[k].i, data, starts, pre, oldEnd) {
			return p.doc, true
		}
	}
	return nil, false
}

// spliceAt is splice of element i of seq.
func (p *Parsed) spliceAt(seq *yaml.Node, i int, data []byte, starts []int, pre, oldEnd int) bool {
	old := p.data
	el, next := seq.Content[i], seq.Content[i+1]
	dash := el.Column - 3 // the column of its "- ", from 0
	if !dashLine(old, starts, el, dash) || !dashLine(old, starts, next, dash) {
		return false
	}
	begin, endOld := starts[el.Line-1], starts[next.Line-1]
	if pre < begin+dash+2 || oldEnd > endOld {
		return false
	}
	endNew := endOld + len(data) - len(old)
	if endNew <= begin || data[endNew-1] != '\n' {
		return false
	}
	region := data[begin:endNew]
	if !indentedPast(region, dash+2) {
		return false
	}
	var frag yaml.Node
	if err := yaml.Unmarshal(region, &frag); err != nil || len(frag.Content) != 1 {
		return false
	}
	fs := frag.Content[0]
	if fs.Kind != yaml.SequenceNode || fs.Style&yaml.FlowStyle != 0 || len(fs.Content) != 1 || fs.Column != dash+1 {
		return false
	}
	repl := fs.Content[0]
	if hasAnchors(repl) || hasAnchors(el) {
		// An anchor may serve aliases elsewhere; an alias here needs one.
		return false
	}
	if delta := bytes.Count(region, []byte{'\n'}) - (next.Line - el.Line); delta != 0 {
		shiftLines(p.doc, next.Line, delta)
	}
	shiftLines(repl, 1, el.Line-1)
	seq.Content[i] = repl
	return true
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	// Eight bytes at a time, then one by one.
	for i+8 <= n && string(a[i:i+8]) == string(b[i:i+8]) {
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && string(a[len(a)-i-8:len(a)-i]) == string(b[len(b)-i-8:len(b)-i]) {
		i += 8
	}
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

// lineStarts is the byte offset of each line of data.
func lineStarts(data []byte) []int {
	starts := make([]int, 1, bytes.Count(data, []byte{'\n'})+1)
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return starts
		}
		i += j + 1
		starts = append(starts, i)
	}
}

// element is element i of a block sequence; whole when it is not the
// last and holds all the lines looked for.
type element struct {
	seq   *yaml.Node
	i     int
	whole bool
}

// elementsAt lists the elements of block sequences on the way down to
// line first, outermost first.
func elementsAt(n *yaml.Node, first, last int) []element {
	var out []element
	for n != nil {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) != 1 {
				return out
			}
			n = n.Content[0]
		case yaml.MappingNode:
			// The value of the last key at or before the line.
			var in *yaml.Node
			for i := 0; i+1 < len(n.Content) && n.Content[i].Line <= first; i += 2 {
				in = n.Content[i+1]
			}
			n = in
		case yaml.SequenceNode:
			if n.Style&yaml.FlowStyle != 0 {
				return out
			}
			i := lastAtOrBefore(n.Content, first)
			if i < 0 {
				return out
			}
			out = append(out, element{n, i, i+1 < len(n.Content) && n.Content[i+1].Line > last})
			n = n.Content[i]
		default:
			return out
		}
	}
	return out
}

// lastAtOrBefore is the index of the last node starting at or before
// line, by binary search (a sequence's elements are in line order), or -1.
func lastAtOrBefore(ns []*yaml.Node, line int) int {
	lo, hi := -1, len(ns)
	for lo+1 < hi {
		m := (lo + hi) / 2
		if ns[m].Line <= line {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// dashLine reports whether element el's line is dash spaces, "- ", then el.
func dashLine(data []byte, starts []int, el *yaml.Node, dash int) bool {
	if dash < 0 || el.Line < 1 || el.Line > len(starts) {
		return false
	}
	line := data[starts[el.Line-1]:]
	if len(line) < dash+2 {
		return false
	}
	for _, c := range line[:dash] {
		if c != ' ' {
			return false
		}
	}
	return line[dash] == '-' && line[dash+1] == ' '
}

// indentedPast reports whether every line of region but the first is
// blank or indented by at least indent spaces.
func indentedPast(region []byte, indent int) bool {
	lines := bytes.Split(region, []byte{'\n'})
	for _, l := range lines[1:] {
		n := 0
		for n < len(l) && l[n] == ' ' {
			n++
		}
		if n < indent && len(bytes.Trim(l, " \t\r")) > 0 {
			return false
		}
	}
	return true
}

func hasAnchors(n *yaml.Node) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAnchors(c) {
			return true
		}
	}
	return false
}

// shiftLines moves every node of n's tree at line from or after by delta
// lines.
func shiftLines(n *yaml.Node, from, delta int) {
	if n.Line >= from {
		n.Line += delta
	}
	for _, c := range n.Content {
		shiftLines(c, from, delta)
	}
}
