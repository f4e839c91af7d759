package bootstrap

import (
	"fmt"
	"strings"
)

// Indentation analysis: where yaml.v3 fails, it names libyaml's context mark
// (the start of the enclosing block, often far above the mistake) and drops
// the problem mark. An indentation slip, the commonest YAML mistake, is
// found here instead by following the block structure line by line, as a
// person reading the file would: each line must continue one of the blocks
// still open (same column), or open a new one under a key with no value
// (deeper). The first line that does neither is where the structure breaks;
// the slip is that line, or the line that opened the block it clashes with
// when that block alone sits off the file's usual indentation step.

// block is an open mapping or sequence in the analysis.
type block struct {
	col    int
	seq    bool
	line   int // 1-based line that opened it
	offset int // its column minus its parent key's or dash's; -1 when inline after "- "
}

// clash is a line that fits no open block, as walk reports it.
type clash struct {
	stack    []block // the blocks still open
	involved []block // the blocks the line clashed with, innermost first
	line     int
	indent   int
	deeper   bool // deeper than the block it continues
	// scalarBlame is set for a block scalar's line less indented than the
	// scalar's first line: the line to blame (that one, or the first).
	scalarBlame int
}

// indentProblem is where the analysis places a broken structure.
type indentProblem struct {
	line, col int
	msg       string
}

// lineShape is one line of block structure: its dashes ("- " sequence
// entries), and the key and value that follow them.
type lineShape struct {
	indent int
	dashes []int // columns (0-based) of leading "- " indicators
	keyCol int   // column of the key, or -1
	value  string
}

// shapeOf splits a line; ok is false for blank and comment-only lines.
func shapeOf(s string) (sh lineShape, ok bool) {
	pos := len(s) - len(strings.TrimLeft(s, " "))
	if pos == len(s) || s[pos] == '#' || s[pos] == '\t' {
		return sh, false
	}
	sh.indent, sh.keyCol = pos, -1
	for pos < len(s) && s[pos] == '-' && (pos+1 == len(s) || s[pos+1] == ' ') {
		sh.dashes = append(sh.dashes, pos)
		pos++
		for pos < len(s) && s[pos] == ' ' {
			pos++
		}
	}
	rest := s[pos:]
	if k := keyEnd(rest); k >= 0 {
		sh.keyCol = pos
		rest = rest[k+1:]
	}
	sh.value = stripComment(strings.TrimSpace(rest))
	return sh, true
}

// keyEnd finds the ':' that ends a plain or quoted key at the start of s.
func keyEnd(s string) int {
	if s == "" || s[0] == '[' || s[0] == '{' || s[0] == '#' || s[0] == '|' || s[0] == '>' {
		return -1
	}
	i := 0
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return -1
		}
		i = end + 2
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i < len(s) && s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return i
		}
		return -1
	}
	for ; i < len(s); i++ {
		if s[i] == '#' && i > 0 && s[i-1] == ' ' {
			return -1
		}
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return i
		}
	}
	return -1
}

func stripComment(v string) string {
	if strings.HasPrefix(v, "#") {
		return ""
	}
	if i := strings.Index(v, " #"); i >= 0 && !strings.ContainsAny(v[:i], `"'`) {
		return strings.TrimSpace(v[:i])
	}
	return v
}

// opensBlock reports whether a value leaves its key or dash waiting for a
// block on the next lines: nothing, or only an anchor or a tag.
func opensBlock(v string) bool {
	for _, f := range strings.Fields(v) {
		if f[0] != '&' && f[0] != '!' {
			return false
		}
	}
	return true
}

// flowOpen counts the brackets a flow value leaves open, outside quotes.
func flowOpen(v string, depth int) int {
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		}
	}
	return depth
}

// analyzeIndent returns the first place where the block structure of data
// breaks, or ok false when it finds none.
func analyzeIndentFor(data, _ string) (indentProblem, bool) { return analyzeIndent(data) }

func analyzeIndent(data string) (indentProblem, bool) {
	lines := strings.Split(data, "\n")
	usual := usualOffsets(lines)
	p, ok := walkIndent(lines, usual)
	return p, ok
}

// usualOffsets counts how deep, relative to their parent, blocks are
// opened in this file; an offset used at least twice and by a tenth of the
// blocks is a normal step, so a lone odd one stands out as a slip.
func usualOffsets(lines []string) map[int]bool {
	counts := map[int]int{}
	total := 0
	walk(lines, nil, func(b block) {
		if b.offset >= 0 {
			counts[b.offset]++
			total++
		}
	})
	usual := map[int]bool{}
	for off, n := range counts {
		if n >= 2 && n*10 >= total {
			usual[off] = true
		}
	}
	return usual
}

func walkIndent(lines []string, usual map[int]bool) (indentProblem, bool) {
	var found *indentProblem
	walk(lines, func(c clash) bool {
		if c.scalarBlame > 0 {
			blame := c.scalarBlame
			text := lines[blame-1]
			col := len(text) - len(strings.TrimLeft(text, " ")) + 1
			msg := fmt.Sprintf("this line of a block scalar is indented to column %d, less than its first line (column %d)", col, c.indent+1)
			if blame != c.line {
				msg = fmt.Sprintf("the first line of this block scalar is indented to column %d, more than the lines after it (column %d)", col, nextIndent(lines, c.line-1)+1)
			}
			found = &indentProblem{line: blame, col: col, msg: msg}
			return false
		}
		stack, involved, line, deeper := c.stack, c.involved, c.line, c.deeper
		blame := line
		for _, b := range involved {
			off := b.offset >= 0 && !usual[b.offset] && !(b.seq && b.offset == 0)
			if off && b.line < blame {
				blame = b.line
			}
		}
		text := lines[blame-1]
		col := len(text) - len(strings.TrimLeft(text, " ")) + 1
		var msg string
		if blame != line {
			msg = fmt.Sprintf("this line is indented to column %d, off the file's usual step, so line %d (column %d) no longer fits any block", col, line, c.indent+1)
		} else if deeper {
			msg = fmt.Sprintf("this line is indented to column %d, deeper than the block it continues (column %d)", col, stack[len(stack)-1].col+1)
		} else {
			msg = fmt.Sprintf("this line is indented to column %d, which matches no enclosing block (%s)", col, columnsOf(involved))
		}
		found = &indentProblem{line: blame, col: col, msg: msg}
		return false
	}, nil)
	if found == nil {
		return indentProblem{}, false
	}
	return *found, true
}

// columnsOf names the columns of the blocks a line clashed with, innermost
// first: where the line probably belongs.
func columnsOf(involved []block) string {
	var cols []string
	seen := map[int]bool{}
	for _, b := range involved {
		if b.col >= 0 && !seen[b.col] && len(cols) < 3 {
			seen[b.col] = true
			cols = append(cols, fmt.Sprint(b.col+1))
		}
	}
	if len(cols) == 0 {
		return "none is open"
	}
	return "blocks nearby start at column " + strings.Join(cols, ", ")
}

// walk follows the block structure. conflict is called at a line that fits
// no open block, with the blocks it clashed with; returning false stops the
// walk. opened, when not nil, sees every block opened under a key or dash.
// After a conflict the walk recovers by taking the line as a new block.
func walk(lines []string, conflict func(clash) bool, opened func(block)) {
	stack := []block{{col: -1, offset: -1}}
	pendingCol, pendingDash := -1, false // a key or dash waiting for its block
	pending := true                      // the document waits for its root
	scalarValue := false                 // the previous line ended in a plain scalar
	flowDepth := 0
	var openQuote byte     // the quote of a quoted scalar still open
	blockScalarAbove := -2 // lines deeper than this belong to a block scalar
	scalarIndent, scalarFirst := -1, 0
	push := func(b block) {
		stack = append(stack, b)
		if opened != nil && b.offset >= 0 {
			opened(b)
		}
	}
	for i, text := range lines {
		line := i + 1
		if openQuote != 0 {
			// Lines of a quoted scalar over several lines are its content.
			openQuote = unclosedQuote(text, openQuote)
			continue
		}
		if flowDepth > 0 {
			flowDepth = flowOpen(text, flowDepth)
			continue
		}
		sh, ok := shapeOf(text)
		if !ok {
			continue
		}
		if blockScalarAbove >= -1 {
			ind := len(text) - len(strings.TrimLeft(text, " "))
			if strings.TrimSpace(text) == "" {
				continue
			}
			if ind > blockScalarAbove {
				// A block scalar's indentation is its first line's; a later
				// line less indented but still inside its parent breaks it.
				if scalarIndent < 0 {
					scalarIndent, scalarFirst = ind, line
					continue
				}
				if ind >= scalarIndent {
					continue
				}
				if conflict != nil {
					blame := line
					// The rest agreeing with this line: the first line slipped.
					if next := nextIndent(lines, i+1); next == ind && line == scalarFirst+1 {
						blame = scalarFirst
					}
					if !conflict(clash{stack: stack, line: line, indent: scalarIndent, scalarBlame: blame}) {
						return
					}
				}
				scalarIndent = ind
				continue
			}
			blockScalarAbove = -2
		}
		if strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") {
			stack, pending, pendingCol = stack[:1], true, -1
			continue
		}
		c := sh.indent
		startsDash := len(sh.dashes) > 0 && sh.dashes[0] == c
		switch {
		case pending && (c > pendingCol || (c == pendingCol && startsDash && !pendingDash)):
			offset := c - pendingCol
			if pendingCol < 0 {
				offset = -1 // the root
			}
			push(block{col: c, seq: startsDash, line: line, offset: offset})
		default:
			var popped []block
			for len(stack) > 1 && stack[len(stack)-1].col > c {
				popped = append(popped, stack[len(stack)-1])
				stack = stack[:len(stack)-1]
			}
			top := stack[len(stack)-1]
			if top.col == c && top.seq && !startsDash && len(stack) > 2 && stack[len(stack)-2].col == c {
				// A sequence at its key's column ends where the mapping goes on.
				stack = stack[:len(stack)-1]
				top = stack[len(stack)-1]
			}
			bad := top.col != c || top.seq != startsDash
			if top.col < c && len(popped) == 0 && scalarValue && len(sh.dashes) == 0 && sh.keyCol < 0 {
				continue // a plain scalar going on over several lines
			}
			if bad {
				involved := append(popped, top)
				if top.col == c && len(stack) > 1 {
					involved = append(involved, stack[len(stack)-2])
				}
				if conflict != nil && !conflict(clash{stack: stack, involved: involved, line: line, indent: c, deeper: top.col < c && len(popped) == 0}) {
					return
				}
				if top.col != c {
					push(block{col: c, seq: startsDash, line: line, offset: -1})
				} else {
					stack[len(stack)-1].seq = startsDash
				}
			}
		}
		pending = false
		// Nested dashes and a key after a dash open blocks on this line.
		for j, d := range sh.dashes {
			if j > 0 {
				push(block{col: d, seq: true, line: line, offset: -1})
			}
		}
		if sh.keyCol >= 0 && sh.keyCol != c {
			push(block{col: sh.keyCol, line: line, offset: -1})
		}
		v := sh.value
		scalarValue = false
		switch {
		case opensBlock(v) && (sh.keyCol >= 0 || len(sh.dashes) > 0):
			pending = true
			if sh.keyCol >= 0 {
				pendingCol, pendingDash = sh.keyCol, false
			} else {
				pendingCol, pendingDash = sh.dashes[len(sh.dashes)-1], true
			}
		case v == "" || v[0] == '&' || v[0] == '!':
			// A lone anchor or tag: its node follows; nothing to track.
		case v[0] == '|' || v[0] == '>':
			blockScalarAbove, scalarIndent = stack[len(stack)-1].col, -1
			if sh.keyCol < 0 && len(sh.dashes) > 0 {
				blockScalarAbove = sh.dashes[len(sh.dashes)-1]
			}
		case v[0] == '[' || v[0] == '{':
			flowDepth = flowOpen(v, 0)
		case v[0] == '"' || v[0] == '\'':
			openQuote = unclosedQuote(v[1:], v[0])
		default:
			scalarValue = true
		}
	}
}

// nextIndent is the indentation of the first non-blank line from index i.
func nextIndent(lines []string, i int) int {
	for ; i < len(lines); i++ {
		if t := strings.TrimLeft(lines[i], " "); t != "" {
			return len(lines[i]) - len(t)
		}
	}
	return -1
}

// unclosedQuote returns q when s, the inside of a scalar quoted with q, does
// not close it: a double quote closes unless escaped with a backslash; a
// single quote unless doubled.
func unclosedQuote(s string, q byte) byte {
	for i := 0; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return 0
		}
	}
	return q
}
