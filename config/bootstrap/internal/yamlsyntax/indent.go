package yamlsyntax

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

// Problem is where a reading of the file places a mistake (1-based line
// and byte column), and what it is.
type Problem struct {
	Line, Col int
	Msg       string
}

// lineShape is one line of block structure: its dashes ("- " sequence
// entries), and the key and value that follow them.
type lineShape struct {
	indent int
	dashes []int // columns (0-based) of leading "- " indicators
	keyCol int   // column of the key, or -1
	value  valueKind
}

// valueKind is what follows a line's key or dashes, as the walk needs it.
type valueKind uint8

const (
	valueNone   valueKind = iota // nothing, or only an anchor or tag: a block follows
	valueProps                   // an anchor or tag, then its node
	valueBlock                   // a block scalar's header
	valueNested                  // a flow collection or a quoted scalar
	valueScalar                  // a plain scalar or an alias
)

// shapeOf reads a line of block structure from its tokens (those after
// its Indent token).
func shapeOf(indent int, toks []Token) lineShape {
	sh := lineShape{indent: indent, keyCol: -1}
	i := 0
	for ; i < len(toks) && toks[i].Kind == Dash; i++ {
		sh.dashes = append(sh.dashes, toks[i].Col-1)
	}
	// The key starts at the first character after the dashes, whatever
	// it is: a stray bracket before a key does not move the key.
	rest := toks[i:]
	if colon := keyColon(rest); colon >= 0 {
		sh.keyCol = rest[0].Col - 1
		rest = rest[colon+1:]
	}
	sh.value = valueOf(rest)
	return sh
}

// keyColon is the index of the colon that makes the line's first node a
// key, or -1. A flow collection is not taken for a key.
func keyColon(toks []Token) int {
	if len(toks) == 0 || toks[0].Kind == FlowOpen {
		return -1
	}
	depth := 0
	for i, t := range toks {
		switch t.Kind {
		case FlowOpen:
			depth++
		case FlowClose:
			depth--
		case Colon:
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func valueOf(toks []Token) valueKind {
	props, first := true, Kind(0)
	seen := false
	for _, t := range toks {
		if t.Kind == Error {
			continue
		}
		if !seen {
			first, seen = t.Kind, true
		}
		if t.Kind != Anchor && t.Kind != Tag {
			props = false
		}
	}
	switch {
	case !seen || props:
		return valueNone
	case first == Anchor || first == Tag:
		return valueProps
	case first == BlockHeader:
		return valueBlock
	case first == FlowOpen || first == Quoted:
		return valueNested
	}
	return valueScalar
}

// IndentProblem returns the first place where the block structure of data
// breaks, or ok false when it finds none.
func IndentProblem(data string) (Problem, bool) {
	lines := strings.Split(data, "\n")
	toks := Lex(data)
	return walkIndent(toks, lines, usualOffsets(toks, lines))
}

// usualOffsets counts how deep, relative to their parent, blocks are
// opened in this file; an offset used at least twice and by a tenth of the
// blocks is a normal step, so a lone odd one stands out as a slip.
func usualOffsets(toks []Token, lines []string) map[int]bool {
	counts := map[int]int{}
	total := 0
	walk(toks, lines, nil, func(b block) {
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

func walkIndent(toks []Token, lines []string, usual map[int]bool) (Problem, bool) {
	var found *Problem
	walk(toks, lines, func(c clash) bool {
		if c.scalarBlame > 0 {
			blame := c.scalarBlame
			text := lines[blame-1]
			col := len(text) - len(strings.TrimLeft(text, " ")) + 1
			msg := fmt.Sprintf("this line of a block scalar is indented to column %d, less than its first line (column %d)", col, c.indent+1)
			if blame != c.line {
				msg = fmt.Sprintf("the first line of this block scalar is indented to column %d, more than the lines after it (column %d)", col, nextIndent(lines, c.line-1)+1)
			}
			found = &Problem{Line: blame, Col: col, Msg: msg}
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
		found = &Problem{Line: blame, Col: col, Msg: msg}
		return false
	}, nil)
	if found == nil {
		return Problem{}, false
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

// walk follows the block structure, line by line over the lexer's tokens.
// conflict is called at a line that fits no open block, with the blocks it
// clashed with; returning false stops the walk. opened, when not nil, sees
// every block opened under a key or dash. After a conflict the walk
// recovers by taking the line as a new block. lines serve the block
// scalars' check only.
func walk(toks []Token, lines []string, conflict func(clash) bool, opened func(block)) {
	stack := []block{{col: -1, offset: -1}}
	pendingCol, pendingDash := -1, false // a key or dash waiting for its block
	pending := true                      // the document waits for its root
	scalarValue := false                 // the previous line ended in a plain scalar
	inScalar := false                    // the lines are a block scalar's
	scalarIndent, scalarFirst := -1, 0
	push := func(b block) {
		stack = append(stack, b)
		if opened != nil && b.offset >= 0 {
			opened(b)
		}
	}
	for i := 0; i < len(toks); {
		t := toks[i]
		end := i + 1
		for end < len(toks) && toks[end].Kind >= Dash {
			end++
		}
		onLine := toks[i+1 : end]
		i = end
		line := t.Line
		if t.Kind == BlockText && inScalar {
			if rest := strings.TrimSpace(t.Text); rest == "" || rest[0] == '#' || t.Text[0] == '\t' {
				continue
			}
			// A block scalar's indentation is its first line's; a later
			// line less indented but still inside its parent breaks it.
			ind := t.Indent
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
				if next := nextIndent(lines, line); next == ind && line == scalarFirst+1 {
					blame = scalarFirst
				}
				if !conflict(clash{stack: stack, line: line, indent: scalarIndent, scalarBlame: blame}) {
					return
				}
			}
			scalarIndent = ind
			continue
		}
		if t.Kind == Blank || t.Kind == QuotedLine || t.Kind == FlowLine || t.Kind == Directive || t.Kind == BlockText {
			continue
		}
		inScalar = false
		if t.Kind == Document {
			stack, pending, pendingCol = stack[:1], true, -1
			continue
		}
		if t.Kind != Indent || t.Text[0] == '\t' {
			continue
		}
		sh := shapeOf(t.Indent, onLine)
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
		scalarValue = false
		switch sh.value {
		case valueNone:
			if sh.keyCol >= 0 || len(sh.dashes) > 0 {
				pending = true
				if sh.keyCol >= 0 {
					pendingCol, pendingDash = sh.keyCol, false
				} else {
					pendingCol, pendingDash = sh.dashes[len(sh.dashes)-1], true
				}
			}
		case valueBlock:
			inScalar, scalarIndent = true, -1
		case valueScalar:
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
