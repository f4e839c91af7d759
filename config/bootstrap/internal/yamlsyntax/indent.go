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
// and column, in characters as yaml.v3 counts them), and what it is.
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
func IndentProblem(data string) (Problem, bool) { return Read(data).IndentProblem() }

// IndentProblem returns the first place where the file's block structure
// breaks, or ok false when it finds none.
func (f *File) IndentProblem() (Problem, bool) {
	return walkIndent(f.toks, f.lines, usualOffsets(f.toks, f.lines, f.stop), f.stop)
}

// usualOffsets counts how deep, relative to their parent, blocks are
// opened in this file; an offset used at least twice and by a tenth of the
// blocks is a normal step, so a lone odd one stands out as a slip.
func usualOffsets(toks []Token, lines []string, stop func() bool) map[int]bool {
	counts := map[int]int{}
	total := 0
	walk(toks, lines, stop, nil, func(b block) {
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

func walkIndent(toks []Token, lines []string, usual map[int]bool, stop func() bool) (Problem, bool) {
	var found *Problem
	walk(toks, lines, stop, func(c clash) bool {
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

// nextIndent is the indentation of the first non-blank line from index i.
func nextIndent(lines []string, i int) int {
	for ; i < len(lines); i++ {
		if t := strings.TrimLeft(lines[i], " "); t != "" {
			return len(lines[i]) - len(t)
		}
	}
	return -1
}
